"""Client addresses behind proxies, and network allow-lists."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from starlette.requests import HTTPConnection

Network = IPv4Network | IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs or single addresses (``10.0.0.0/8, 196.201.214.200``)."""
    return tuple(
        ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
    )


def _address(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def in_networks(address: str, networks: Iterable[Network]) -> bool:
    """True when ``address`` parses and lies in one of ``networks``."""
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def client_address(connection: HTTPConnection, trusted_proxies: tuple[Network, ...]) -> str:
    """The caller's address: the socket peer, or, when the peer is a trusted proxy, the
    right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy.

    Entries left of a trusted hop were written by the client and could be anything, so they
    are only believed while every hop to their right is a trusted proxy.
    """
    peer = connection.client.host if connection.client else ""
    if not trusted_proxies or not in_networks(peer, trusted_proxies):
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            return peer
        if not in_networks(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer
