"""Every frame is validated at the edge: a typed message, or an error with a stable code."""

from __future__ import annotations

import json

import pytest

from game_server.protocol import errors
from game_server.protocol.codec import decode, encode
from game_server.protocol.errors import ProtocolError
from game_server.protocol.messages import MAX_FRAME_BYTES, Decide, Hello, HostAction

GOOD_DECIDE = {
    "type": "decide",
    "client_msg_id": "m1",
    "round": 0,
    "decisions": {"job": "hz-meituan-rider", "pension": "employee", "pension_base_pct": 100},
}


def test_decodes_each_type() -> None:
    assert isinstance(decode('{"type":"hello","protocol":1}'), Hello)
    message = decode(json.dumps(GOOD_DECIDE))
    assert isinstance(message, Decide)
    assert message.decisions.pension == "employee"
    assert isinstance(
        decode('{"type":"host","client_msg_id":"h","action":"kick","player_id":"ab12"}'),
        HostAction,
    )
    assert isinstance(decode(json.dumps(GOOD_DECIDE).encode()), Decide)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{", errors.BAD_JSON),
        ("", errors.BAD_JSON),
        (b"\xff\xfe", errors.BAD_JSON),
        ("[1, 2]", errors.INVALID_MESSAGE),
        ('"hello"', errors.INVALID_MESSAGE),
        ('{"type": "launch_missiles"}', errors.UNKNOWN_TYPE),
        ('{"kind": "hello"}', errors.UNKNOWN_TYPE),
        ('{"type": "hello", "protocol": "1"}', errors.INVALID_MESSAGE),
        ('{"type": "hello", "protocol": 1, "extra": true}', errors.INVALID_MESSAGE),
        (json.dumps({**GOOD_DECIDE, "round": "0"}), errors.INVALID_MESSAGE),
        (json.dumps({**GOOD_DECIDE, "round": -1}), errors.INVALID_MESSAGE),
        (json.dumps({**GOOD_DECIDE, "decisions": {"pension": "gold"}}), errors.INVALID_MESSAGE),
        (
            json.dumps({**GOOD_DECIDE, "decisions": {"accident_insurance": "yes"}}),
            errors.INVALID_MESSAGE,
        ),
        (json.dumps({**GOOD_DECIDE, "decisions": {"job": "<script>"}}), errors.INVALID_MESSAGE),
        ('{"type":"join","client_msg_id":"j","code":"12345a"}', errors.INVALID_MESSAGE),
        (
            '{"type":"host","client_msg_id":"h","action":"delete_everything"}',
            errors.INVALID_MESSAGE,
        ),
        ("x" * (MAX_FRAME_BYTES + 1), errors.TOO_LARGE),
        ('{"type":"ping","pad":"' + "长" * 6000 + '"}', errors.TOO_LARGE),
    ],
)
def test_bad_frames_get_stable_codes(frame: str | bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        decode(frame)
    assert refused.value.code == code
    assert refused.value.code in errors.CODES
    reply = refused.value.to_message()
    assert reply["type"] == "error"
    assert reply["code"] == code


def test_errors_carry_the_client_message_id() -> None:
    frame = json.dumps({**GOOD_DECIDE, "round": "x", "client_msg_id": "abc"})
    with pytest.raises(ProtocolError) as refused:
        decode(frame)
    assert refused.value.client_msg_id == "abc"
    assert refused.value.to_message()["client_msg_id"] == "abc"


def test_encode_keeps_chinese_readable() -> None:
    assert encode({"nickname": "小蜜蜂"}) == '{"nickname":"小蜜蜂"}'


@pytest.mark.parametrize(
    "frame",
    [
        # a lone surrogate (a broken emoji) as the message id: the answer cannot carry it back
        '{"type": "decide", "client_msg_id": "ab\\ud83e", "round": "x"}',
        '{"type": "nonsense", "client_msg_id": "\\udc00"}',
        # ... or as a field name, which the error's text names
        '{"type": "ping", "client_msg_id": "p1", "\\ud83e": 1}',
    ],
)
def test_an_error_about_text_that_is_not_unicode_can_be_sent(frame: str) -> None:
    # The fuzz test found these: the error answer itself failed to encode and the server
    # dropped the connection instead of answering.
    with pytest.raises(ProtocolError) as caught:
        decode(frame)
    # as the transport sends it (transport/connections.py)
    answer = json.loads(caught.value.wire().model_dump_json(exclude_unset=True))
    assert answer["code"] in (errors.INVALID_MESSAGE, errors.UNKNOWN_TYPE)
    assert answer.get("client_msg_id") in (None, "p1")
