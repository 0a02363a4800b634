"""Where the bot may connect: URLs taken from feed content never reach a private network.

Item links and redirect targets are chosen by whoever writes a feed or runs a web site, so a
hostile one could point the bot at `http://127.0.0.1:6379/` or `http://169.254.169.254/` and
have the answer summarised into a chat (server-side request forgery). `PolicyTransport` is the
shared client's transport: a request to an origin the operator configured (a feed, the search
services, the LLM) goes out as given, since operators may run those on their LAN; any other
request connects only when EVERY address its host resolves to is public. The check happens at
connect time, on the very addresses then connected to, so a DNS answer that changes between a
check and the connect (rebinding) cannot slip through; TLS still verifies the URL's host name.
`stream_get` follows redirects one hop at a time, so every hop is such a request of its own.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from ssl import SSLContext
from typing import NoReturn

import anyio
import httpcore
import httpx

__all__ = [
    "MAX_REDIRECTS",
    "Blocked",
    "NetPolicy",
    "PolicyTransport",
    "Resolver",
    "non_public_reason",
    "stream_get",
    "system_resolver",
]

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
"""Hops followed from one URL; news links rarely need more than a tracker, https and www."""

IPAddress = IPv4Address | IPv6Address
Origin = tuple[str, str, int]
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""`(host, port) -> addresses`; tests inject one that answers without DNS."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REPORTED_HOSTS = 10_000
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)

_CGNAT = IPv4Network("100.64.0.0/10")
_NAT64 = IPv6Network("64:ff9b::/96")
# Special-purpose ranges that Python 3.11's `is_global` still counts as global (newer Pythons
# know them): IETF protocol assignments, the retired 6to4 relay anycast, IPv6 documentation.
_SPECIAL = (IPv4Network("192.0.0.0/24"), IPv4Network("192.88.99.0/24"), IPv6Network("3fff::/20"))


def _kind(address: IPAddress) -> str | None:
    """The first reason `address` is not a public unicast address, or None."""
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (isinstance(address, IPv6Address) and address.is_site_local, "site-local"),
        (address.is_multicast, "multicast"),
        (address in _CGNAT, "shared address space (CGNAT)"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (any(address in network for network in _SPECIAL), "special-purpose"),
        (not address.is_global, "not globally routable"),
    )
    return next((kind for failed, kind in checks if failed), None)


def _embedded_v4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 (64:ff9b::/96) address leads to."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def non_public_reason(address: IPAddress) -> str | None:
    """Why connecting to `address` could reach a private network (a short phrase), or None.

    An IPv6 address that carries an IPv4 one (mapped, 6to4, NAT64) is judged by that IPv4
    address: NAT64 to a public host is ordinary traffic on an IPv6-only network.
    """
    if isinstance(address, IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            kind = _kind(embedded)
            return f"{address} leads to {embedded}, which is {kind}" if kind else None
    kind = _kind(address)
    return f"{address} is {kind}" if kind else None


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, as strings."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _configured_origin(url: str) -> Origin | None:
    """The origin of an operator's http(s) URL; None for anything else (e.g. a feed file)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    return _origin(parsed) if parsed.scheme in _DEFAULT_PORTS and parsed.host else None


def _origin(url: httpx.URL) -> Origin:
    return (
        url.scheme,
        url.raw_host.decode("ascii").lower(),
        url.port or _DEFAULT_PORTS.get(url.scheme, 0),
    )


class Blocked(httpx.TransportError):
    """A connection refused by the policy: `host` resolves to a non-public address."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"refused to connect to {host}: {reason}")
        self.host = host
        self.reason = reason


class NetPolicy:
    """Which origins are trusted as given, and the address check for every other one.

    Refusals are logged once per host: a hostile feed repeats its links every poll.
    """

    def __init__(
        self, trusted_urls: Iterable[str] = (), resolver: Resolver = system_resolver
    ) -> None:
        self._trusted = frozenset(filter(None, map(_configured_origin, trusted_urls)))
        self._resolver = resolver
        self._reported: set[str] = set()

    def trusts(self, url: httpx.URL) -> bool:
        """True when `url` shares scheme, host and port with a URL the operator configured."""
        return _origin(url) in self._trusted

    async def public_addresses(self, host: str, port: int) -> list[IPAddress]:
        """Resolve `host` once and return its addresses, or raise `Blocked` if any is not public.

        One private address among public ones is enough to refuse: which one a connection
        would use is not ours to choose once a name is shared with an internal service.
        """
        try:
            raw = list(dict.fromkeys(await self._resolver(host, port)))
        except OSError as exc:
            raise httpcore.ConnectError(f"{host}: name not resolved ({exc})") from exc
        if not raw:
            raise httpcore.ConnectError(f"{host}: name has no address")
        addresses: list[IPAddress] = []
        for text in raw:
            try:
                address = ip_address(text)
            except ValueError:
                self._refuse(host, f"{text!r} is not an IP address")
            reason = non_public_reason(address)
            if reason:
                self._refuse(host, reason)
            addresses.append(address)
        return addresses

    def _refuse(self, host: str, reason: str) -> NoReturn:
        if host not in self._reported:
            if len(self._reported) >= _REPORTED_HOSTS:  # a feed may invent endless host names
                self._reported.clear()
            self._reported.add(host)
            logger.warning(
                "refused to connect to %s: %s (further refusals of this host are not logged)",
                host,
                reason,
            )
        raise Blocked(host, reason)


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the policy has just checked, never to a name."""

    def __init__(self, policy: NetPolicy, network: httpcore.AsyncNetworkBackend) -> None:
        self._policy = policy
        self._network = network

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self._policy.public_addresses(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"{host}: resolving timed out") from exc
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._network.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:  # the next address may answer
                failure = exc
        assert failure is not None  # public_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from feed content")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, over a connection pool that connects through `_CheckedBackend`.

    httpx takes no network backend, so its pool is replaced by an identical one that does.
    """

    def __init__(self, backend: httpcore.AsyncNetworkBackend, verify: SSLContext | bool) -> None:
        super().__init__(verify=verify, limits=_LIMITS)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=_LIMITS.max_connections,
            max_keepalive_connections=_LIMITS.max_keepalive_connections,
            keepalive_expiry=_LIMITS.keepalive_expiry,
            network_backend=backend,
        )


class PolicyTransport(httpx.AsyncBaseTransport):
    """Trusted origins through a plain transport, everything else through the checked one.

    The two keep separate connection pools, so a connection opened for a trusted origin is
    never handed to a request the policy would refuse. `network` and `verify` are for tests
    (a network that routes a public address to a local server; a test certificate authority).
    """

    def __init__(
        self,
        policy: NetPolicy,
        *,
        network: httpcore.AsyncNetworkBackend | None = None,
        verify: SSLContext | bool = True,
    ) -> None:
        self._policy = policy
        self._trusted = httpx.AsyncHTTPTransport(verify=verify, limits=_LIMITS)
        backend = _CheckedBackend(policy, network or httpcore.AnyIOBackend())
        self._checked = _CheckedTransport(backend, verify)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._policy.trusts(request.url):
            return await self._trusted.handle_async_request(request)
        return await self._checked.handle_async_request(request)

    async def aclose(self) -> None:
        await self._trusted.aclose()
        await self._checked.aclose()


@asynccontextmanager
async def stream_get(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: float,  # noqa: ASYNC109 - httpx's per-request timeout, not a deadline
) -> AsyncIterator[httpx.Response]:
    """GET `url` as a stream, following at most `MAX_REDIRECTS` redirects one hop at a time.

    Each hop is its own request through the client's transport, so a redirect from a trusted
    feed to another origin meets the policy like any link from content.
    """
    request = client.build_request("GET", url, headers=headers, timeout=timeout)
    for _ in range(MAX_REDIRECTS + 1):
        response = await client.send(request, stream=True, follow_redirects=False)
        if response.next_request is None:
            break
        await response.aclose()
        request = response.next_request
    else:
        raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=request)
    try:
        yield response
    finally:
        await response.aclose()
