"""The room reducer's state as fields of the room's ``meta`` hash, and back.

Seats and the kicked set live in their own keys (``players``, ``kicked``): joins add seats without
rewriting the room, and a kick is one set member.
"""

from __future__ import annotations

from collections.abc import Mapping

from game_server.room import Lease, RoomState, RoundState, Status


def encode_state(s: RoomState) -> dict[str, str]:
    return {
        "mode": s.mode,
        "rounds": str(s.rounds),
        "capacity": str(s.capacity),
        "status": s.status.value,
        "round": str(s.round),
        "round_state": s.round_state.value,
        "deadline": str(s.deadline),
        "remaining": str(s.remaining),
        "pool": "1" if s.pool else "0",
        "closed_rounds": str(s.closed_rounds),
        "lease_holder": s.lease.holder if s.lease else "",
        "lease_until": str(s.lease.until) if s.lease else "0",
        "version": str(s.version),
    }


def decode_state(meta: Mapping[str, str], seats: int, kicked: frozenset[str]) -> RoomState:
    holder = meta.get("lease_holder", "")
    return RoomState(
        mode="solo" if meta["mode"] == "solo" else "workshop",
        rounds=int(meta["rounds"]),
        capacity=int(meta["capacity"]),
        status=Status(meta["status"]),
        round=int(meta["round"]),
        round_state=RoundState(meta["round_state"]),
        deadline=int(meta["deadline"]),
        remaining=int(meta["remaining"]),
        pool=meta["pool"] == "1",
        closed_rounds=int(meta["closed_rounds"]),
        lease=Lease(holder, int(meta["lease_until"])) if holder else None,
        seats=seats,
        kicked=kicked,
        version=int(meta["version"]),
    )
