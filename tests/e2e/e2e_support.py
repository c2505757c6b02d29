"""What the end-to-end tests share: real server processes and a small WebSocket client.

``ServerProcess`` runs ``python -m game_server serve`` as a child process on a free port, with
its output in a log file (quoted in the report when a test fails, see ``conftest.py``).
``Client`` is one WebSocket connection that keeps every message it receives; tests wait for the
next message that matches with :meth:`Client.next`, always with a timeout. What it knows of its
seat (token, player id, life status, last ``seq``) is the shared protocol client's state
(``game_server/protocol/client.py``), fed every message it reads.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from game_server.protocol.client import ClientState, hello_message
from game_server.protocol.outbound import SERVER_MESSAGE

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
WAIT = 5.0
"""Default seconds to wait for one expected message."""

SCENARIO = "hangzhou-rider"

Message = dict[str, Any]
Predicate = Callable[[Message], bool]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- Servers ------------------------------------------------------------------------------------

LIVE_SERVERS: dict[int, ServerProcess] = {}
"""Servers started by this test session and not yet stopped: killed at exit if a test run is
interrupted before the fixtures stop them."""


@atexit.register
def _kill_leftovers() -> None:
    for server in list(LIVE_SERVERS.values()):
        with contextlib.suppress(Exception):
            server.kill()


class ServerProcess:
    """One game server process: ``python -m game_server serve`` with its own port."""

    def __init__(
        self,
        workdir: Path,
        redis_url: str,
        database_url: str,
        instance_id: str,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.redis_url = redis_url
        self.database_url = database_url
        self.instance_id = instance_id
        self.extra_env = extra_env or {}
        self.port = 0
        self.log_path = workdir / f"server-{instance_id}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> ServerProcess:
        """Start on a fresh free port and wait until ``/healthz`` answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = dict(os.environ)
        for name in ("PUBLIC_URL", "TRAINER_PASSCODE", "CORS_ORIGINS"):
            env.pop(name, None)
        env.update(
            {
                "ENVIRONMENT": "development",
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                "DATA_DIR": str(self.workdir / f"data-{self.instance_id}"),
                "REDIS_URL": self.redis_url,
                "DATABASE_URL": self.database_url,
                "INSTANCE_ID": self.instance_id,
                "DEADLINE_POLL_SECONDS": "0.2",
                "ROUND_CLOSE_LEASE_SECONDS": "2",
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
        )
        with self.log_path.open("ab") as log:
            log.write(f"--- start on port {self.port} ---\n".encode())
            log.flush()
            # cwd: a directory without a .env file, so only the settings above apply.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "game_server", "serve"],
                env=env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        LIVE_SERVERS[id(self)] = self
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                self._forget()
                raise RuntimeError(
                    f"server {self.instance_id} exited with {code} at start-up:\n{self.log_tail()}"
                )
            try:
                if httpx.get(f"{self.http_url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"server {self.instance_id} not healthy in {STARTUP_TIMEOUT} s:\n"
                    + self.log_tail()
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown) and wait; SIGKILL if it takes too long."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        self._forget()

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing of the server's shutdown runs."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
        self._forget()

    def _forget(self) -> None:
        if self.process is not None:
            self.process.wait()
        self.process = None
        LIVE_SERVERS.pop(id(self), None)

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.http_url}{path}", timeout=5.0, **kwargs)


# --- Clients ------------------------------------------------------------------------------------

_ids = itertools.count(1)


def msg_id(prefix: str = "m") -> str:
    return f"{prefix}-{next(_ids)}"


def is_type(kind: str) -> Predicate:
    return lambda m: m.get("type") == kind


def is_event(kind: str, **fields: Any) -> Predicate:
    def match(m: Message) -> bool:
        if m.get("type") != "event" or m["event"].get("kind") != kind:
            return False
        return all(m["event"].get(k) == v for k, v in fields.items())

    return match


def answers(client_msg_id: str) -> Predicate:
    """The server's answer to a request: any message carrying its ``client_msg_id``."""
    return lambda m: m.get("client_msg_id") == client_msg_id


class ClientError(AssertionError):
    pass


class Client:
    """One WebSocket connection; every received message is kept in ``messages``."""

    def __init__(self, url: str, name: str = "client") -> None:
        self.url = url
        self.name = name
        self.ws: ClientConnection | None = None
        self.messages: list[Message] = []
        self._taken: set[int] = set()
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.off_protocol: list[str] = []
        """Frames received that ``protocol/outbound.py`` does not describe."""
        self.closed = False
        self.state = ClientState(prefix=name)
        """What the protocol client knows of this seat (``game_server/protocol/client.py``): it
        only tracks here, the tests say what to send."""

    @property
    def token(self) -> str | None:
        return self.state.token

    @token.setter
    def token(self, token: str | None) -> None:
        self.state.token = token

    @property
    def player_id(self) -> str | None:
        return self.state.player_id

    @property
    def status(self) -> Message | None:
        """The player's latest life status (from a snapshot or a personal result): its
        ``defaults`` are valid decisions for the next round."""
        return self.state.status

    # connection

    async def open(self) -> Client:
        self.ws = await connect(self.url, open_timeout=WAIT, close_timeout=2, max_size=2**22)
        self.closed = False
        self._reader = asyncio.create_task(self._read(self.ws), name=f"read-{self.name}")
        return self

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                message = json.loads(raw)
                try:  # every frame of every end-to-end test is checked against the protocol
                    SERVER_MESSAGE.validate_python(message)
                except ValidationError as exc:
                    self.off_protocol.append(f"{str(raw)[:300]}: {exc}")
                self.state.receive(message)
                self.messages.append(message)
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._changed.set()

    async def hello(self, token: str | None = None, last_seq: int | None = None) -> Message:
        """Say hello (to resume: with the token and the last sequence number seen); returns the
        welcome."""
        await self.send(hello_message(token, last_seq))
        return await self.next(is_type("welcome"))

    async def close(self) -> None:
        """Close the socket (as a player leaving or losing the network) and stop reading."""
        ws, reader = self.ws, self._reader
        self.ws = self._reader = None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 3)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        self.closed = True

    async def reconnect(self, url: str | None = None, last_seq: int | None = None) -> Message:
        """A new socket (to ``url`` or the same server) resuming this client's seat; returns the
        first answer after the welcome: ``resumed`` or ``snapshot``."""
        assert self.token is not None
        await self.close()
        # From here on, next() looks only at what the new connection receives.
        self._taken.update(range(len(self.messages)))
        if url is not None:
            self.url = url
        await self.open()
        await self.hello(self.token, last_seq)
        return await self.next(lambda m: m.get("type") in ("resumed", "snapshot", "error"))

    # sending

    async def send(self, message: Message) -> None:
        await self.send_raw(json.dumps(message, ensure_ascii=False))

    async def send_raw(self, text: str | bytes) -> None:
        if self.ws is None:
            raise ClientError(f"{self.name} is not connected")
        await self.ws.send(text)

    async def request(self, message: Message, timeout: float = WAIT) -> Message:
        """Send an action with a fresh ``client_msg_id``; return its answer (ack or error)."""
        message = self.state.request({"client_msg_id": msg_id(self.name), **message})
        await self.send(message)
        return await self.next(answers(message["client_msg_id"]), timeout)

    async def ping(self) -> None:
        """Ping: the connection must answer with a pong (not an error)."""
        await self.send({"type": "ping"})
        answer = await self.next(lambda m: m.get("type") in ("pong", "error"))
        assert answer["type"] == "pong", f"{self.name}: a ping was answered with {answer}"

    # receiving

    async def next(self, pred: Predicate, timeout: float = WAIT) -> Message:
        """The first message not returned before that matches ``pred`` (waiting for it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._changed.clear()
            if self.off_protocol:
                raise ClientError(f"{self.name} got a frame off the protocol: {self.off_protocol}")
            for i, m in enumerate(self.messages):
                if i not in self._taken and pred(m):
                    self._taken.add(i)
                    return m
            left = deadline - loop.time()
            if self.closed or left <= 0:
                state = "closed" if self.closed else f"timed out after {timeout} s"
                recent = "\n  ".join(
                    json.dumps(m, ensure_ascii=False)[:300] for m in self.messages[-12:]
                )
                raise ClientError(f"{self.name}: {state} waiting; last messages:\n  {recent}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def quiet(self, pred: Predicate, seconds: float) -> None:
        """Assert that nothing matching ``pred`` (and not returned before) arrives for a while."""
        await asyncio.sleep(seconds)
        extra = [m for i, m in enumerate(self.messages) if i not in self._taken and pred(m)]
        assert not extra, f"{self.name} got unexpected messages: {extra}"

    def events(self) -> list[tuple[int, str]]:
        """(seq, kind) of every numbered room event received, in the order received (the hosts'
        passing decision counts have seq 0 and are not part of the room's sequence)."""
        return [
            (m["seq"], m["event"]["kind"])
            for m in self.messages
            if m.get("type") == "event" and m["seq"] > 0
        ]

    @property
    def last_seq(self) -> int:
        """The last sequence number seen (events, snapshots, personal results)."""
        return self.state.last_seq

    # game actions

    async def create(self, mode: str, **extra: Any) -> tuple[Message, Message]:
        """Create a room; returns (room_created, snapshot)."""
        created = await self.request(
            {"type": "create_room", "scenario_id": SCENARIO, "mode": mode, **extra}
        )
        assert created["type"] == "room_created", created
        assert self.token == (created.get("player_token") or created["host_token"])
        snapshot = await self.next(is_type("snapshot"))
        return created, snapshot

    async def join(self, code: str, nickname: str) -> tuple[Message, Message]:
        """Join a room; returns (joined, snapshot)."""
        joined = await self.request({"type": "join", "code": code, "nickname": nickname})
        assert joined["type"] == "joined", joined
        assert (self.token, self.player_id) == (joined["player_token"], joined["player_id"])
        snapshot = await self.next(is_type("snapshot"))
        return joined, snapshot

    async def decide(self, round_index: int, decisions: Message | None = None) -> Message:
        """Decide ``round_index`` (with the defaults of the latest status unless given)."""
        if decisions is None:
            assert self.status is not None, f"{self.name} has no status yet"
            assert "defaults" in self.status, self.status
            decisions = self.status["defaults"]
        return await self.request({"type": "decide", "round": round_index, "decisions": decisions})

    async def host(self, action: str, **extra: Any) -> Message:
        return await self.request({"type": "host", "action": action, **extra})


class AddressedClient(Client):
    """A client whose connection claims to come from ``address`` (``X-Forwarded-For``)."""

    def __init__(self, url: str, name: str, address: str | None = None) -> None:
        super().__init__(url, name)
        self.address = address

    async def open(self) -> Client:
        headers = {"X-Forwarded-For": self.address} if self.address else None
        self.ws = await connect(
            self.url, open_timeout=WAIT, close_timeout=2, max_size=2**22, additional_headers=headers
        )
        self.closed = False
        self._reader = asyncio.create_task(self._read(self.ws), name=f"read-{self.name}")
        return self


async def connect_client(url: str, name: str, hello: bool = True) -> Client:
    """A connected client; ``hello``: say hello (without a token) first."""
    client = Client(url, name)
    await client.open()
    if hello:
        await client.hello()
    return client


@contextlib.asynccontextmanager
async def clients() -> Any:
    """Collects clients and closes every one of them at the end, whatever happened."""
    made: list[Client] = []

    async def make(url: str, name: str, hello: bool = True) -> Client:
        client = await connect_client(url, name, hello)
        made.append(client)
        return client

    try:
        yield make
    finally:
        await asyncio.gather(*(c.close() for c in made), return_exceptions=True)
