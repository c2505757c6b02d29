"""Error codes the server sends (``{"type": "error", "code": ..., "message": ...}``).

Stable strings: clients switch on them, so a code is never renamed. The engine's rule codes
(``rule/...``, see ``game_server/engine/errors.py``) pass through unchanged.
"""

from __future__ import annotations

from typing import Final

from game_server.protocol.outbound import Error

BAD_JSON: Final = "protocol/bad_json"
INVALID_MESSAGE: Final = "protocol/invalid_message"
UNKNOWN_TYPE: Final = "protocol/unknown_type"
VERSION: Final = "protocol/version"
HELLO_FIRST: Final = "protocol/hello_first"
TOO_LARGE: Final = "protocol/too_large"
RATE_LIMITED: Final = "protocol/rate_limited"
NOT_IN_ROOM: Final = "protocol/not_in_room"
BAD_TOKEN: Final = "auth/bad_token"
NOT_HOST: Final = "auth/not_host"
PASSCODE: Final = "auth/passcode"
ROOM_NOT_FOUND: Final = "room/not_found"
ROOM_GONE: Final = "room/gone"
"""The room a connection was in no longer exists (it expired, or Redis lost it)."""
ROOM_FULL: Final = "room/full"
ROOM_STATE: Final = "room/wrong_state"
"""The action does not fit the room's state (start twice, decide while paused, ...)."""
PLAYER_NOT_FOUND: Final = "room/player_not_found"
KICKED: Final = "room/kicked"
SCENARIO_NOT_FOUND: Final = "content/scenario_not_found"
JOIN_RATE_LIMITED: Final = "room/join_rate_limited"
CREATE_RATE_LIMITED: Final = "room/create_rate_limited"
"""Too many rooms started from one address in the hour (``WORKSHOPS_PER_ADDRESS_HOUR``,
``SOLO_GAMES_PER_ADDRESS_HOUR``)."""
TOO_MANY_ROOMS: Final = "server/too_many_rooms"
"""The deployment holds ``MAX_LIVE_ROOMS`` live rooms: no new one until some end."""
TOO_MANY_CONNECTIONS: Final = "server/too_many_connections"
"""One address has ``CONNECTIONS_PER_ADDRESS`` connections open on this instance."""
INTERNAL: Final = "server/internal"
BUSY: Final = "server/busy"
"""Redis refused the write (its memory is full, or it cannot persist): nothing of the action was
stored, the connection and the room go on; the same action may be sent again in a while."""
UNAVAILABLE: Final = "server/unavailable"
"""Redis did not answer (down, unreachable, timed out, loading, read-only): the action may or may
not have been stored; sending it again with the same ``client_msg_id`` is safe."""

CODES: Final = (
    BAD_JSON,
    INVALID_MESSAGE,
    UNKNOWN_TYPE,
    VERSION,
    HELLO_FIRST,
    TOO_LARGE,
    RATE_LIMITED,
    NOT_IN_ROOM,
    BAD_TOKEN,
    NOT_HOST,
    PASSCODE,
    ROOM_NOT_FOUND,
    ROOM_GONE,
    ROOM_FULL,
    ROOM_STATE,
    PLAYER_NOT_FOUND,
    KICKED,
    SCENARIO_NOT_FOUND,
    JOIN_RATE_LIMITED,
    CREATE_RATE_LIMITED,
    TOO_MANY_ROOMS,
    TOO_MANY_CONNECTIONS,
    INTERNAL,
    BUSY,
    UNAVAILABLE,
)


class ProtocolError(Exception):
    """A refused message: sent back as an error, the connection and the room go on."""

    def __init__(self, code: str, message: str, client_msg_id: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.client_msg_id = client_msg_id

    def wire(self) -> Error:
        """The error as the protocol's outbound message."""
        if self.client_msg_id is None:
            return Error(type="error", code=self.code, message=self.message)
        return Error(
            type="error", code=self.code, message=self.message, client_msg_id=self.client_msg_id
        )

    def to_message(self) -> dict[str, object]:
        out: dict[str, object] = {"type": "error", "code": self.code, "message": self.message}
        if self.client_msg_id is not None:
            out["client_msg_id"] = self.client_msg_id
        return out
