"""The load generator's frame reader (``loadtests/frames.py``) on byte streams framed by the
``websockets`` library (the server's own framing code), arriving in chunks of any size."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.frames import Close, Frame, Opcode

from loadtests.frames import FrameError, FrameReader


def frame(opcode: Opcode, data: bytes, fin: bool = True, mask: bool = False) -> bytes:
    return Frame(opcode, data, fin=fin).serialize(mask=mask)


class Chunks:
    """A socket's ``recv`` that hands out the stream in the given pieces, then its end."""

    def __init__(self, stream: bytes, sizes: list[int]) -> None:
        self.stream, self.sizes, self.calls = stream, sizes, 0

    def recv(self, size: int, /) -> bytes:
        self.calls += 1
        take = min(size, self.sizes.pop(0) if self.sizes else size)
        out, self.stream = self.stream[:take], self.stream[take:]
        return out


class Pongs:
    def __init__(self) -> None:
        self.sent: list[bytes | str] = []

    def pong(self, payload: bytes | str) -> None:
        self.sent.append(payload)


def read_all(reader: FrameReader) -> list[str]:
    out: list[str] = []
    while (message := reader.recv()) is not None:
        out.append(message)
    return out


TEXTS = ["{}", "零工人生 " * 30, "x" * 125, "y" * 126, "z" * 65_535, "w" * 70_000]
"""Payload lengths on each side of the 7-bit, 16-bit and 64-bit length forms."""


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=9_000), max_size=200))
def test_messages_come_whole_and_in_order_however_the_stream_is_cut(sizes: list[int]) -> None:
    stream = b"".join(frame(Opcode.TEXT, t.encode()) for t in TEXTS)
    pongs = Pongs()
    assert read_all(FrameReader(Chunks(stream, sizes), pongs)) == TEXTS
    assert pongs.sent == []


def test_a_ping_is_answered_with_its_payload_between_the_parts_of_a_message() -> None:
    stream = (
        frame(Opcode.TEXT, "第一".encode(), fin=False)
        + frame(Opcode.PING, b"are you there")
        + frame(Opcode.CONT, "部分".encode(), fin=False)
        + frame(Opcode.PONG, b"ignored")
        + frame(Opcode.CONT, b"!")
        + frame(Opcode.TEXT, b"next")
    )
    pongs = Pongs()
    assert read_all(FrameReader(Chunks(stream, [3] * 100), pongs)) == ["第一部分!", "next"]
    assert pongs.sent == [b"are you there"]


def test_small_frames_are_read_many_per_system_call() -> None:
    stream = b"".join(frame(Opcode.TEXT, b'{"type":"ack"}') for _ in range(1_000))
    sock = Chunks(stream, [])
    assert len(read_all(FrameReader(sock, Pongs()))) == 1_000
    assert sock.calls <= len(stream) // 65_536 + 2  # websocket-client: three per frame


def test_a_close_frame_ends_the_stream() -> None:
    stream = frame(Opcode.TEXT, b"last") + frame(Opcode.CLOSE, Close(1000, "bye").serialize())
    reader = FrameReader(Chunks(stream + frame(Opcode.TEXT, b"never"), []), Pongs())
    assert reader.recv() == "last"
    assert reader.close_code is None
    assert reader.recv() is None
    assert reader.close_code == 1000


def test_the_end_of_the_stream_mid_frame_ends_it() -> None:
    stream = frame(Opcode.TEXT, b"whole") + frame(Opcode.TEXT, b"cut short")[:-3]
    reader = FrameReader(Chunks(stream, []), Pongs())
    assert reader.recv() == "whole"
    assert reader.recv() is None
    assert reader.close_code is None


@pytest.mark.parametrize(
    ("stream", "why"),
    [
        (frame(Opcode.TEXT, b"masked", mask=True), "masked"),
        (frame(Opcode.BINARY, b"\x00\x01"), "binary"),
        (frame(Opcode.CONT, b"orphan"), "continuation"),
        (frame(Opcode.TEXT, b"a", fin=False) + frame(Opcode.TEXT, b"b"), "before the last"),
        (bytes([0x83, 0]), "unknown opcode"),
    ],
)
def test_a_frame_no_server_may_send_is_an_error(stream: bytes, why: str) -> None:
    with pytest.raises(FrameError, match=why):
        FrameReader(Chunks(stream, []), Pongs()).recv()


def test_text_that_is_not_utf8_fails_to_decode() -> None:
    reader = FrameReader(Chunks(frame(Opcode.TEXT, b"\xff\xfe"), []), Pongs())
    with pytest.raises(UnicodeDecodeError):
        reader.recv()


def test_it_reads_a_real_socket() -> None:
    left, right = socket.socketpair()
    with left, right:
        right.sendall(frame(Opcode.TEXT, "你好".encode()) + frame(Opcode.CLOSE, b"\x03\xe8"))
        right.shutdown(socket.SHUT_WR)
        assert read_all(FrameReader(left, Pongs())) == ["你好"]
