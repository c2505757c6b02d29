"""Run by test_stop_while_closing.py in a process of its own (Locust patches the standard
library for gevent on import): a load-test user killed while it closes its session stops.

The server here accepts the WebSocket, says welcome and then never answers a close frame, so
the session's close waits; the kill lands during that wait. Prints ``stopped`` when the kill
ended the user's greenlet, ``played on`` when the close swallowed it.
"""

from __future__ import annotations

import base64
import hashlib
import socket
from typing import Any, cast

import gevent

from loadtests.locustfile import GigUser, Session

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WELCOME = b'{"type":"welcome","protocol":1,"instance":"silent"}'


def serve_silently(listener: socket.socket) -> None:
    conn, _ = listener.accept()
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    key = next(
        line.split(b":", 1)[1].strip()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    conn.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    conn.sendall(bytes([0x81, len(WELCOME)]) + WELCOME)
    while conn.recv(4096):  # reads the hello and the close frame, answers nothing
        pass


class User:
    """What a session needs of its user."""

    def __init__(self, host: str) -> None:
        self.host = host

    def report(self, *args: Any, **kwargs: Any) -> None:
        pass


def main() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    gevent.spawn(serve_silently, listener)
    session = Session(cast(GigUser, User(f"http://127.0.0.1:{listener.getsockname()[1]}")))
    session.open()
    played_on = []

    def end_of_a_life() -> None:
        session.close(quietly=True)  # a life ended: the session closes with the handshake
        played_on.append(True)  # a user whose kill was swallowed goes on to its next life
        gevent.sleep(30)

    user = gevent.spawn(end_of_a_life)
    gevent.sleep(0.2)  # the close now waits for the server's close frame
    user.kill(block=True, timeout=5)  # as Locust stops a user at the end of a run
    print("played on" if played_on or not user.dead else "stopped", flush=True)


if __name__ == "__main__":
    main()
