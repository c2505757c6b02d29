"""``docs/protocol.md`` against the code: every message type, event kind and error code the code
has is documented, and everything documented exists (a client written from the document alone
meets no surprise)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from game_server.engine import errors as rule_errors
from game_server.protocol import errors
from game_server.protocol.messages import ClientMessage
from game_server.protocol.outbound import EVENT_KINDS, server_message_types
from game_server.room import events as room_events

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()


def section(title: str) -> str:
    start = DOC.index(f"## {title}")
    following = DOC.find("\n## ", start + 1)
    return DOC[start : following if following > 0 else len(DOC)]


def table_first_column(text: str, header: str) -> list[str]:
    """The backquoted names in the first column of the table that starts with ``header``."""
    start = text.index(header)
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(line.split("|")[1])
    return [name for row in rows for name in re.findall(r"`([^`]+)`", row)]


def test_every_client_message_is_documented_and_nothing_else() -> None:
    union = get_args(ClientMessage)[0]
    types = {get_args(m.model_fields["type"].annotation)[0] for m in get_args(union)}
    documented = set(re.findall(r"^### `(\w+)`", section("Client → server"), re.M))
    assert documented == types


def test_every_server_message_is_documented_and_nothing_else() -> None:
    examples = set(re.findall(r'"type": "(\w+)"', section("Server → client")))
    examples |= set(re.findall(r'"type": "(\w+)"', section("Client → server")))
    client_types = {"hello", "create_room", "join", "decide", "quiz_answer", "host", "ping"}
    headings = set(re.findall(r"^### `(\w+)`", section("Server → client"), re.M))
    personal = set(re.findall(r"^- `(\w+)`", section("Server → client"), re.M))
    documented = (examples - client_types) | headings | personal
    assert documented == server_message_types()


def test_every_event_kind_is_documented_and_nothing_else() -> None:
    documented = set(table_first_column(section("Server → client"), "| kind | fields |"))
    assert documented == set(EVENT_KINDS)
    public = {
        cls(**dict.fromkeys(cls.__dataclass_fields__, 0)).kind
        for cls in vars(room_events).values()
        if isinstance(cls, type)
        and issubclass(cls, room_events.RoomEvent)
        and cls is not room_events.RoomEvent
        and cls.public
    }
    # The room reducer's public events are exactly the numbered kinds (``decided`` is the
    # submit script's passing count).
    assert public == set(EVENT_KINDS) - {"decided"}


def test_every_error_code_is_documented_and_nothing_else() -> None:
    documented = set(table_first_column(section("Server → client"), "| code | when |"))
    assert documented == set(errors.CODES) | set(rule_errors.CODES)
