"""The limits that hold in public, over real server processes on one Redis: rooms started per
address and hour (shared by the instances), connections per address, the trainer passcode
lifting the workshop limit, and a venue's many phones behind one address getting in.

Clients claim their address with ``X-Forwarded-For`` (believed: they connect from 127.0.0.1,
the default ``FORWARDED_ALLOW_IPS``), documentation addresses of 203.0.113.0/24. Loopback itself
is exempt (``LIMIT_EXEMPT_ADDRESSES``), so the other end-to-end tests are not limited. (The
message rate per connection is tested in ``test_bad_input.py``, the cap on live rooms in
``test_live_rooms_cap.py``.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from e2e.e2e_support import SCENARIO, AddressedClient, Client, ServerProcess, is_type

LIMITED = {
    "WORKSHOPS_PER_ADDRESS_HOUR": "3",
    "SOLO_GAMES_PER_ADDRESS_HOUR": "2",
    "CONNECTIONS_PER_ADDRESS": "5",
}

Make = Callable[..., Awaitable[Client]]


@pytest.fixture(scope="module")
def limited(start_server: Callable[..., ServerProcess]) -> tuple[ServerProcess, ServerProcess]:
    """Two instances with small limits, on the same Redis."""
    return start_server("lim1", LIMITED), start_server("lim2", LIMITED)


@pytest.fixture
async def make() -> AsyncIterator[Make]:
    """``await make(server, address, name="c", hello=True)``: a connected client, closed after
    the test."""
    made: list[Client] = []

    async def make_client(
        server: ServerProcess, address: str, name: str = "c", hello: bool = True
    ) -> Client:
        client = AddressedClient(server.ws_url, name, address)
        await client.open()
        made.append(client)
        if hello:
            await client.hello()
        return client

    try:
        yield make_client
    finally:
        await asyncio.gather(*(c.close() for c in made), return_exceptions=True)


@pytest.fixture(autouse=True)
async def not_at_the_hour() -> None:
    """Room starts are counted per clock hour: a test that began in its last seconds would see
    its counts start again."""
    into_hour = time.time() % 3600
    if into_hour > 3590:
        await asyncio.sleep(3601 - into_hour)


def create(mode: str, **extra: object) -> dict[str, object]:
    return {"type": "create_room", "scenario_id": SCENARIO, "mode": mode, **extra}


async def start(make: Make, server: ServerProcess, address: str, mode: str) -> dict[str, object]:
    """One room start from ``address`` on its own connection (closed after): the answer."""
    client = await make(server, address)
    answer = await client.request(create(mode))
    await client.close()
    return answer


async def test_workshops_per_address_are_limited_for_every_instance_together(
    make: Make, limited: tuple[ServerProcess, ServerProcess]
) -> None:
    """From one address, 3 workshops an hour (two on one instance, one on the other); the
    4th is refused on either instance with ``room/create_rate_limited`` and a message that
    says what to do. Another address still starts one, and solo games have their own count."""
    one, two = limited
    venue = "203.0.113.30"
    answers = [await start(make, s, venue, "workshop") for s in (one, one, two)]
    assert [a["type"] for a in answers] == ["room_created"] * 3
    for server in (two, one):
        refused = await start(make, server, venue, "workshop")
        assert refused["code"] == "room/create_rate_limited", refused
        assert "3 workshops this hour" in str(refused["message"])
        assert "trainer passcode" in str(refused["message"])
    assert (await start(make, one, "203.0.113.31", "workshop"))["type"] == "room_created"
    assert (await start(make, two, venue, "solo"))["type"] == "room_created"


async def test_solo_games_per_address_are_limited(
    make: Make, limited: tuple[ServerProcess, ServerProcess]
) -> None:
    one, two = limited
    home = "203.0.113.32"
    assert (await start(make, one, home, "solo"))["type"] == "room_created"
    assert (await start(make, two, home, "solo"))["type"] == "room_created"
    refused = await start(make, one, home, "solo")
    assert refused["code"] == "room/create_rate_limited"
    assert "2 solo games this hour" in str(refused["message"])
    assert (await start(make, one, home, "workshop"))["type"] == "room_created"


async def test_a_refused_room_start_is_not_counted(
    make: Make, limited: tuple[ServerProcess, ServerProcess]
) -> None:
    """Starts that fail for another reason (no such scenario) give their count back: the
    address still starts its 3 workshops."""
    one, _ = limited
    address = "203.0.113.33"
    client = await make(one, address)
    for _ in range(4):
        wrong = await client.request(create("workshop", scenario_id="no-such-person"))
        assert wrong["code"] == "content/scenario_not_found"
    await client.close()
    answers = [await start(make, one, address, "workshop") for _ in range(3)]
    assert [a["type"] for a in answers] == ["room_created"] * 3
    assert (await start(make, one, address, "workshop"))["code"] == "room/create_rate_limited"


async def test_the_trainer_passcode_lifts_the_workshop_limit(
    make: Make, start_server: Callable[..., ServerProcess]
) -> None:
    """With ``TRAINER_PASSCODE`` set, a trainer who gives it starts as many workshops as
    needed (here 4 with a limit of 1); without it the passcode is asked for, not the limit."""
    server = start_server(
        "trainer", {"TRAINER_PASSCODE": "s3cret", "WORKSHOPS_PER_ADDRESS_HOUR": "1"}
    )
    address = "203.0.113.34"
    for _ in range(4):
        client = await make(server, address)
        created = await client.request(create("workshop", passcode="s3cret"))
        assert created["type"] == "room_created", created
        await client.close()
    client = await make(server, address)
    assert (await client.request(create("workshop")))["code"] == "auth/passcode"


async def test_connections_per_address_are_limited_on_each_instance(
    make: Make, limited: tuple[ServerProcess, ServerProcess]
) -> None:
    """An address holds 5 connections open on an instance; the 6th is told
    ``server/too_many_connections`` and closed with 1013 (try again later). Another address, and
    the same address on the other instance, still connect; once one of the 5 closes, a new
    connection from the address is served again."""
    one, two = limited
    crowd = "203.0.113.40"
    held = [await make(one, crowd, f"h{i}") for i in range(5)]
    extra = await make(one, crowd, "extra", hello=False)
    error = await extra.next(is_type("error"))
    assert error["code"] == "server/too_many_connections"
    assert "too many connections from your network" in error["message"]
    assert extra.ws is not None
    await asyncio.wait_for(extra.ws.wait_closed(), 5)
    assert extra.ws.close_code == 1013

    await make(one, "203.0.113.41")  # another address
    await make(two, crowd)  # the other instance counts its own
    await held[0].close()
    for _ in range(50):
        again = await make(one, crowd, "again", hello=False)
        await again.send({"type": "hello", "protocol": 1})
        first = await again.next(lambda m: m.get("type") in ("welcome", "error"))
        if first["type"] == "welcome":
            break
        await again.close()
        await asyncio.sleep(0.1)  # the server has not seen the close yet
    else:
        raise AssertionError("a connection from the address was never served again")


async def test_a_venue_behind_one_address_gets_in(
    make: Make, start_server: Callable[..., ServerProcess]
) -> None:
    """The default limits at a venue: one public address (the venue's NAT) for the trainer
    and 300 phones. The trainer starts a workshop, every phone connects and joins it (right
    room codes are never limited), and 40 of them start solo games as well."""
    server = start_server("venue")
    venue = "203.0.113.50"
    trainer = await make(server, venue, "trainer")
    created, _ = await trainer.create("workshop")
    code = str(created["code"])

    async def phone(i: int) -> Client:
        client = await make(server, venue, f"phone{i}")
        await client.join(code, f"手机{i}")
        return client

    phones: list[Client] = []
    for batch in range(0, 300, 50):
        phones += await asyncio.gather(*(phone(i) for i in range(batch, batch + 50)))
    assert len({p.player_id for p in phones}) == 300
    roster = server.get(
        f"/api/rooms/{code}/players", headers={"Authorization": f"Bearer {trainer.token}"}
    ).json()
    assert len(roster) == 300
    assert sum(1 for r in roster if r["connected"]) == 300

    solo = await asyncio.gather(*(start(make, server, venue, "solo") for _ in range(40)))
    assert [a["type"] for a in solo] == ["room_created"] * 40
