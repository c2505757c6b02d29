"""The cap on live rooms (``MAX_LIVE_ROOMS``), for the whole deployment: over two real server
processes on this module's own, empty Redis, so the count is exactly the rooms made here."""

from __future__ import annotations

from collections.abc import Callable

from e2e.e2e_support import SCENARIO, ServerProcess, connect_client


async def test_live_rooms_are_capped_for_the_whole_deployment(
    start_server: Callable[..., ServerProcess],
) -> None:
    """With ``MAX_LIVE_ROOMS=3`` across two instances, three rooms are made (two on one, one
    on the other; from loopback, which the per-address limits exempt — this cap holds for
    everyone); a fourth, solo or workshop, on either instance is refused with
    ``server/too_many_rooms``. Joining a live room still works."""
    cap = {"MAX_LIVE_ROOMS": "3"}
    one, two = start_server("cap1", cap), start_server("cap2", cap)
    codes = []
    for server, mode in ((one, "workshop"), (one, "solo"), (two, "workshop")):
        client = await connect_client(server.ws_url, "maker")
        created = await client.request(
            {"type": "create_room", "scenario_id": SCENARIO, "mode": mode}
        )
        assert created["type"] == "room_created", created
        codes.append(str(created["code"]))
        await client.close()
    for server in (one, two):
        for mode in ("solo", "workshop"):
            client = await connect_client(server.ws_url, "late")
            refused = await client.request(
                {"type": "create_room", "scenario_id": SCENARIO, "mode": mode}
            )
            assert refused["code"] == "server/too_many_rooms", refused
            assert "as many rooms as it can" in refused["message"]
            await client.close()
    player = await connect_client(two.ws_url, "player")
    joined, _ = await player.join(codes[0], "晚到的")
    assert joined["code"] == codes[0]
    await player.close()
