"""The long-lived objects the bot shares: settings, store, aliases, HTTP client, sources, poller.

Built once from the settings; the Telegram application keeps them in `bot_data.services`, and
`newswatch scan` uses the same helpers without any Telegram at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx

from bot.config import Settings
from bot.store import Store
from watchers.alerts import LLMConfig, Summariser
from watchers.fetch import USER_AGENT
from watchers.matching import AliasBook, load_aliases
from watchers.netpolicy import NetPolicy, PolicyTransport
from watchers.poll import Poller
from watchers.registry import configured_sources
from watchers.sources import Source

__all__ = ["Services", "build_services", "http_client", "llm_config", "sources_of"]


@dataclass(slots=True)
class Services:
    """The long-lived objects handlers and jobs share, kept in `application.bot_data.services`."""

    settings: Settings
    store: Store
    aliases: AliasBook
    http: httpx.AsyncClient
    sources: list[Source]
    poller: Poller


def llm_config(settings: Settings) -> LLMConfig | None:
    """The LLM summariser's endpoint, when the operator configured one."""
    if settings.llm_url and settings.llm_model:
        return LLMConfig(settings.llm_url, settings.llm_model, settings.llm_api_key)
    return None


def sources_of(settings: Settings) -> list[Source]:
    """The sources the settings switch on."""
    return configured_sources(
        feeds=settings.feeds,
        default_sources=settings.default_sources,
        google_news_url=settings.google_news_url,
        gdelt_url=settings.gdelt_url,
        poll_seconds=settings.poll_seconds,
    )


def http_client(settings: Settings, *also_trusted: str) -> httpx.AsyncClient:
    """The HTTP client for every fetch: the origins the operator configured (sources, the LLM,
    `also_trusted`) are reached as given, any other only at public addresses.

    Proxies from the environment are not used: the address check must see the real destination.
    """
    trusted = [source.url for source in sources_of(settings)]
    trusted += [settings.llm_url] if settings.llm_url else []
    transport = PolicyTransport(NetPolicy([*trusted, *also_trusted]))
    return httpx.AsyncClient(
        transport=transport, headers={"User-Agent": USER_AGENT}, trust_env=False
    )


def build_services(settings: Settings, store: Store) -> Services:
    """Everything the bot shares, built once at start-up."""
    aliases = load_aliases()
    http = http_client(settings)
    llm = llm_config(settings)
    slots = asyncio.Semaphore(4)  # article fetches and LLM calls in flight, for all sources
    poller = Poller(
        http,
        store.polls,
        aliases,
        lambda: Summariser(http, llm=llm, slots=slots),
        retention=timedelta(days=settings.retention_days),
        language=store.chats.language_of,
    )
    return Services(settings, store, aliases, http, sources_of(settings), poller)
