"""Where phones in the room can reach this server: its LAN addresses and the join address.

A trainer runs the server on a laptop and opens the host page on ``localhost``; the phones need
the laptop's address on the room's Wi-Fi. Host-name resolution is no help (on many machines the
host name resolves to 127.0.0.1), so the addresses come from the network stack itself:

- the address of the interface that routes outward: ``connect()`` on a UDP socket picks the
  route and the source address but sends nothing (UDP has no handshake);
- every interface's IPv4 address (Linux: ``SIOCGIFADDR`` per interface name), as candidates.

Pure standard library, no tool is spawned. :func:`join_base` (pure) then decides which address
goes into the QR code, and says plainly when phones cannot reach the server at all.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

OUTWARD_PROBE = ("223.5.5.5", 53)
"""Any address outside the LAN picks the default route; nothing is sent to it (a public DNS
resolver's address, reachable from China, only so the route is the one phones' traffic takes)."""

SIOCGIFADDR = 0x8915
"""Linux's ioctl: the IPv4 address of the interface named in the request."""

VIRTUAL_PREFIXES = ("docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "tun", "tap", "zt", "ifb")
"""Interfaces of containers, VMs and VPNs: phones on the Wi-Fi cannot reach them (listed last)."""


def _usable(address: str) -> bool:
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast)


def routed_address(probe: tuple[str, int] = OUTWARD_PROBE) -> str | None:
    """The source address of the route outward, or ``None`` with no route (no packet sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(probe)
            address = str(s.getsockname()[0])
    except OSError:
        return None
    return address if _usable(address) else None


def interface_addresses() -> list[tuple[str, str]]:
    """(interface name, IPv4 address) of every interface that has one (Linux; elsewhere empty)."""
    try:
        import fcntl  # not on Windows
    except ImportError:  # pragma: no cover - Windows
        return []
    found: list[tuple[str, str]] = []
    try:
        names = socket.if_nameindex()
    except OSError:  # pragma: no cover - no interface listing here
        return []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in names:
            request = struct.pack("256s", name.encode()[:15])
            with contextlib.suppress(OSError):  # an interface without an IPv4 address
                reply = fcntl.ioctl(s.fileno(), SIOCGIFADDR, request)
                found.append((name, socket.inet_ntoa(reply[20:24])))
    return found


def rank_addresses(routed: str | None, interfaces: Sequence[tuple[str, str]]) -> list[str]:
    """The candidates phones may reach, best first: the outward route's address, then other
    physical interfaces, then virtual ones; never loopback or link-local."""
    physical: list[str] = []
    virtual: list[str] = []
    for name, address in interfaces:
        if not _usable(address):
            continue
        (virtual if name.startswith(VIRTUAL_PREFIXES) else physical).append(address)
    ordered = ([routed] if routed and _usable(routed) else []) + physical + virtual
    return list(dict.fromkeys(ordered))


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, best first (no packet is sent)."""
    return rank_addresses(routed_address(), interface_addresses())


JoinProblem = Literal["loopback_only", "bound_to_loopback"]


@dataclass(frozen=True, slots=True)
class JoinBase:
    """The address phones should open, and why (``problem`` when no phone can reach it)."""

    url: str
    source: Literal["public_url", "page", "lan", "loopback"]
    problem: JoinProblem | None = None

    @property
    def reachable(self) -> bool:
        return self.problem is None


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def join_base(
    *,
    public_url: str | None,
    bind_host: str,
    scheme: str,
    page_host: str,
    port: int | None,
    candidates: Sequence[str],
) -> JoinBase:
    """The base of the join address: ``PUBLIC_URL`` if set; else the address the host page was
    opened on, unless that is loopback, then the best LAN address (on the same port). When the
    server listens on loopback only, or the machine has no other address, the loopback address
    is kept and ``problem`` says why phones cannot use it."""
    if public_url:
        return JoinBase(public_url.rstrip("/"), "public_url")
    suffix = f":{port}" if port else ""
    page = f"{scheme}://{_bracket(page_host)}{suffix}"
    if not is_loopback_host(page_host):
        return JoinBase(page, "page")
    if is_loopback_host(bind_host):
        return JoinBase(page, "loopback", "bound_to_loopback")
    if bind_host not in ("0.0.0.0", "::", "") and _usable(bind_host):
        return JoinBase(f"{scheme}://{bind_host}{suffix}", "lan")
    if candidates:
        return JoinBase(f"{scheme}://{candidates[0]}{suffix}", "lan")
    return JoinBase(page, "loopback", "loopback_only")


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
