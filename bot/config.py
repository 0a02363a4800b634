"""Settings read once at start-up from the environment and `.env`, validated into one object.

A bad value raises `ConfigError` with one sentence naming the variable; the CLI prints it and
exits with code 2. A variable that looks like a setting but is none (a typo) is a warning naming
the nearest setting. `SETTINGS` lists every setting once, with its default and meaning: the
defaults used here and `newswatch run --help` come from it, and a test holds `.env.example` to
it. Tests pass an `environ` mapping instead of patching `os.environ`.
"""

from __future__ import annotations

import difflib
import io
import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from watchers.markup import cut

__all__ = [
    "DEFAULT_API_BASE_URL",
    "DEFAULT_GDELT_URL",
    "DEFAULT_GOOGLE_NEWS_URL",
    "SETTINGS",
    "ConfigError",
    "Setting",
    "Settings",
    "load_settings",
    "read_environment",
    "settings_help",
]

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_GOOGLE_NEWS_URL = "https://news.google.com/rss/search"
DEFAULT_GDELT_URL = "https://api.gdeltproject.org/api/v2/doc/doc"

_TOKEN_RE = re.compile(r"[0-9]{5,20}:[A-Za-z0-9_-]{30,200}")
_NUMBER_RE = re.compile(r"[+-]?[0-9]+")
_OFF = {"off", "no", "false", "0", "none", ""}
_ON = {"on", "yes", "true", "1"}

# Upper bounds keep every value inside what the scheduler, timedelta and Telegram accept, and
# far inside what anyone means: a poll interval over a day or a retention over ten years is a typo.
MAX_POLL_SECONDS = 86_400
MAX_RETENTION_DAYS = 3_650
MAX_FEEDS = 200  # each feed is a scheduled job and a request every poll
MAX_ADMINS = 100  # each admin costs a setMyCommands call at start-up
MAX_USER_ID = 2**52 - 1  # Telegram: user ids have at most 52 significant bits
MAX_URL_LENGTH = 2_048
MAX_SHOWN = 60  # characters of a bad value quoted back in an error


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one sentence that names it."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One variable the bot reads: its default as written in `.env` ("" for none) and meaning."""

    name: str
    default: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("TELEGRAM_BOT_TOKEN", "", "bot token from @BotFather; required by run; never logged"),
    Setting(
        "TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL, "Bot API base URL; the token is appended"
    ),
    Setting("NEWSWATCH_DATA_DIR", "data", "folder of the chats and the database; must be writable"),
    Setting(
        "NEWSWATCH_ADMIN_IDS",
        "",
        f"operators' Telegram user ids, comma-separated (up to {MAX_ADMINS})",
    ),
    Setting("NEWSWATCH_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Setting(
        "NEWSWATCH_FEEDS", "", f"extra RSS/Atom feed URLs, comma-separated (up to {MAX_FEEDS})"
    ),
    Setting("NEWSWATCH_DEFAULT_SOURCES", "on", "the built-in list of regional outlets: on or off"),
    Setting("NEWSWATCH_GOOGLE_NEWS_URL", DEFAULT_GOOGLE_NEWS_URL, "Google News search RSS, or off"),
    Setting("NEWSWATCH_GDELT_URL", DEFAULT_GDELT_URL, "GDELT DOC 2.0 API, or off"),
    Setting(
        "NEWSWATCH_POLL_SECONDS",
        "300",
        f"seconds between polls of a source, 1 to {MAX_POLL_SECONDS}",
    ),
    Setting(
        "NEWSWATCH_RETENTION_DAYS",
        "30",
        f"days a seen report is remembered, 1 to {MAX_RETENTION_DAYS}",
    ),
    Setting("NEWSWATCH_LLM_URL", "off", "OpenAI-compatible chat-completions URL for summaries"),
    Setting("NEWSWATCH_LLM_MODEL", "", "the LLM's model; required with NEWSWATCH_LLM_URL"),
    Setting("NEWSWATCH_LLM_API_KEY", "", "Bearer key for the LLM, if it needs one; never logged"),
    Setting(
        "NEWSWATCH_DB_PATH", "", "older versions' store, imported once; use NEWSWATCH_DATA_DIR"
    ),
)
_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
_PREFIXES = ("NEWSWATCH_", "TELEGRAM_")
_BY_SUFFIX = {name.partition("_")[2]: name for name in _DEFAULTS}
"""Typos are matched on what follows the prefix, which every name shares with many others."""


def settings_help() -> str:
    """Every setting with its default and meaning, for `newswatch run --help`."""
    lines = [
        "settings (environment variables, or NAME=value lines in ./.env; the environment wins):"
    ]
    for setting in SETTINGS:
        lines.append(f"  {setting.name} (default: {setting.default or 'none'})")
        lines.append(f"      {setting.meaning}")
    return "\n".join(lines)


def _near_misses(environ: Mapping[str, str]) -> dict[str, str | None]:
    """Each variable named like a setting that is none (a typo would otherwise be ignored
    without a word), with the setting nearest to it, if one is near."""
    misses: dict[str, str | None] = {}
    for name in sorted(environ):
        if name.upper().startswith(_PREFIXES) and name not in _DEFAULTS:
            nearest = difflib.get_close_matches(name.upper().partition("_")[2], _BY_SUFFIX, n=1)
            misses[name] = _BY_SUFFIX[nearest[0]] if nearest else None
    return misses


def _name(name: str) -> str:
    """A variable's name as written to the log; never its value, which may be a secret."""
    return name if name.isprintable() and len(name) <= MAX_SHOWN else _shown(name)


def _warning(name: str, nearest: str | None) -> str:
    """The start-up warning for a variable that is no setting: a typo should not pass unseen."""
    hint = f"did you mean {nearest}?" if nearest else "see newswatch run --help."
    return f"{_name(name)} is not a Newswatch setting; {hint}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting the bot reads; defaults match `SETTINGS` and `.env.example` (tested)."""

    token: str | None = field(default=None, repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    data_dir: Path = Path("data")
    legacy_db_path: Path | None = None  # NEWSWATCH_DB_PATH of older versions, imported once
    admin_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    feeds: tuple[str, ...] = ()
    google_news_url: str | None = DEFAULT_GOOGLE_NEWS_URL
    gdelt_url: str | None = DEFAULT_GDELT_URL
    default_sources: bool = True
    poll_seconds: int = 300
    retention_days: int = 30
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = field(default=(), repr=False, compare=False)  # logged at start


def read_environment(
    environ: Mapping[str, str], env_file: Path | None = Path(".env")
) -> dict[str, str]:
    """Merge `.env` under the real environment: a variable set in the environment wins.

    The file is decoded here, strictly, so a stray Latin-1 byte is one sentence naming the line
    rather than a UnicodeDecodeError from deep inside python-dotenv.
    """
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        try:
            raw = env_file.read_bytes()
        except OSError as error:
            raise ConfigError(f"{env_file} cannot be read: {error.strerror or error}.") from None
        try:
            text = raw.decode("utf-8-sig")  # a BOM would otherwise glue itself to the first name
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise ConfigError(
                f"{env_file} is not UTF-8 text (byte 0x{raw[error.start]:02x} on line {line}); "
                "save it as UTF-8."
            ) from None
        values = dotenv_values(stream=io.StringIO(text))
        merged.update({k: v for k, v in values.items() if v is not None})
    merged.update(environ)
    return merged


def _shown(value: str) -> str:
    """A bad value quoted back to the operator, cut short so the error stays one readable line."""
    return repr(cut(value, MAX_SHOWN))


def _check_characters(name: str, value: str) -> None:
    """Refuse NUL and other control characters, and undecodable bytes from the environment.

    The value is not echoed: it may be a secret. Tabs and line breaks are left to each
    setting's own rules (a comma-separated list may span lines in `.env`).
    """
    for position, char in enumerate(value, start=1):
        category = unicodedata.category(char)
        if category == "Cs":  # os.environ keeps non-UTF-8 bytes as lone surrogates
            raise ConfigError(
                f"{name} contains bytes that are not UTF-8 text (at character {position})."
            )
        if category == "Cc" and char not in "\t\n\r":
            raise ConfigError(
                f"{name} contains the control character U+{ord(char):04X} "
                f"(at character {position}); remove it."
            )


def _url(name: str, value: str, kind: str = "an http(s) URL") -> str:
    """A URL that httpx can fetch as written, or ConfigError saying what is wrong with it."""
    value = value.strip()
    wrong = f"{name} must be {kind}, not {_shown(value)}."
    if len(value) > MAX_URL_LENGTH:
        raise ConfigError(
            f"{name} must be a URL of at most {MAX_URL_LENGTH} characters, not {len(value)}."
        )
    if any(char.isspace() or unicodedata.category(char)[0] == "C" for char in value):
        raise ConfigError(
            f"{name} must be {kind} without spaces or control characters, not {_shown(value)}."
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (reading it checks the port: "http://host:99999" raises)
    except ValueError:  # e.g. an unclosed [ in an IPv6 host, a port out of range
        raise ConfigError(wrong) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(wrong)
    return value


def _optional_url(name: str, value: str) -> str | None:
    """A URL, or None for a service switched off (off, no, false, 0, none)."""
    if value.strip().lower() in _OFF - {""}:
        return None
    return _url(name, value, "an http(s) URL or off")


def _int(name: str, value: str, minimum: int, maximum: int, unit: str) -> int:
    """A whole number in [minimum, maximum]; huge ones are refused before anything overflows."""
    value = value.strip()
    if not _NUMBER_RE.fullmatch(value):
        raise ConfigError(f"{name} must be a whole number of {unit}, not {_shown(value)}.")
    # Digits beyond the maximum's length cannot be in range; int() of them is never needed.
    digits = value.lstrip("+-").lstrip("0")
    number = int(value) if len(digits) <= len(str(maximum)) else None
    if number is None or not minimum <= number <= maximum:
        raise ConfigError(
            f"{name} must be between {minimum} and {maximum} {unit}, not {_shown(value)}."
        )
    return number


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _ON:
        return True
    if lowered in _OFF - {""}:
        return False
    raise ConfigError(f"{name} must be on or off, not {_shown(value)}.")


def _admin_ids(value: str) -> frozenset[int]:
    ids = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        if not (part.isascii() and part.isdigit() and len(part) <= 20):
            number = 0
        else:
            number = int(part)
        if not 1 <= number <= MAX_USER_ID:
            raise ConfigError(
                "NEWSWATCH_ADMIN_IDS must be comma-separated Telegram user ids "
                f"(whole numbers from 1 to {MAX_USER_ID}); {_shown(part)} is not one."
            )
        ids.add(number)
    if len(ids) > MAX_ADMINS:
        raise ConfigError(
            f"NEWSWATCH_ADMIN_IDS lists {len(ids)} ids; at most {MAX_ADMINS} are allowed."
        )
    return frozenset(ids)


def _feeds(value: str) -> tuple[str, ...]:
    """The extra feed URLs, each checked, duplicates dropped, their number bounded."""
    urls = [u.strip() for u in value.split(",")]
    feeds = tuple(dict.fromkeys(_url("NEWSWATCH_FEEDS", url) for url in urls if url))
    if len(feeds) > MAX_FEEDS:
        raise ConfigError(
            f"NEWSWATCH_FEEDS lists {len(feeds)} feeds; at most {MAX_FEEDS} are allowed."
        )
    return feeds


def _token_missing(env_file: Path | None, typos: list[str]) -> str:
    """The missing-token error: which `.env` was read (or which folder has none), and a
    variable that looks like the token under another name."""
    where, put = "", "in .env"
    if env_file is not None and env_file.absolute().is_file():
        where, put = f" in the environment or in {env_file.absolute()}", "there"
    elif env_file is not None:
        folder = env_file.absolute().parent
        where, put = f", and there is no .env in {folder}", "in a .env there (see .env.example)"
    typo = f" ({_name(typos[0])} is set instead: a typo?)" if typos else ""
    return (
        f"TELEGRAM_BOT_TOKEN is not set{where}{typo}; get a token from @BotFather and put it {put}."
    )


def load_settings(
    environ: Mapping[str, str], *, require_token: bool = False, env_file: Path | None = None
) -> Settings:
    """Validate `environ` (already merged with `.env`) into Settings or raise ConfigError.

    `env_file` is the `.env` that `read_environment` was given, for the missing-token error.
    """

    def get(name: str, default: str | None = None) -> str:
        """The variable's value, or its default (from `SETTINGS`) when it is unset or blank."""
        value = environ.get(name) or ""
        _check_characters(name, value)
        return value.strip() or (_DEFAULTS[name] if default is None else default)

    misses = _near_misses(environ)
    token = get("TELEGRAM_BOT_TOKEN") or None
    if token is None and require_token:
        typos = [name for name, nearest in misses.items() if nearest == "TELEGRAM_BOT_TOKEN"]
        raise ConfigError(_token_missing(env_file, typos))
    if token is not None and not _TOKEN_RE.fullmatch(token):
        # The value is never echoed: a mistyped token is still a secret.
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed; it should look like 123456789:AAE... "
            "as @BotFather gives it."
        )
    log_level = get("NEWSWATCH_LOG_LEVEL").upper()
    if not isinstance(logging.getLevelName(log_level), int):
        raise ConfigError(
            f"NEWSWATCH_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {_shown(log_level)}."
        )
    feeds = _feeds(get("NEWSWATCH_FEEDS"))
    llm_url = _optional_url("NEWSWATCH_LLM_URL", get("NEWSWATCH_LLM_URL"))
    llm_model = get("NEWSWATCH_LLM_MODEL") or None
    if llm_url and not llm_model:
        raise ConfigError("NEWSWATCH_LLM_MODEL must be set when NEWSWATCH_LLM_URL is.")
    # The older single-file setting still works: its folder becomes the data directory.
    legacy = Path(get("NEWSWATCH_DB_PATH")) if get("NEWSWATCH_DB_PATH") else None
    return Settings(
        token=token,
        api_base_url=_url("TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL")),
        data_dir=Path(get("NEWSWATCH_DATA_DIR", str(legacy.parent) if legacy else None)),
        legacy_db_path=legacy,
        admin_ids=_admin_ids(get("NEWSWATCH_ADMIN_IDS")),
        log_level=log_level,
        feeds=feeds,
        google_news_url=_optional_url(
            "NEWSWATCH_GOOGLE_NEWS_URL", get("NEWSWATCH_GOOGLE_NEWS_URL")
        ),
        gdelt_url=_optional_url("NEWSWATCH_GDELT_URL", get("NEWSWATCH_GDELT_URL")),
        default_sources=_flag("NEWSWATCH_DEFAULT_SOURCES", get("NEWSWATCH_DEFAULT_SOURCES")),
        poll_seconds=_int(
            "NEWSWATCH_POLL_SECONDS",
            get("NEWSWATCH_POLL_SECONDS"),
            1,
            MAX_POLL_SECONDS,
            "seconds",
        ),
        retention_days=_int(
            "NEWSWATCH_RETENTION_DAYS",
            get("NEWSWATCH_RETENTION_DAYS"),
            1,
            MAX_RETENTION_DAYS,
            "days",
        ),
        llm_url=llm_url,
        llm_model=llm_model,
        llm_api_key=get("NEWSWATCH_LLM_API_KEY") or None,
        warnings=tuple(_warning(name, nearest) for name, nearest in misses.items()),
    )
