"""Settings read once at start-up from the environment and `.env`, validated into one object.

A bad value raises `ConfigError` with one sentence naming the variable; the CLI prints it and
exits with code 2. Tests pass an `environ` mapping instead of patching `os.environ`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from watchers.gdelt import DEFAULT_BASE_URL as DEFAULT_GDELT_URL
from watchers.google_news import DEFAULT_BASE_URL as DEFAULT_GOOGLE_NEWS_URL

__all__ = ["ConfigError", "Settings", "load_settings", "read_environment"]

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"

_TOKEN_RE = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
_OFF = {"off", "no", "false", "0", "none", ""}
_ON = {"on", "yes", "true", "1"}


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one sentence that names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting the bot reads; defaults match `.env.example`."""

    token: str | None = field(default=None, repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    db_path: Path = Path("data/newswatch.json")
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


def read_environment(
    environ: Mapping[str, str], env_file: Path | None = Path(".env")
) -> dict[str, str]:
    """Merge `.env` under the real environment: a variable set in the environment wins."""
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(environ)
    return merged


def _url(name: str, value: str) -> str:
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed [ in an IPv6 host
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}.") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}.")
    return value


def _optional_url(name: str, value: str) -> str | None:
    """A URL, or None for a service switched off (off, no, false, 0, none)."""
    if value.strip().lower() in _OFF - {""}:
        return None
    try:
        return _url(name, value)
    except ConfigError:
        raise ConfigError(f"{name} must be an http(s) URL or off, not {value.strip()!r}.") from None


def _int(name: str, value: str, minimum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}.")
    return number


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _ON:
        return True
    if lowered in _OFF - {""}:
        return False
    raise ConfigError(f"{name} must be on or off, not {value!r}.")


def _admin_ids(value: str) -> frozenset[int]:
    ids = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(
                f"NEWSWATCH_ADMIN_IDS must be comma-separated numeric Telegram user ids; {part!r} is not one."
            ) from None
    return frozenset(ids)


def load_settings(environ: Mapping[str, str], *, require_token: bool = False) -> Settings:
    """Validate `environ` (already merged with `.env`) into Settings or raise ConfigError."""

    def get(name: str, default: str = "") -> str:
        """The variable's value, or `default` when it is unset or blank."""
        return (environ.get(name) or "").strip() or default

    token = get("TELEGRAM_BOT_TOKEN") or None
    if token is None and require_token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and put it in .env."
        )
    if token is not None and not _TOKEN_RE.match(token):
        # The value is never echoed: a mistyped token is still a secret.
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed; it should look like 123456789:AAE... as @BotFather gives it."
        )
    log_level = get("NEWSWATCH_LOG_LEVEL", "INFO").upper()
    if not isinstance(logging.getLevelName(log_level), int):
        raise ConfigError(
            f"NEWSWATCH_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}."
        )
    feeds = tuple(
        _url("NEWSWATCH_FEEDS", url)
        for url in (u.strip() for u in get("NEWSWATCH_FEEDS").split(","))
        if url
    )
    llm_url = _optional_url("NEWSWATCH_LLM_URL", get("NEWSWATCH_LLM_URL", "off"))
    llm_model = get("NEWSWATCH_LLM_MODEL") or None
    if llm_url and not llm_model:
        raise ConfigError("NEWSWATCH_LLM_MODEL must be set when NEWSWATCH_LLM_URL is.")
    return Settings(
        token=token,
        api_base_url=_url(
            "TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL)
        ),
        db_path=Path(get("NEWSWATCH_DB_PATH", "data/newswatch.json")),
        admin_ids=_admin_ids(get("NEWSWATCH_ADMIN_IDS")),
        log_level=log_level,
        feeds=feeds,
        google_news_url=_optional_url(
            "NEWSWATCH_GOOGLE_NEWS_URL", get("NEWSWATCH_GOOGLE_NEWS_URL", DEFAULT_GOOGLE_NEWS_URL)
        ),
        gdelt_url=_optional_url(
            "NEWSWATCH_GDELT_URL", get("NEWSWATCH_GDELT_URL", DEFAULT_GDELT_URL)
        ),
        default_sources=_flag("NEWSWATCH_DEFAULT_SOURCES", get("NEWSWATCH_DEFAULT_SOURCES", "on")),
        poll_seconds=_int("NEWSWATCH_POLL_SECONDS", get("NEWSWATCH_POLL_SECONDS", "300"), 1),
        retention_days=_int("NEWSWATCH_RETENTION_DAYS", get("NEWSWATCH_RETENTION_DAYS", "30"), 1),
        llm_url=llm_url,
        llm_model=llm_model,
        llm_api_key=get("NEWSWATCH_LLM_API_KEY") or None,
    )
