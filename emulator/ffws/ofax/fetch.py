"""Fetching an external attachment: only because the client asked for it, and never against the emulator itself.

- one deadline for the whole fetch (name lookup, connect, every redirect, the last byte), the size cap while the
  body streams in;
- http and https only; every hop of a redirect is checked again;
- never the emulator's own listeners (its HTTP and HTTPS ports on a local address), never an ``/_emulator`` path;
- the hosts of ``--external-allow`` only (when set), never those of ``--external-deny``;
- it runs on the event loop (asynchronous HTTP, the name lookup and file writes aside), so a slow server never
  holds one of the worker threads that serve requests.

The name is looked up once for the checks and again by the HTTP client when it connects: a name that changes its
address in between (DNS rebinding) is not caught. The failure's details go to the request journal; the device's
answer only says the attachment could not be fetched.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import posixpath
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import anyio
import anyio.to_thread

if TYPE_CHECKING:
    from emulator.ffws.ofax.intake import Blob

MAX_REDIRECTS = 5
WRITE_CHUNK = 1024 * 1024
CONTROL_PREFIX = "/_emulator"
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """Why an external attachment was not fetched (for the journal)."""


@dataclass(frozen=True)
class HostRules:
    names: frozenset[str] = frozenset()  # exact host names
    domains: tuple[str, ...] = ()  # ".example.com": the domain and everything under it
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> HostRules:
        names, domains, networks = set(), [], []
        for entry in (part.strip().lower() for part in text.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                (domains.append(entry) if entry.startswith(".") else names.add(entry.rstrip(".")))
        return cls(frozenset(names), tuple(domains), tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.names or self.domains or self.networks)

    def match(self, host: str, addresses: list[Address]) -> bool:
        if host in self.names or any(host == d[1:] or host.endswith(d) for d in self.domains):
            return True
        return any(address in network for address in addresses for network in self.networks)


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float
    limit: int
    allow: HostRules
    deny: HostRules
    own_ports: frozenset[int]  # the emulator's listeners: never fetched on a local address


def _plain(address: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped, 6to4 or IPv4-compatible IPv6 one (``[::ffff:127.0.0.1]`` is
    127.0.0.1 to every check), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d (deprecated IPv4-compatible form)
            return ipaddress.IPv4Address(int(address))
        if address in NAT64:  # 64:ff9b::a.b.c.d reaches a.b.c.d through a NAT64 gateway
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


@functools.cache
def _machine_addresses() -> frozenset[Address]:
    """This machine's own addresses (its host name's), where a listener on 0.0.0.0 also answers."""
    try:
        found = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return frozenset()
    return frozenset(_plain(ipaddress.ip_address(info[4][0].split("%", 1)[0])) for info in found)


async def _addresses(host: str, port: int) -> list[Address]:
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"cannot resolve {host}: {exc.strerror or exc}") from None
    return [_plain(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])) for info in infos]


async def check_url(url: str, policy: FetchPolicy) -> None:
    """Refuse what the emulator must not fetch (see the module's docstring)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'}")
    host = (parts.hostname or "").lower().rstrip(".")  # "example.com." is example.com
    if not host:
        raise Refused("no host in the URL")
    path = posixpath.normpath("/" + unquote(parts.path).lstrip("/"))  # as served: /%5Femulator, /a/../_emulator
    if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
        raise Refused("the emulator's control plane is never fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("invalid port") from None
    addresses = await _addresses(host, port)
    if policy.deny.match(host, addresses):
        raise Refused(f"host {host} is denied (--external-deny)")
    if policy.allow and not policy.allow.match(host, addresses):
        raise Refused(f"host {host} is not allowed (--external-allow)")
    if port in policy.own_ports:
        machine = await anyio.to_thread.run_sync(_machine_addresses)  # a name lookup: never on the event loop
        if any(a.is_loopback or a.is_unspecified or a in machine for a in addresses):
            raise Refused("the emulator never fetches from its own listeners")


async def fetch_external(url: str, blob: Blob, policy: FetchPolicy) -> Blob:
    """Fetch ``url`` into the blob; any failure is recorded in ``blob.error`` (for the journal), never raised."""
    try:
        with anyio.fail_after(policy.timeout):
            await _fetch(url, blob, policy)
    except TimeoutError:
        blob.error = f"{url}: no complete answer within {policy.timeout:g} s"
    except Refused as exc:
        blob.error = f"{url}: {exc}"
    except Exception as exc:  # httpx's errors, a broken connection, a bad URL: the fetch failed, the box goes on
        blob.error = f"{url}: {exc.__class__.__name__}"
    return blob


async def _fetch(url: str, blob: Blob, policy: FetchPolicy) -> None:
    import httpx  # only faxes with external attachments need an HTTP client

    # No proxy from the environment: the checks above are about the host that is actually connected to.
    async with httpx.AsyncClient(follow_redirects=False, timeout=policy.timeout, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            await check_url(url, policy)
            async with client.stream("GET", url) as response:
                if response.is_redirect and "location" in response.headers:
                    url = str(response.url.join(response.headers["location"]))
                    continue
                if response.status_code != 200:
                    raise Refused(f"HTTP {response.status_code}")
                blob.content_type = response.headers.get("content-type", "")
                await _save(response, blob, policy.limit)
                return
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


async def _save(response: object, blob: Blob, limit: int) -> None:
    digest = hashlib.sha256()
    pending: list[bytes] = []
    buffered = 0
    with blob.path.open("wb") as out:
        async for chunk in response.aiter_bytes():  # type: ignore[attr-defined]
            blob.size += len(chunk)
            if blob.size > limit:
                raise Refused(f"larger than {limit} bytes")
            digest.update(chunk)
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= WRITE_CHUNK:
                await anyio.to_thread.run_sync(out.write, b"".join(pending))
                pending, buffered = [], 0
        if pending:
            await anyio.to_thread.run_sync(out.write, b"".join(pending))
    blob.sha256 = digest.hexdigest()
