"""Decode a client frame into a typed message, or a :class:`ProtocolError` with a stable code."""

from __future__ import annotations

import json

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json

from game_server.protocol import errors
from game_server.protocol.errors import ProtocolError
from game_server.protocol.messages import MAX_FRAME_BYTES, ClientMessage

_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
_TYPES = frozenset({"hello", "create_room", "join", "decide", "quiz_answer", "host", "ping"})


def decode(frame: str | bytes) -> ClientMessage:
    """The message in ``frame``; raises ProtocolError (too large, bad JSON, unknown type,
    invalid)."""
    size = len(frame) if isinstance(frame, bytes) else len(frame.encode("utf-8", "replace"))
    if size > MAX_FRAME_BYTES:
        raise ProtocolError(errors.TOO_LARGE, f"a message may be at most {MAX_FRAME_BYTES} bytes")
    try:  # the common case in one pass of pydantic's own JSON parser
        return _ADAPTER.validate_json(frame)
    except ValidationError:
        pass  # not valid: the steps below say why, with the right code
    try:
        raw = json.loads(frame)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(errors.BAD_JSON, "the message is not valid JSON") from None
    if not isinstance(raw, dict):
        raise ProtocolError(errors.INVALID_MESSAGE, "a message is a JSON object with a type")
    msg_id = _echoable(raw.get("client_msg_id"))
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        raise ProtocolError(errors.UNKNOWN_TYPE, f"unknown message type {str(kind)[:40]!r}", msg_id)
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        text = _printable(f"{where}: {first['msg']}")
        raise ProtocolError(errors.INVALID_MESSAGE, text, msg_id) from None


def _echoable(msg_id: object) -> str | None:
    """A ``client_msg_id`` the answer may carry back: text of at most 64 characters that is
    valid Unicode (JSON's ``\\ud83e`` escapes give lone surrogates, which no answer can be
    encoded with)."""
    if not isinstance(msg_id, str) or len(msg_id) > 64:
        return None
    try:
        msg_id.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return msg_id


def _printable(text: str) -> str:
    """``text`` with anything not valid Unicode (a field name made of lone surrogates) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def client_msg_id_of(frame: str | bytes) -> str | None:
    """The ``client_msg_id`` of a frame not otherwise read (one refused for its rate), so the
    refusal still names the action it answers."""
    if len(frame) > MAX_FRAME_BYTES:
        return None
    try:
        raw = json.loads(frame)
    except (ValueError, UnicodeDecodeError):
        return None
    return _echoable(raw.get("client_msg_id")) if isinstance(raw, dict) else None


def encode(message: dict[str, object]) -> str:
    """Server messages are compact JSON with Chinese left readable (pydantic's serializer:
    several times faster than ``json.dumps``)."""
    return to_json(message).decode()
