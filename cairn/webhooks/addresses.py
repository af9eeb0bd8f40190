"""Which addresses a webhook may be sent to: http(s) only, and never an internal network.

A webhook is a way to make the server open a connection of the owner's choosing; left
open, it would reach the database, a cloud's metadata service or an admin page on the
loopback. So every address the name resolves to must be public, unless the installation
allows private ones (``CAIRN_WEBHOOKS_ALLOW_PRIVATE``). The check runs when a webhook is
saved and again when each delivery is sent, and the connection then goes to the address
that was checked (``Target.address``), so a name that changes its answer in between
(DNS rebinding) cannot slip past.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = {"http": 80, "https": 443}


class AddressRefused(Exception):
    """The address cannot be used; the message says why, in words for the owner."""


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the URL's parts and the one checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # with the query string
    address: str


def allow_private() -> bool:
    return bool(getattr(settings, "CAIRN_WEBHOOKS_ALLOW_PRIVATE", False))


def _why_not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """ "" for a public address, else what it is, in words."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for test, words in (
        (ip.is_loopback, "a loopback address (this server itself)"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "an address on a private network"),
        (ip.is_reserved, "a reserved address"),
        # Shared (carrier) space and the like: not private, not on the internet either.
        (not ip.is_global, "an address that is not on the public internet"),
    ):
        if test:
            return words
    return ""


def split(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an http(s) URL, or AddressRefused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise AddressRefused("This is not a web address Cairn can read.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise AddressRefused(
            "Only web addresses starting with https:// (or http://) can receive webhooks."
        )
    host = parts.hostname
    if not host:
        raise AddressRefused("The address has no server name, e.g. https://example.com/hook.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or SCHEMES[scheme], path


def resolve(url: str, *, private: bool | None = None, what: str = "Webhooks") -> Target:
    """The URL's target, after checking every address its name resolves to, or
    AddressRefused (not http(s), no such server, or an internal address not allowed).

    ``private`` overrides the webhooks' setting (KPI connectors have their own); ``what``
    names the feature in the refusal."""
    if private is None:
        private = allow_private()
    scheme, host, port, path = split(url)
    unknown = f"No server answers to the name “{host}”: check the address."
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (UnicodeError, OSError):  # socket.gaierror is an OSError
        raise AddressRefused(unknown) from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise AddressRefused(unknown)
    if not private:
        for address in addresses:
            why = _why_not_public(ipaddress.ip_address(address.split("%")[0]))
            if why:
                shown = host if host == address else f"{host} ({address})"
                raise AddressRefused(
                    f"{shown} is {why}. {what} only go to public addresses, so that they "
                    "cannot be used to reach systems inside your network."
                )
    return Target(scheme, host, port, path, addresses[0])


def problem(url: str) -> str:
    """Why a webhook cannot be saved with this URL, or ""."""
    try:
        resolve(url)
    except AddressRefused as e:
        return str(e)
    return ""
