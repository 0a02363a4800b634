"""Settings: defaults, every variable's validation, .env merging, the CLI's one-sentence exit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import SETTINGS, ConfigError, Settings, load_settings, read_environment
from fakes import ROOT
from tests.conftest import modules_imported_by, run_newswatch

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"


def test_defaults_match_the_documented_ones() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.data_dir == Path("data")
    assert settings.legacy_db_path is None
    assert settings.poll_seconds == 300
    assert settings.retention_days == 30
    assert settings.default_sources is True


def test_settings_import_no_source() -> None:
    """The defaults of the search services' URLs live in the settings table, not in sources."""
    loaded = modules_imported_by("bot.config")
    assert not {"watchers.feeds", "watchers.gdelt", "watchers.google_news"} & loaded


def test_the_old_database_path_names_the_data_directory_and_the_file_to_import() -> None:
    settings = load_settings({"NEWSWATCH_DB_PATH": "/srv/bot/newswatch.json"})
    assert settings.data_dir == Path("/srv/bot")
    assert settings.legacy_db_path == Path("/srv/bot/newswatch.json")
    both = load_settings({"NEWSWATCH_DB_PATH": "/srv/bot/db.json", "NEWSWATCH_DATA_DIR": "/d"})
    assert both.data_dir == Path("/d")
    assert both.legacy_db_path == Path("/srv/bot/db.json")


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "NEWSWATCH_DATA_DIR": "/tmp/newswatch",
            "NEWSWATCH_ADMIN_IDS": "1, 22 ,333",
            "NEWSWATCH_LOG_LEVEL": "debug",
            "NEWSWATCH_FEEDS": "http://a.test/rss, https://b.test/feed",
            "NEWSWATCH_GOOGLE_NEWS_URL": "off",
            "NEWSWATCH_GDELT_URL": "http://127.0.0.1:9/gdelt",
            "NEWSWATCH_DEFAULT_SOURCES": "off",
            "NEWSWATCH_POLL_SECONDS": "1",
            "NEWSWATCH_RETENTION_DAYS": "7",
            "NEWSWATCH_LLM_URL": "http://127.0.0.1:9/v1/chat/completions",
            "NEWSWATCH_LLM_MODEL": "tiny",
            "NEWSWATCH_LLM_API_KEY": "sk-secret",
        }
    )
    assert settings.token == TOKEN
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.data_dir == Path("/tmp/newswatch")
    assert settings.admin_ids == frozenset({1, 22, 333})
    assert settings.log_level == "DEBUG"
    assert settings.feeds == ("http://a.test/rss", "https://b.test/feed")
    assert settings.google_news_url is None
    assert settings.gdelt_url == "http://127.0.0.1:9/gdelt"
    assert settings.default_sources is False
    assert settings.poll_seconds == 1
    assert settings.retention_days == 7
    assert settings.llm_model == "tiny"
    assert settings.llm_api_key == "sk-secret"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
        ({"TELEGRAM_API_BASE_URL": "http://[::1/bot"}, "TELEGRAM_API_BASE_URL"),
        ({"NEWSWATCH_ADMIN_IDS": "12,abc"}, "NEWSWATCH_ADMIN_IDS"),
        ({"NEWSWATCH_LOG_LEVEL": "LOUD"}, "NEWSWATCH_LOG_LEVEL"),
        ({"NEWSWATCH_FEEDS": "http://ok.test, not a url"}, "NEWSWATCH_FEEDS"),
        ({"NEWSWATCH_DEFAULT_SOURCES": "maybe"}, "NEWSWATCH_DEFAULT_SOURCES"),
        ({"NEWSWATCH_POLL_SECONDS": "0"}, "NEWSWATCH_POLL_SECONDS"),
        ({"NEWSWATCH_POLL_SECONDS": "5m"}, "NEWSWATCH_POLL_SECONDS"),
        ({"NEWSWATCH_RETENTION_DAYS": "-1"}, "NEWSWATCH_RETENTION_DAYS"),
        ({"NEWSWATCH_GDELT_URL": "gdelt"}, "NEWSWATCH_GDELT_URL"),
        ({"NEWSWATCH_LLM_URL": "http://llm.test/v1"}, "NEWSWATCH_LLM_MODEL"),
        ({"NEWSWATCH_POLL_SECONDS": "99999999999999999999"}, "NEWSWATCH_POLL_SECONDS"),
        ({"NEWSWATCH_POLL_SECONDS": "86401"}, "NEWSWATCH_POLL_SECONDS"),
        ({"NEWSWATCH_POLL_SECONDS": "1_000"}, "NEWSWATCH_POLL_SECONDS"),
        ({"NEWSWATCH_POLL_SECONDS": "٣٠٠"}, "NEWSWATCH_POLL_SECONDS"),  # Arabic-Indic digits
        ({"NEWSWATCH_RETENTION_DAYS": "3651"}, "NEWSWATCH_RETENTION_DAYS"),
        ({"NEWSWATCH_RETENTION_DAYS": "9" * 5000}, "NEWSWATCH_RETENTION_DAYS"),
        ({"NEWSWATCH_ADMIN_IDS": "-100123"}, "NEWSWATCH_ADMIN_IDS"),
        ({"NEWSWATCH_ADMIN_IDS": str(2**52)}, "NEWSWATCH_ADMIN_IDS"),
        ({"NEWSWATCH_ADMIN_IDS": ",".join(map(str, range(1, 200)))}, "NEWSWATCH_ADMIN_IDS"),
        ({"NEWSWATCH_FEEDS": "http://feeds.test/a b.xml"}, "NEWSWATCH_FEEDS"),
        ({"NEWSWATCH_FEEDS": "http://feeds.test/\x1b[31m"}, "NEWSWATCH_FEEDS"),
        ({"NEWSWATCH_FEEDS": "http://feeds.test/" + "a" * 3000}, "NEWSWATCH_FEEDS"),
        (
            {"NEWSWATCH_FEEDS": ",".join(f"http://f{n}.test/rss" for n in range(5000))},
            "NEWSWATCH_FEEDS",
        ),
        ({"NEWSWATCH_GDELT_URL": "http://gdelt.test:99999/doc"}, "NEWSWATCH_GDELT_URL"),
        ({"TELEGRAM_API_BASE_URL": "http://:8081/bot"}, "TELEGRAM_API_BASE_URL"),
        ({"NEWSWATCH_DB_PATH": "data/news\x00watch.json"}, "NEWSWATCH_DB_PATH"),
        ({"NEWSWATCH_LLM_MODEL": "tiny\udcff"}, "NEWSWATCH_LLM_MODEL"),  # a non-UTF-8 byte
    ],
)
def test_a_bad_value_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    message = str(caught.value)
    assert variable in message
    assert message.endswith(".")
    assert "\n" not in message
    assert len(message) < 300  # a huge value is quoted back cut short


def test_a_blank_setting_means_its_default_and_only_off_switches_a_source_off() -> None:
    blank = load_settings(
        {"NEWSWATCH_GOOGLE_NEWS_URL": "", "NEWSWATCH_GDELT_URL": " ", "NEWSWATCH_POLL_SECONDS": ""}
    )
    assert blank.google_news_url == Settings().google_news_url
    assert blank.gdelt_url == Settings().gdelt_url
    assert blank.poll_seconds == 300
    off = load_settings({"NEWSWATCH_GOOGLE_NEWS_URL": "off", "NEWSWATCH_GDELT_URL": "OFF"})
    assert off.google_news_url is None
    assert off.gdelt_url is None


def test_token_is_required_only_when_asked() -> None:
    assert load_settings({}).token is None
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        load_settings({}, require_token=True)


def test_a_malformed_token_is_not_echoed() -> None:
    secret = "123:short-secret-value"
    with pytest.raises(ConfigError) as caught:
        load_settings({"TELEGRAM_BOT_TOKEN": secret})
    assert secret not in str(caught.value)


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("NEWSWATCH_POLL_SECONDS=60\nNEWSWATCH_RETENTION_DAYS=3\n# comment\n")
    merged = read_environment({"NEWSWATCH_POLL_SECONDS": "90"}, env_file)
    settings = load_settings(merged)
    assert settings.poll_seconds == 90
    assert settings.retention_days == 3


def test_bounds_are_inclusive_and_duplicate_feeds_count_once() -> None:
    settings = load_settings(
        {
            "NEWSWATCH_POLL_SECONDS": "86400",
            "NEWSWATCH_RETENTION_DAYS": "3650",
            "NEWSWATCH_ADMIN_IDS": str(2**52 - 1),
            "NEWSWATCH_FEEDS": "http://a.test/rss,\n http://a.test/rss, http://b.test/rss",
        }
    )
    assert settings.poll_seconds == 86400
    assert settings.retention_days == 3650
    assert settings.admin_ids == frozenset({2**52 - 1})
    assert settings.feeds == ("http://a.test/rss", "http://b.test/rss")


def test_control_characters_in_a_secret_are_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"NEWSWATCH_LLM_API_KEY": "sk-very-secret\x00"})
    assert "NEWSWATCH_LLM_API_KEY" in str(caught.value)
    assert "sk-very" not in str(caught.value)


def test_dotenv_with_a_bom_still_sets_its_first_variable(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes("\ufeffNEWSWATCH_POLL_SECONDS=60\n".encode())
    assert load_settings(read_environment({}, env_file)).poll_seconds == 60


def test_dotenv_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"NEWSWATCH_LOG_LEVEL=INFO\nNEWSWATCH_FEEDS=http://caf\xe9.test/\n")
    with pytest.raises(ConfigError, match=r"is not UTF-8 text \(byte 0xe9 on line 2\)"):
        read_environment({}, env_file)


@pytest.mark.parametrize(
    ("dotenv", "environ", "variable"),
    [
        (b"", {"NEWSWATCH_POLL_SECONDS": "99999999999999999999"}, "NEWSWATCH_POLL_SECONDS"),
        (b"NEWSWATCH_FEEDS=http://a.test/\x00rss\n", {}, "NEWSWATCH_FEEDS"),
        (b"NEWSWATCH_FEEDS=http://caf\xe9.test/\n", {}, ".env"),
        (
            b"",
            {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/\udcffbot"},  # a non-UTF-8 byte
            "TELEGRAM_API_BASE_URL contains bytes that are not UTF-8",
        ),
    ],
)
def test_the_cli_refuses_a_bad_setting_in_one_line_with_exit_code_2(
    tmp_path: Path, dotenv: bytes, environ: dict[str, str], variable: str
) -> None:
    """The real program, as an operator starts it: no traceback, one sentence naming the culprit."""
    if dotenv:
        (tmp_path / ".env").write_bytes(dotenv)
    # Were the setting accepted, the bot would stop at an unreachable local port, not the internet.
    offline = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}
    result = run_newswatch("run", cwd=tmp_path, env={**offline, **environ})
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelled_setting_is_a_warning_naming_the_nearest_one_never_its_value() -> None:
    settings = load_settings(
        {
            "NEWSWATCH_POLL_SECOND": "60",
            "newswatch_feeds": "http://a.test/rss",
            "TELEGRAM_TOKEN": "sk-secret-value",
            "NEWSWATCH_ZZZ": "1",
            "NEWSWATCH_RETENTION_DAYS": "7",
            "HOME": "/root",
        }
    )
    assert settings.warnings == (
        "NEWSWATCH_POLL_SECOND is not a Newswatch setting; did you mean NEWSWATCH_POLL_SECONDS?",
        "NEWSWATCH_ZZZ is not a Newswatch setting; see newswatch run --help.",
        "TELEGRAM_TOKEN is not a Newswatch setting; did you mean TELEGRAM_BOT_TOKEN?",
        "newswatch_feeds is not a Newswatch setting; did you mean NEWSWATCH_FEEDS?",
    )
    assert settings.poll_seconds == 300
    assert settings.retention_days == 7
    assert load_settings({"NEWSWATCH_POLL_SECONDS": "60"}).warnings == ()


def _documented() -> dict[str, tuple[str, str]]:
    """Each variable `.env.example` sets (or shows commented out): its example value and the
    default its comment states ("none" where it has none)."""
    documented: dict[str, tuple[str, str]] = {}
    comment = ""
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        assignment = re.fullmatch(r"(?:# )?([A-Z_]+)=(.*)", line)
        if assignment:
            stated = re.findall(r"Default: (\S+)", comment)
            documented[assignment[1]] = assignment[2], stated[-1] if stated else "(no default)"
            comment = ""
        elif line.startswith("#"):
            comment += line + "\n"
    return documented


def test_env_example_and_the_settings_table_agree() -> None:
    """`newswatch run --help` and the defaults come from SETTINGS; .env.example must not drift."""
    documented = _documented()
    assert set(documented) == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        value, default = documented[setting.name]
        assert default == (setting.default or "none"), setting.name
        assert value in ("", setting.default), setting.name
    assert load_settings({name: value for name, (value, _) in documented.items()}) == Settings()


def test_the_missing_token_error_names_the_env_file_it_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    with pytest.raises(ConfigError) as absent:
        load_settings({}, require_token=True, env_file=env_file)
    assert f"there is no .env in {tmp_path}" in str(absent.value)
    env_file.write_text("NEWSWATCH_POLL_SECONDS=60\n", encoding="utf-8")
    typo = read_environment({"TELEGRAM_TOKEN": TOKEN}, env_file)
    with pytest.raises(ConfigError) as read:
        load_settings(typo, require_token=True, env_file=env_file)
    assert f"not set in the environment or in {env_file}" in str(read.value)
    assert "TELEGRAM_TOKEN is set instead" in str(read.value)
    assert TOKEN not in str(read.value)
