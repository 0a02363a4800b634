"""The alias book: the shipped groups, look-up by folded form, and malformed files refused."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from watchers.matching import AliasBook, load_aliases


@pytest.fixture(scope="module")
def aliases() -> AliasBook:
    return load_aliases()


# --- The alias file -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "spellings"),
    [
        (
            "Karabakh",
            [
                "Nagorno Karabakh",
                "Qarabağ",
                "Dağlıq Qarabağ",
                "Нагорный Карабах",
                "Ղարաբաղ",
                "Artsakh",
                "Արցախ",
                "Арцах",
            ],
        ),
        ("Lachin", ["Laçın", "Лачин", "Լաչին", "Berdzor", "Բերձոր", "Бердзор"]),
        ("Khankendi", ["Xankəndi", "Ханкенди", "Stepanakert", "Степанакерт", "Ստեփանակերտ"]),
        ("Shusha", ["Şuşa", "Шуша", "Shushi", "Շուշի", "Шуши"]),
        ("Lachin corridor", ["Laçın dəhlizi", "Лачинский коридор", "Լաչինի միջանցք"]),
        ("Zangezur corridor", ["Zəngəzur dəhlizi", "Зангезурский коридор"]),
        ("Armenia", ["Armenian", "Ermənistan", "армянский", "Հայաստան"]),
        ("Azerbaijan", ["Azerbaijani", "Azərbaycan", "азербайджанский", "Ադրբեջան"]),
        ("Georgia", ["Georgian", "Грузия", "Վրաստան"]),
        ("Yerevan", ["Ереван", "Երևան"]),
        ("Baku", ["Bakı", "Баку", "Բաքու"]),
        ("Tbilisi", ["Тбилиси", "Թբիլիսի"]),
        ("Nakhchivan", ["Naxçıvan", "Нахичевань", "Նախիջևան"]),
        ("Syunik", ["Сюник", "Սյունիք"]),
        ("Pashinyan", ["Paşinyan", "Пашинян", "Փաշինյան"]),
        ("Aliyev", ["Əliyev", "Алиев"]),
        ("peacekeepers", ["миротворцы"]),
        ("South Caucasus", ["Cənubi Qafqaz", "Южный Кавказ"]),
    ],
)
def test_shipped_alias_groups(aliases: AliasBook, name: str, spellings: list[str]) -> None:
    assert aliases.forms_of(name)
    for spelling in spellings:
        assert aliases.forms_of(spelling) == aliases.forms_of(name)


@pytest.mark.parametrize(
    "name",
    ["Aghdam", "Fuzuli", "Kalbajar", "Gubadli", "Zangilan", "Jabrayil", "Tartar", "Ganja",
     "Gyumri", "Goris", "Kapan", "Meghri", "Jermuk", "Sotk", "Zangezur"],
)  # fmt: skip
def test_shipped_alias_file_has_the_other_places(aliases: AliasBook, name: str) -> None:
    assert {form.language for form in aliases.forms_of(name)} >= {"en", "ru", "hy"}


def test_alias_forms_are_written_in_the_script_of_their_language(aliases: AliasBook) -> None:
    script_of = {
        **dict.fromkeys(("en", "az", "tr", "pl", "de", "fr"), "LATIN"),
        **dict.fromkeys(("ru", "uk", "be", "bg"), "CYRILLIC"),
        **dict.fromkeys(("ar", "fa"), "ARABIC"),
        "hy": "ARMENIAN",
        "ka": "GEORGIAN",
    }
    misfiled = [
        (group.name, form.text)
        for group in aliases.groups
        for form in group.forms
        for char in form.text
        if char.isalpha() and not unicodedata.name(char).startswith(script_of[form.language])
    ]
    assert misfiled == []


def test_lookup_is_by_folded_form(aliases: AliasBook) -> None:
    assert aliases.forms_of("LAÇIN") == aliases.forms_of("Lachin")
    assert aliases.forms_of("qarabag") == aliases.forms_of("Karabakh")
    assert aliases.forms_of("football") == ()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            '[[group]]\nname = "A"\nen = ["Lachin"]\n[[group]]\nname = "B"\naz = ["LACHIN"]\n',
            "both",
        ),
        ('[[group]]\nname = "A"\nxx = ["Lachine"]\n', "unknown language"),
        ('[[group]]\nen = ["Lachin"]\n', "needs a name"),
        ('[[group]]\nname = "A"\n', "no forms"),
        ('[[group]]\nname = "A"\nen = "Lachin"\n', "list of strings"),
        ('[[group]]\nname = "A"\nen = ["--"]\n', "without letters"),
    ],
)
def test_malformed_alias_files_are_refused(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=reason):
        load_aliases(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('[[group]]\nname = "A"\nen = ["Ax"]\nambiguous = ["Bx"]\n', "not one of its forms"),
        ('[[group]]\nname = "A"\nen = ["Ax"]\nnamesakes = "Ax"\n', "list of strings"),
        ('[[group]]\nname = "A"\nen = ["Ax"]\ncontext = "no"\n', "true or false"),
        ('[[group]]\nname = "A"\nen = ["Ax"]\n[group.other]\nen = ["wine"]\n', "other meanings"),
        ('[[group]]\nname = "A"\nen = ["Ax"]\n[context]\nxx = ["Bx"]\n', "unknown language"),
    ],
)
def test_malformed_context_settings_are_refused(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=reason):
        load_aliases(path)
