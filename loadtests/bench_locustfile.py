"""Locust users of the server benchmark (``python -m loadtests.bench``), on top of the load test's.

Every user class of ``loadtests/locustfile.py`` is here too, so one ``-f`` serves every phase;
the benchmark names the classes of each phase on Locust's command line:

- the game's mix: ``SoloPlayer``, ``WorkshopHost``, ``WorkshopPlayer`` (see locustfile.py);
- ``RapidHost`` + ``RapidPlayer``: workshop rooms whose round stays open (one seat is held by a
  player who never decides, and the round lasts an hour) so that the players can decide again and
  again, each as soon as its previous decision was acknowledged (a player may change its decision
  until the round closes): the game's decision path at full speed, for the maximum throughput;
- ``EchoPlayer``: the same ``decide`` message, of the same size, to the bare echo of
  ``loadtests/echo_app.py``, waiting for it to come back.

``RapidPlayer`` and ``EchoPlayer`` pace themselves the same way (``BENCH_PACE``):

- ``think``: one message every ``LOAD_THINK`` s on average (each wait uniform in 0.5-1.5 times),
  the time to the answer included: an offered load of users / LOAD_THINK messages a second;
- ``rapid``: the next message as soon as the answer came, but no sooner than ``BENCH_INTERVAL``
  s after the previous one (default 0.125 s: at most 8 a second per connection, under the game's
  limit of 10): a closed loop, so the server's speed sets the rate.

Besides Locust's own statistics, every process logs at the end (``GIGLIFE-HIST``) a histogram of
the answer times of all actions together (1 ms buckets), which the benchmark merges over Locust's
worker processes: percentiles over every action, whatever its name.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gevent
from locust import events, task

import loadtests.locustfile
from game_server.protocol.client import ClientState
from loadtests.locustfile import (
    ACK_TIMEOUT,
    COUNTS,
    ROOM_SIZE,
    ROOMS,
    SCENARIO,
    THINK,
    GigUser,
    Session,
    SessionClosed,
    SoloPlayer,
    WorkshopHost,
    WorkshopPlayer,
    _env_float,
    choose,
    log,
    now,
)

__all__ = [
    "EchoPlayer",
    "RapidHost",
    "RapidPlayer",
    "SoloPlayer",
    "WorkshopHost",
    "WorkshopPlayer",
]

PACE = os.environ.get("BENCH_PACE", "think").strip() or "think"
INTERVAL = max(0.0, _env_float("BENCH_INTERVAL", 0.125))

# A decision as the game's players send it (choose() over a status like the server's first
# stage): the echo users send exactly this shape, so both servers read and write the same sizes.
SAMPLE_STATUS: dict[str, Any] = {
    "round": 0,
    "stage": {"phase": "working"},
    "defaults": {
        "job": "hz-meituan-rider",
        "hours": "full_time",
        "pension": "none",
        "pension_base_pct": 60,
        "residents_tier": 0,
        "medical": "residents",
        "accident_insurance": False,
        "saving_rate": 10,
        "personal_pension": 0,
    },
}

# --- One histogram of every action's answer time, per process --------------------------------

ACTION_NAMES = (
    "solo: create_room",
    "workshop: create_room",
    "workshop: join",
    "rapid: join",
    "echo: decide→echo",
)
HIST: dict[str, Counter[int]] = {
    "action": Counter(),
    "broadcast": Counter(),
    "steady_action": Counter(),
    "steady_broadcast": Counter(),
    "per_second": Counter(),
}
"""Answer times (ms) of every action and of the round-start broadcasts: over the whole run, and
over its steady part (``steady_*``: from BENCH_STEADY_AFTER s after this process's first request
on, past the ramp-up); ``per_second``: actions answered in each second of the wall clock."""
STEADY_AFTER = _env_float("BENCH_STEADY_AFTER", 0.0)
_first_request: list[float] = []


def category(name: str) -> str | None:
    if name.endswith("→ack") or name in ACTION_NAMES:
        return "action"
    if name.startswith("broadcast:"):
        return "broadcast"
    return None


def _histogram(
    name: str, response_time: float, exception: BaseException | None = None, **_: Any
) -> None:
    if exception is not None:
        return
    kind = category(name)
    if kind is None:
        return
    t = time.time()
    if not _first_request:
        _first_request.append(t)
    ms = int(response_time)
    HIST[kind][ms] += 1
    if t - _first_request[0] >= STEADY_AFTER:
        HIST["steady_" + kind][ms] += 1
    if kind == "action":
        HIST["per_second"][int(t)] += 1


events.request.add_listener(_histogram)


def _report_histogram(**_: Any) -> None:
    # Workers and the master each log theirs; the master's is empty.
    data = {k: {str(ms): n for ms, n in v.items()} for k, v in HIST.items()}
    log.info("GIGLIFE-HIST %s", json.dumps(data, separators=(",", ":")))


events.test_stop.add_listener(_report_histogram)


# --- Rooms shared by several Locust processes (the big room) -----------------------------------


class FileRooms:
    """The locustfile's room registry (``RoomRegistry``), kept in a JSON file that every Locust
    process of the run reads and writes under an exclusive lock: a host in one process, its
    players in all of them."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "rooms.json"
        self.lock_path = directory / "rooms.lock"

    def _update(self, change: Any) -> Any:
        with self.lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                try:
                    rooms = json.loads(self.path.read_text() or "{}")
                except (OSError, ValueError):
                    rooms = {}
                result = change(rooms)
                self.path.write_text(json.dumps(rooms))
                return result
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def open(self, code: str, seats: int) -> None:
        self._update(lambda rooms: rooms.__setitem__(code, [seats, 0]))

    def close(self, code: str) -> None:
        self._update(lambda rooms: rooms.pop(code, None))

    def claim(self) -> str | None:
        def take(rooms: dict[str, list[int]]) -> str | None:
            for code, seats in rooms.items():
                if seats[1] < seats[0]:
                    seats[1] += 1
                    return code
            return None

        code: str | None = self._update(take)
        return code

    def release(self, code: str) -> None:
        def give_back(rooms: dict[str, list[int]]) -> None:
            seats = rooms.get(code)
            if seats is not None and seats[1] > 0:
                seats[1] -= 1

        self._update(give_back)


class FileSent(dict[tuple[str, int], float]):
    """The locustfile's ``ROUND_SENT`` (when a host sent the action that opens a round), written
    through to a file the other processes read when they miss a round. The times are
    ``time.perf_counter()``, i.e. CLOCK_MONOTONIC on Linux: one clock for every process here."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.path = directory / "round_sent.jsonl"

    def __setitem__(self, key: tuple[str, int], value: float) -> None:
        super().__setitem__(key, value)
        with self.path.open("a") as f:
            f.write(json.dumps([key[0], key[1], value]) + "\n")

    def get(self, key: tuple[str, int], default: Any = None) -> Any:
        if key not in self:
            with contextlib.suppress(OSError):
                for line in self.path.read_text().splitlines():
                    with contextlib.suppress(ValueError):
                        code, r, t = json.loads(line)
                        super().__setitem__((code, int(r)), float(t))
        return super().get(key, default)


HOSTS_FIXED = int(_env_float("BENCH_HOSTS", 0))
if HOSTS_FIXED:
    # Exactly this many hosts, spawned first (Locust's fixed_count), whatever the weights.
    WorkshopHost.fixed_count = HOSTS_FIXED

SHARED_DIR = os.environ.get("BENCH_SHARED_DIR", "").strip()
if SHARED_DIR:
    Path(SHARED_DIR).mkdir(parents=True, exist_ok=True)
    loadtests.locustfile.ROOMS = FileRooms(Path(SHARED_DIR))  # type: ignore[assignment]
    loadtests.locustfile.ROUND_SENT = FileSent(Path(SHARED_DIR))


# --- Pacing shared by the game's rapid players and the echo's players -------------------------


class Paced(GigUser):
    abstract = True

    def pause_after(self, sent: float) -> None:
        """Wait until the next message is due (see BENCH_PACE)."""
        if PACE == "rapid":
            wait = sent + INTERVAL - now()
        else:
            wait = sent + self.rng.uniform(0.5, 1.5) * THINK - now()
        if wait > 0:
            gevent.sleep(wait)

    def exchange(self, s: Session, message: dict[str, Any], name: str) -> dict[str, Any] | None:
        """Send ``message`` and read until its answer (other messages are dropped); the answer,
        or None when it did not come within ACK_TIMEOUT (then reported as a failure)."""
        cid = s.request(message, name)
        deadline = now() + ACK_TIMEOUT
        while now() < deadline:
            item = s.next(deadline - now())
            if item is None:
                continue
            msg = item[1]
            if msg.get("client_msg_id") == cid or msg.get("_answers") == cid:
                return msg
        s._expire(force=cid)
        return None


class EchoPlayer(Paced):
    """Sends a decide-like message and waits for the echo, paced as BENCH_PACE says."""

    @task
    def play(self) -> None:
        self.guarded(self._play)

    def _play(self) -> None:
        s = self.ensure_open()
        while not self.stopping:
            sent = now()
            message = {"type": "decide", "round": 0, "decisions": choose(SAMPLE_STATUS, self.rng)}
            if self.exchange(s, message, "echo: decide→echo") is not None:
                COUNTS["decisions"] += 1
            self.pause_after(sent)


class RapidHost(GigUser):
    """A workshop room whose first round stays open: created with hour-long rounds, one seat held
    by a connection that never decides, started once ROOM_SIZE rapid players joined."""

    weight = 1

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.holder = Session(self)

    @task
    def hold_room(self) -> None:
        self.guarded(self._room)

    def on_stop(self) -> None:
        self.holder.close(quietly=True, handshake=False)
        super().on_stop()

    def _room(self) -> None:
        s = self.ensure_open()
        state = s.state = ClientState(prefix=f"{self.rng.getrandbits(32):08x}")
        reply = s.wait_reply(
            s.request(
                state.create_room(SCENARIO, "workshop", round_seconds=3600),
                "workshop: create_room",
                exclusive=True,
            )
        )
        if reply is None or reply.get("type") != "room_created":
            gevent.sleep(1.0)
            return
        code = str(reply["code"])
        self.holder.open()
        held = self.holder.wait_reply(
            self.holder.request(self.holder.state.join(code, "占座"), "rapid: join", exclusive=True)
        )
        if held is None or held.get("type") != "joined":
            return
        ROOMS.open(code, ROOM_SIZE)
        created = last_join = now()
        joined = 0
        while joined < ROOM_SIZE + 1 and not self.stopping:
            if joined > 1 and now() - last_join > 5.0:
                break
            if now() - created > 60.0:
                break
            item = s.next(0.5)
            if item is not None and (item[1].get("event") or {}).get("kind") == "player_joined":
                joined += 1
                last_join = item[0]
        ROOMS.close(code)
        s.wait_reply(s.request(state.host("start"), "host: start→ack"))
        # The round stays open until the test ends; read (and drop) what both sessions get.
        while not self.stopping:
            s.next(1.0)
            while self.holder.backlog or not self.holder.inbox.empty():
                self.holder.next(0)


class RapidPlayer(Paced):
    """Joins a RapidHost's room and, once its round is open, decides again and again."""

    weight = ROOM_SIZE

    @task
    def play(self) -> None:
        self.guarded(self._play)

    def _play(self) -> None:
        code = None
        give_up = now() + 60.0
        while code is None and now() < give_up and not self.stopping:
            code = ROOMS.claim()
            if code is None:
                gevent.sleep(self.rng.uniform(0.2, 0.5))
        if code is None:
            return
        s = self.session
        s.open()
        # Only tracking (no policy): this player decides the same round again and again below.
        state = s.state = ClientState(prefix=f"{self.rng.getrandbits(32):08x}")
        reply = s.wait_reply(
            s.request(
                state.join(code, f"快{self.rng.randrange(10**6)}"), "rapid: join", exclusive=True
            )
        )
        if reply is None or reply.get("type") != "joined":
            ROOMS.release(code)
            s.close()
            return
        state.receive(reply)
        waited = now() + 90.0
        while not (
            state.room_status == "playing"
            and state.round_state == "open"
            and state.status is not None
            and state.status.get("round") == state.round
        ):
            if now() > waited or self.stopping:
                s.close()
                return
            item = s.next(1.0)
            if item is not None:
                state.receive(item[1], item[0])
        open_round, status = state.round, state.status
        assert open_round is not None
        while not self.stopping:
            sent = now()
            message = state.decide(open_round, choose(status, self.rng))
            answer = self.exchange(s, message, "rapid: decide→ack")
            if answer is not None and answer.get("type") == "error":
                raise SessionClosed(f"refused: {answer.get('code')}")
            COUNTS["decisions"] += 1
            self.pause_after(sent)
