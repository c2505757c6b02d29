"""Where phones join: the LAN addresses found on this machine, and the join address chosen."""

from __future__ import annotations

import ipaddress
import socket
from typing import TypedDict
from unittest import mock

import pytest

from game_server.config import Settings
from game_server.lan import (
    interface_addresses,
    is_loopback_host,
    join_base,
    lan_addresses,
    rank_addresses,
    routed_address,
)
from game_server.serve import where_to_join


def test_interfaces_include_loopback_and_lan_lists_none_of_it() -> None:
    """The ioctl listing sees loopback (every Linux machine has it); the candidates never hold
    loopback or link-local addresses."""
    names = dict(interface_addresses())
    assert names.get("lo") == "127.0.0.1"
    for address in lan_addresses():
        ip = ipaddress.IPv4Address(address)
        assert not ip.is_loopback
        assert not ip.is_link_local


def test_routed_address_sends_nothing_and_is_an_interface_address() -> None:
    """``connect()`` on UDP only picks a route: no ``send`` is ever called, and the address it
    yields is one of this machine's interfaces."""
    real = socket.socket
    sent: list[object] = []

    class Watched(real):  # type: ignore[misc,valid-type]
        def send(self, *args: object, **kwargs: object) -> int:
            sent.append(args)
            return 0

        def sendto(self, *args: object, **kwargs: object) -> int:
            sent.append(args)
            return 0

    with mock.patch("socket.socket", Watched):
        found = routed_address()
    assert sent == []
    if found is not None:
        assert found in {a for _, a in interface_addresses()}


def test_no_route_means_no_routed_address() -> None:
    # A laptop off every network: connect() fails at once ("network is unreachable").
    with mock.patch("socket.socket.connect", side_effect=OSError("unreachable")):
        assert routed_address() is None


def test_ranking_puts_the_outward_route_first_and_virtual_interfaces_last() -> None:
    interfaces = [
        ("lo", "127.0.0.1"),
        ("docker0", "172.17.0.1"),
        ("wlan0", "192.168.1.23"),
        ("eth1", "169.254.3.4"),
        ("eth0", "10.0.0.5"),
    ]
    assert rank_addresses("10.0.0.5", interfaces) == ["10.0.0.5", "192.168.1.23", "172.17.0.1"]
    assert rank_addresses(None, interfaces) == ["192.168.1.23", "10.0.0.5", "172.17.0.1"]
    assert rank_addresses("127.0.0.1", [("lo", "127.0.0.1")]) == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.8.9.1"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["192.168.1.2", "gig.example.org", "0.0.0.0"])
def test_not_loopback_hosts(host: str) -> None:
    assert not is_loopback_host(host)


class Served(TypedDict):
    """The parts of the join address every case here shares."""

    scheme: str
    port: int | None


BASE: Served = {"scheme": "http", "port": 8000}


def test_page_opened_on_loopback_joins_at_the_lan_address() -> None:
    got = join_base(
        public_url=None, bind_host="0.0.0.0", page_host="localhost",
        candidates=["192.168.1.23", "10.0.0.5"], **BASE,
    )  # fmt: skip
    assert (got.url, got.source, got.reachable) == ("http://192.168.1.23:8000", "lan", True)


def test_public_url_wins() -> None:
    got = join_base(
        public_url="https://gig.example.org/", bind_host="0.0.0.0", page_host="localhost",
        candidates=["192.168.1.23"], **BASE,
    )  # fmt: skip
    assert (got.url, got.source) == ("https://gig.example.org", "public_url")


def test_page_opened_on_a_lan_address_keeps_it() -> None:
    got = join_base(
        public_url=None, bind_host="0.0.0.0", page_host="192.168.1.23",
        candidates=["10.0.0.5"], **BASE,
    )  # fmt: skip
    assert (got.url, got.source) == ("http://192.168.1.23:8000", "page")


def test_only_loopback_says_phones_cannot_join() -> None:
    got = join_base(
        public_url=None, bind_host="0.0.0.0", page_host="127.0.0.1", candidates=[], **BASE
    )
    assert (got.url, got.problem) == ("http://127.0.0.1:8000", "loopback_only")
    assert not got.reachable


def test_listening_on_loopback_says_phones_cannot_join_even_with_a_lan() -> None:
    got = join_base(
        public_url=None, bind_host="127.0.0.1", page_host="127.0.0.1",
        candidates=["192.168.1.23"], **BASE,
    )  # fmt: skip
    assert got.problem == "bound_to_loopback"


def test_listening_on_one_address_joins_there() -> None:
    got = join_base(
        public_url=None, bind_host="192.168.1.23", page_host="localhost",
        candidates=["10.0.0.5"], **BASE,
    )  # fmt: skip
    assert got.url == "http://192.168.1.23:8000"


def test_start_up_lines_name_the_lan_address_or_say_why_not() -> None:
    lines = where_to_join(Settings(host="0.0.0.0", port=8123), ["192.168.1.23", "10.0.0.5"])
    assert "Phones on the same Wi-Fi join at: http://192.168.1.23:8123/" in lines
    assert any("10.0.0.5:8123" in line for line in lines)
    alone = where_to_join(Settings(host="0.0.0.0", port=8123), [])
    assert any(line.startswith("Phones cannot join yet") for line in alone)
    local = where_to_join(Settings(host="127.0.0.1", port=8123), ["192.168.1.23"])
    assert any("HOST=0.0.0.0" in line for line in local)
