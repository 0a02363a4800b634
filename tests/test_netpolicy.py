"""The outbound fetch policy: links and redirects from feed content never reach a private network.

Two real servers on 127.0.0.1 stand for the configured feed and an internal service on another
port; names that resolve to chosen addresses come from an injected resolver, and a network that
routes a "public" address to a local server stands in for the internet.
"""

from __future__ import annotations

import asyncio
import io
import logging
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from pathlib import Path
from shutil import which

import httpcore
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.scan import scan
from fakes import FakeTelegram, FeedServer, Item, make_rss
from tests.conftest import BotHarness
from watchers.article import fetch_article
from watchers.fetch import fetch
from watchers.models import SourceState
from watchers.netpolicy import (
    Blocked,
    NetPolicy,
    PolicyTransport,
    Resolver,
    non_public_reason,
)

SECRET = "The database password for the internal billing service is hunter2"
SECRET_PAGE = (
    "<html><body><article>"
    f"<p>{SECRET}, as the operations team wrote on Monday in the internal runbook.</p>"
    "<p>The replica in the second rack is rebuilt every night from the primary database.</p>"
    "<p>Only staff on the operations rota may read this page or copy anything from it.</p>"
    "</article></body></html>"
).encode()
STORY_PAGE = (
    "<html><body><article>"
    "<p>The mountain road to Laçın reopened on Tuesday after a three-week closure.</p>"
    "<p>Trucks of up to twelve tonnes may use it until engineers inspect the slopes again.</p>"
    "<p>The district administration said the inspection is planned for next month.</p>"
    "</article></body></html>"
).encode()
PUBLIC = "93.184.216.34"
USER = 1001


@pytest.fixture
def internal() -> Iterator[FeedServer]:
    """The internal service a hostile feed aims at: same host, another port."""
    with FeedServer() as server:
        server.set("/internal/secret", SECRET_PAGE, content_type="text/html")
        server.set("/feed.xml", make_rss([Item("Internal", "https://wire.test/i")]))
        yield server


def _resolver(table: dict[str, list[str]]) -> Resolver:
    """Answers from `table` instead of DNS."""

    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


def _client(
    policy: NetPolicy,
    *,
    network: httpcore.AsyncNetworkBackend | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """A client like the bot's (`bot.services.http_client`), on the given policy."""
    transport = PolicyTransport(policy, network=network, verify=verify)
    return httpx.AsyncClient(transport=transport, trust_env=False)


class _Routed(httpcore.AsyncNetworkBackend):
    """A network where every address reaches `port` on 127.0.0.1; records what was dialled."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dialled: list[str] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append(host)
        return await self._real.connect_tcp("127.0.0.1", self.port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


def _policy_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "watchers.netpolicy" and r.levelno == logging.WARNING
    ]


# --- the address classifier -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("fc00::1", "private"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", ""),
        ("192.0.2.1", ""),  # documentation
        ("198.51.100.7", ""),
        ("203.0.113.9", ""),
        ("198.18.0.1", ""),  # benchmarking
        ("192.0.0.100", "special-purpose"),
        ("192.88.99.1", "special-purpose"),
        ("2001:db8::1", ""),
        ("3fff::1", "special-purpose"),
        ("2001::1", ""),  # Teredo
        ("100::1", ""),  # discard-only
        ("::ffff:10.0.0.1", "10.0.0.1, which is private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:c0a8::1", "192.168.0.0, which is private"),  # 6to4 around 192.168.0.0
        ("2002:7f00:1::1", "loopback"),
        ("64:ff9b::a00:1", "10.0.0.1, which is private"),  # NAT64 around 10.0.0.1
        ("64:ff9b::7f00:1", "loopback"),
        ("64:ff9b:1::1", ""),  # local-use NAT64
    ],
)
def test_non_public_addresses_are_refused_with_their_reason(address: str, kind: str) -> None:
    parsed = ip_address(address)
    reason = non_public_reason(parsed)
    assert reason is not None
    assert reason.startswith(str(parsed))
    assert kind in reason


@pytest.mark.parametrize(
    "address",
    [
        PUBLIC,
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "::ffff:8.8.8.8",  # IPv4-mapped public
        "64:ff9b::808:808",  # NAT64 to a public host: ordinary on IPv6-only networks
        "2002:808:808::1",  # 6to4 around a public host
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert non_public_reason(ip_address(address)) is None


_v4 = st.integers(0, 2**32 - 1).map(IPv4Address)
_v6 = st.integers(0, 2**128 - 1).map(IPv6Address)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_v4)
def test_an_ipv4_address_in_ipv6_clothing_is_judged_as_itself(address: IPv4Address) -> None:
    public = non_public_reason(address) is None
    mapped = IPv6Address(f"::ffff:{address}")
    nat64 = IPv6Address(int(IPv6Address("64:ff9b::")) | int(address))
    sixtofour = IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)
    for wrapped in (mapped, nat64, sixtofour):
        assert (non_public_reason(wrapped) is None) == public, wrapped


def _destination(address: IPv4Address | IPv6Address) -> IPv4Address | IPv6Address:
    """Where a packet to `address` ends up: IPv4 for mapped, 6to4 and NAT64 addresses."""
    if isinstance(address, IPv6Address):
        if address in IPv6Network("64:ff9b::/96"):
            return IPv4Address(int(address) & 0xFFFFFFFF)
        return address.ipv4_mapped or address.sixtofour or address
    return address


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.one_of(_v4, _v6))
def test_whatever_passes_is_globally_routable_unicast(address: IPv4Address | IPv6Address) -> None:
    if non_public_reason(address) is None:
        destination = _destination(address)
        assert destination.is_global
        assert not destination.is_multicast


_NETWORKS = [
    IPv4Network(n)
    for n in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
              "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4")
] + [IPv6Network(n) for n in ("::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8")]  # fmt: skip  # noqa: E501


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(_NETWORKS), st.integers(0, 2**128 - 1))
def test_every_address_of_a_private_range_is_refused(
    network: IPv4Network | IPv6Network, offset: int
) -> None:
    address = network[offset % network.num_addresses]
    assert non_public_reason(address) is not None


# --- the policy: trusted origins, resolution, one log line per host -----------------------------


def test_only_the_exact_origin_of_a_configured_url_is_trusted() -> None:
    policy = NetPolicy(
        ["HTTP://Feeds.LAN:8080/rss.xml?key=1", "https://news.example/feed", "data/feed.xml"]
    )
    trusted = ["http://feeds.lan:8080/other", "https://news.example:443/", "https://NEWS.example/x"]
    untrusted = [
        "https://feeds.lan:8080/rss.xml",  # another scheme
        "http://feeds.lan/rss.xml",  # another port
        "http://feeds.lan:8081/rss.xml",
        "http://news.example/feed",
        "https://sub.news.example/feed",
        "https://news.example.evil.test/feed",
    ]
    assert all(policy.trusts(httpx.URL(url)) for url in trusted)
    assert not any(policy.trusts(httpx.URL(url)) for url in untrusted)


async def test_one_non_public_address_among_public_ones_refuses_the_host(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = NetPolicy(resolver=_resolver({"mixed.example": [PUBLIC, "10.0.0.7"]}))
    for _ in range(3):
        with pytest.raises(Blocked) as refused:
            await policy.public_addresses("mixed.example", 80)
    assert refused.value.host == "mixed.example"
    assert refused.value.reason == "10.0.0.7 is private"
    assert _policy_warnings(caplog) == [
        (
            "refused to connect to mixed.example: 10.0.0.7 is private "
            "(further refusals of this host are not logged)"
        )
    ]


async def test_public_addresses_are_returned_once_each() -> None:
    policy = NetPolicy(resolver=_resolver({"cdn.example": [PUBLIC, "2606:4700::1", PUBLIC]}))
    assert await policy.public_addresses("cdn.example", 443) == [
        ip_address(PUBLIC),
        ip_address("2606:4700::1"),
    ]


# --- through the client ----------------------------------------------------------------------


async def test_a_link_to_another_port_on_the_feed_host_is_not_fetched(
    feeds: FeedServer, internal: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    feeds.set("/story", SECRET_PAGE, content_type="text/html")
    async with _client(NetPolicy([feeds.url("/wire.xml")])) as client:
        assert SECRET in await fetch_article(client, feeds.url("/story"))  # the trusted origin
        for _ in range(2):
            assert await fetch_article(client, internal.url("/internal/secret?token=abc")) == ""
    assert internal.requests == []
    [warning] = _policy_warnings(caplog)
    assert "127.0.0.1 is loopback" in warning
    assert "token" not in warning
    assert not [r for r in caplog.records if r.name == "watchers.article"]


async def test_a_redirect_from_a_trusted_page_to_another_origin_meets_the_policy(
    feeds: FeedServer, internal: FeedServer
) -> None:
    feeds.set("/go", b"", status=302, headers={"Location": internal.url("/internal/secret")})
    async with _client(NetPolicy([feeds.url("/wire.xml")])) as client:
        assert await fetch_article(client, feeds.url("/go")) == ""
    assert [r.path for r in feeds.requests] == ["/go"]
    assert internal.requests == []


async def test_a_redirect_within_the_trusted_origin_is_followed(feeds: FeedServer) -> None:
    feeds.set("/new.xml", b"<rss/>")
    feeds.set("/old.xml", b"", status=301, headers={"Location": "/new.xml"})
    async with _client(NetPolicy([feeds.url("/old.xml")])) as client:
        result = await fetch(client, feeds.url("/old.xml"), SourceState())
    assert result.error is None
    assert result.body == b"<rss/>"


async def test_a_name_resolving_to_a_private_address_is_refused(internal: FeedServer) -> None:
    """The name leads to the internal server's own address: any connection would reach it."""
    policy = NetPolicy(resolver=_resolver({"news.example": ["127.0.0.1"]}))
    async with _client(policy) as client:
        assert (
            await fetch_article(client, f"http://news.example:{internal.port}/internal/secret")
            == ""
        )
    assert internal.requests == []


@pytest.mark.parametrize(
    "host",
    ["localhost", "0.0.0.0", "2130706433", "0x7f.1", "127.1", "017700000001",
     "[::ffff:127.0.0.1]"],
)  # fmt: skip
async def test_spellings_of_the_loopback_address_are_refused(
    internal: FeedServer, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each of these reaches the internal server through a plain httpx client."""
    async with _client(NetPolicy()) as client:
        text = await fetch_article(client, f"http://{host}:{internal.port}/internal/secret")
    assert text == ""
    assert internal.requests == []
    [warning] = _policy_warnings(caplog)
    assert "loopback" in warning or "unspecified" in warning


async def test_the_checked_address_is_the_one_connected_to(internal: FeedServer) -> None:
    """DNS rebinding: a second lookup would say 127.0.0.1, so there must be no second lookup."""
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    network = _Routed(internal.port)
    async with _client(NetPolicy(resolver=rebinding), network=network) as client:
        text = await fetch_article(client, f"http://rebind.example:{internal.port}/internal/secret")
    assert SECRET in text  # the "public" server answered
    assert calls == ["rebind.example"]
    assert network.dialled == [PUBLIC]
    assert internal.requests[0].headers["host"] == f"rebind.example:{internal.port}"


async def test_unresolvable_names_fail_quietly(caplog: pytest.LogCaptureFixture) -> None:
    async def nowhere(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    async with _client(NetPolicy(resolver=nowhere)) as client:
        result = await fetch(client, "http://gone.example/feed.xml?key=abc", SourceState())
        assert await fetch_article(client, "http://gone.example/story") == ""
    assert result.error == "gone.example: connection failed (ConnectError)"
    assert _policy_warnings(caplog) == []


# --- TLS still checks the host name, not the address connected to ------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for news.example (and only that name)."""
    if which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=news.example",
         "-addext", "subjectAltName=DNS:news.example", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(SECRET_PAGE)))
            self.end_headers()
            self.wfile.write(SECRET_PAGE)

        def log_message(self, *args: object) -> None:
            """Quiet."""

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


async def test_tls_verifies_the_url_host_name(
    certificate: tuple[Path, Path], tls_server: int
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    resolver = _resolver({"news.example": [PUBLIC], "other.example": [PUBLIC]})
    network = _Routed(tls_server)
    async with _client(NetPolicy(resolver=resolver), network=network, verify=trust) as client:
        good = await fetch(client, f"https://news.example:{tls_server}/", SourceState())
        wrong = await fetch(client, f"https://other.example:{tls_server}/", SourceState())
    assert good.error is None
    assert good.body == SECRET_PAGE
    assert wrong.error == "other.example: connection failed (ConnectError)"
    assert network.dialled == [PUBLIC, PUBLIC]


# --- the running bot ---------------------------------------------------------------------------


async def _until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(200):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(what)


@pytest.fixture
async def wire_bot(
    telegram: FakeTelegram, settings: Settings, feeds: FeedServer, internal: FeedServer
) -> AsyncIterator[BotHarness]:
    """The real bot watching two configured feeds, polled every second; /moved.xml redirects
    to the internal service."""
    feeds.set("/wire.xml", make_rss([]))
    feeds.set("/moved.xml", b"", status=302, headers={"Location": internal.url("/feed.xml")})
    configured = replace(
        settings, feeds=(feeds.url("/wire.xml"), feeds.url("/moved.xml")), poll_seconds=1
    )
    harness = BotHarness(telegram, configured)
    await harness.start()
    yield harness
    await harness.stop()


async def _state(harness: BotHarness, path: str) -> SourceState | None:
    assert harness.store is not None
    return (await harness.store.sources.all()).get(f"127.0.0.1{path}")


async def test_the_bot_never_sends_text_from_an_internal_service(
    wire_bot: BotHarness, telegram: FakeTelegram, feeds: FeedServer, internal: FeedServer
) -> None:
    await wire_bot.send(USER, "/watch Lachin")

    async def polled() -> bool:
        state = await _state(wire_bot, "/wire.xml")
        return state is not None and state.last_success is not None

    await _until(polled, "the wire feed was not polled")
    feeds.set("/story", STORY_PAGE, content_type="text/html")
    mark = telegram.mark()
    now = datetime.now(UTC)
    items = [
        Item("Convoy in Laçın", internal.url("/internal/secret"), "Convoy in Laçın.", now),
        Item("Road to Laçın reopens", feeds.url("/story"), "Road to Laçın reopens.", now),
    ]
    feeds.set("/wire.xml", make_rss(items))
    alerts = await telegram.wait_for_sent(since=mark, chat_id=USER, count=2, timeout=10)
    [hostile] = [a for a in alerts if "Convoy in Laçın" in a.text]
    [story] = [a for a in alerts if "Road to Laçın reopens" in a.text]
    assert "twelve tonnes" in story.text  # pages on the feed's own origin are read
    assert "hunter2" not in hostile.text
    assert "operations" not in hostile.text
    assert internal.requests == []


async def test_the_bot_does_not_follow_a_feed_redirect_to_an_internal_service(
    wire_bot: BotHarness, internal: FeedServer
) -> None:
    async def refused() -> bool:
        state = await _state(wire_bot, "/moved.xml")
        return state is not None and state.errors >= 1

    await _until(refused, "the redirecting feed was not polled")
    state = await _state(wire_bot, "/moved.xml")
    assert state is not None
    assert state.last_error is not None
    assert "refused to connect to 127.0.0.1 (127.0.0.1 is loopback)" in state.last_error
    assert internal.requests == []


async def test_newswatch_scan_does_not_print_text_from_an_internal_service(
    feeds: FeedServer, internal: FeedServer
) -> None:
    now = datetime.now(UTC)
    items = [
        Item("Convoy in Laçın", internal.url("/internal/secret"), "Convoy in Laçın.", now),
        Item("Road to Laçın reopens", feeds.url("/story"), "Road to Laçın reopens.", now),
    ]
    feeds.set("/wire.xml", make_rss(items))
    feeds.set("/story", STORY_PAGE, content_type="text/html")
    settings = Settings(default_sources=False, google_news_url=None, gdelt_url=None)
    out, err = io.StringIO(), io.StringIO()
    await scan(
        settings, keywords=["Lachin"], feeds=[feeds.url("/wire.xml")], as_json=False, out=out,
        err=err,
    )  # fmt: skip
    assert "twelve tonnes" in out.getvalue()
    assert "Convoy in Laçın" in out.getvalue()
    assert "hunter2" not in out.getvalue()
    assert internal.requests == []
