"""Where a page load comes from, and how many new chats each address may start an hour."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network
HOUR = 3600.0


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR ranges, e.g. ``10.0.0.1, 192.168.0.0/24``; raises ValueError."""
    return tuple(ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip())


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The address a limit applies to.

    X-Forwarded-For counts only when the peer is a trusted proxy; then the rightmost
    address that is not a trusted proxy is the client (everything left of it could be
    made up by the client). IPv6 addresses count per /64, the block one connection gets.
    """
    address = _parse(peer)
    if address is None:
        return peer or "unknown"
    if _is_trusted(address, trusted):
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
        for hop in reversed(hops):
            forwarded = _parse(hop)
            if forwarded is None:
                break
            address = forwarded
            if not _is_trusted(forwarded, trusted):
                break
    if isinstance(address, IPv6Address):
        return str(ip_network(f"{address}/64", strict=False))
    return str(address)


def _parse(text: str | None) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPv4Address | IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


class NewSessionLimit:
    """At most `per_hour` new sessions per address within any hour, counted in this process.

    Memory stays bounded: at most `max_keys` addresses are remembered; when full, the one
    that started a session longest ago is forgotten first.
    """

    def __init__(self, per_hour: int = 20, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000) -> None:
        self.per_hour = per_hour
        self.clock = clock
        self.max_keys = max_keys
        self._starts: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Count a new session for `key` if it is within the limit."""
        now = self.clock()
        starts = self._starts.get(key)
        if starts is None:
            while len(self._starts) >= self.max_keys:
                self._starts.popitem(last=False)
            starts = self._starts[key] = deque(maxlen=self.per_hour)
        while starts and now - starts[0] >= HOUR:
            starts.popleft()
        if len(starts) >= self.per_hour:
            return False
        starts.append(now)
        self._starts.move_to_end(key)
        return True
