"""Settings: defaults, every variable's validation, .env merging, and the CLI's one-sentence exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings, read_environment

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"


def test_defaults_match_the_documented_ones() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.db_path == Path("data/newswatch.json")
    assert settings.poll_seconds == 300 and settings.retention_days == 30
    assert settings.default_sources is True


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "NEWSWATCH_DB_PATH": "/tmp/x.json",
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
    assert settings.db_path == Path("/tmp/x.json")
    assert settings.admin_ids == frozenset({1, 22, 333})
    assert settings.log_level == "DEBUG"
    assert settings.feeds == ("http://a.test/rss", "https://b.test/feed")
    assert settings.google_news_url is None
    assert settings.gdelt_url == "http://127.0.0.1:9/gdelt"
    assert settings.default_sources is False
    assert settings.poll_seconds == 1 and settings.retention_days == 7
    assert settings.llm_model == "tiny" and settings.llm_api_key == "sk-secret"


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
    ],
)
def test_a_bad_value_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    message = str(caught.value)
    assert variable in message
    assert message.endswith(".") and "\n" not in message


def test_a_blank_setting_means_its_default_and_only_off_switches_a_source_off() -> None:
    blank = load_settings(
        {"NEWSWATCH_GOOGLE_NEWS_URL": "", "NEWSWATCH_GDELT_URL": " ", "NEWSWATCH_POLL_SECONDS": ""}
    )
    assert (
        blank.google_news_url == Settings().google_news_url
        and blank.gdelt_url == Settings().gdelt_url
    )
    assert blank.poll_seconds == 300
    off = load_settings({"NEWSWATCH_GOOGLE_NEWS_URL": "off", "NEWSWATCH_GDELT_URL": "OFF"})
    assert off.google_news_url is None and off.gdelt_url is None


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
