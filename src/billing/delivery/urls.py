"""Which URLs a webhook endpoint may have.

Every endpoint URL must be one the HTTP client can send to (parsed as httpx parses it when
the webhook goes out: a host, a valid port, no whitespace), so that a stored URL never makes
the delivery job itself fail. In production, hosts the service's own network would answer
for (loopback, private, link-local such as the cloud metadata address 169.254.169.254,
unspecified, reserved; ``localhost``) are refused, whatever way the address is written
(``127.1``, ``0x7f.0.0.1``, ``2130706433`` and ``[::ffff:127.0.0.1]`` are all loopback).
Names are not resolved here: endpoints are the operator's own integration, managed by its
staff only, and a name that resolves inside the network is the operator's choice.
"""

from __future__ import annotations

import ipaddress
import socket

import httpx

SCHEMES = ("https://", "http://")


def url_problem(value: str) -> str | None:
    """Why ``value`` cannot be a webhook URL, or None when it can."""
    if not value.startswith(SCHEMES) or any(c.isspace() for c in value):
        return "must be an http(s) URL such as 'https://saas.example.com/hooks/billing'"
    try:
        url = httpx.URL(value)
        host = url.host
        port = url.port
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are ValueErrors
        return f"is not a valid URL ({exc})"
    if not host:
        return "must name a host"
    if port is not None and not 1 <= port <= 65535:
        return f"has an invalid port {port}"
    return None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # The forms inet_aton reads, as resolvers do: 127.1, 0x7f.0.0.1, 2130706433.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def internal_host_problem(value: str) -> str | None:
    """Why ``value`` (a valid webhook URL) points inside the service's network, or None."""
    host = httpx.URL(value).host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return f"names the local host '{host}'"
    address = _address(host)
    if address is None:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    if not address.is_global or address.is_multicast:
        return f"points at {address}, an address that is not public"
    return None
