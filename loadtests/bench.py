"""``python -m loadtests.bench [--quick] [--only PHASE,...]``: the game server's benchmark.

One run starts ONE Redis server of its own (the project's ``EmbeddedRedis``, on a free loopback
port, data under ``loadtests/results/bench/redis``), then for each phase the servers it needs
(``python -m game_server serve`` with ``REDIS_URL`` pointing at that Redis, or the bare echo of
``loadtests/echo_app.py``), drives them, stops them, and at the end prints ONE table (also written
to ``loadtests/results/bench/table.txt`` and ``results.json``). Redis is emptied (FLUSHALL)
between phases. Every phase is bounded in time; only 127.0.0.1 is used; every process it started
is stopped at the end, also on an error or Ctrl-C.

Phases (``--only`` takes a comma-separated list of these names; the full run takes about 13
minutes, ``--quick`` about 4):

=============  ===============================================================================
idle           10,000 players (``--quick``: 2,000) connect to one instance with a lightweight
               asyncio client (``loadtests/idle_clients.py``), each ``hello`` + ``join`` into
               100-player workshop rooms, offering per-message deflate as browsers do; then
               they idle. Server RSS before and after, Redis memory before and after.
idle-plain     the same without per-message deflate (clients that don't offer it, like Locust's).
mix-small      the game's mix (below) with 60 rooms (660 players, 720 connections): a load one
               instance on this machine sustains (``--quick``: 10 rooms).
mix            the game's own mix (``SoloPlayer``, ``WorkshopHost``, ``WorkshopPlayer`` of
               locustfile.py) on one instance: 200 workshop rooms of 10 players (+ a host each)
               and 200 solo players (2,400 connections), thinking 2 s (each 1-3 s), the host
               pausing 0.5 s between rounds: a player acts about every 3 s. ``--quick``: 30 rooms.
mix2           the same on two instances sharing the one Redis; each Locust user takes the next
               instance, round-robin (no load balancer), so most rooms span both;
               ``--route room``: each workshop player the instance its room's code hashes to.
echo           the bare echo, as many users as the mix, each sending the same decide message at
               the rate a mix user offers when the server keeps up (0.35 a second): the same
               offered load.
bigroom        the live demo: one workshop room of 2,000 players (``--quick``: 300) and its host
               on one instance, rounds of 10 minutes (so only the players' decisions close them),
               players thinking 1 s (0.5-1.5); the host opens each round 1 s after the last one
               closed. Measured: the host's send of ``start``/``open_round`` to each player's
               receipt of ``round_opened``.
max            the game's decision path at full speed: 100 rooms of 10 ``RapidPlayer``s
               (``--quick``: 30) who decide again and again in an open round, each as soon as
               the last was acknowledged (at most 8 a second each, under the game's rate limit).
max-echo       as many users, paced the same way, against the bare echo.
=============  ===============================================================================

The Locust phases run ``--locust-processes`` (default 2) independent headless Locust processes,
each with its share of the users and the whole mix (hosts and players meet inside a process); the
big room's host and players share the room through files. Locust, the servers and Redis all
share this machine's cores; ``--quiet-wait`` waits for other work on the machine to calm down
before each phase, and the CPU column shows what other processes took. ``--server-src DIR`` runs
the game server from another checkout, to measure a change to it. See ``docs/performance.md`` for
what each figure means and the results.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import redis

from game_server import native
from game_server.stores.embedded_redis import EmbeddedRedis
from loadtests.run import (
    DEFAULT_RESULTS,
    LOOPBACK,
    PROJECT_DIR,
    Server,
    locust_command,
    read_csv,
    tail,
)

HERE = Path(__file__).resolve().parent
BENCH_LOCUSTFILE = HERE / "bench_locustfile.py"
NOFILE = 20_000
"""Open-files limit asked for the servers and the idle client (at most the hard limit)."""
PHASES = ("idle", "idle-plain", "mix-small", "mix", "echo", "mix2", "bigroom", "max", "max-echo")
MIX_RATE_PER_USER = 0.35
"""Actions a second that one user of the mix offers when the server keeps up (measured: 127
actions/s from 360 users with 30 rooms, p95 under 25 ms): the echo phase's offered load."""
LOCUST_GRACE = 30.0
"""Seconds past its run time after which a Locust process is interrupted (it prints its figures
then): one sometimes takes minutes to stop its users, for a reason not found yet."""


# --- Processes and what they use ------------------------------------------------------------


def proc_stat(pid: int) -> tuple[float, int] | None:
    """(CPU seconds used so far, RSS in KiB) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        rss = 0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        return cpu, rss
    except (OSError, IndexError, ValueError):
        return None


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def tree_cpu(pid: int) -> float:
    return sum((proc_stat(p) or (0.0, 0))[0] for p in tree(pid))


def established(ports: list[int]) -> int:
    """TCP connections established to these local ports (from /proc/net/tcp: a saturated server
    may not answer its /metrics in time, the kernel always does)."""
    wanted = {f"{port:04X}" for port in ports}
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as f:
            next(f, None)
            for line in f:
                fields = line.split(None, 4)
                if fields[3] == "01" and fields[1].rsplit(":", 1)[1] in wanted:
                    count += 1
    return count


def connections(url: str) -> int | None:
    """The ``gig_ws_connections`` gauge of an instance's /metrics."""
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    match = re.search(r"^gig_ws_connections (\S+)$", text, re.M)
    return int(float(match.group(1))) if match else None


HISTOGRAM_BUCKET = re.compile(r"^(\w+)_bucket\{([^}]*)\} (\S+)$", re.M)
LABEL = re.compile(r'(\w+)="([^"]*)"')


def server_side(urls: list[str]) -> dict[str, dict[str, float | None]]:
    """What the instances measured themselves, added up over them: how late their event loop
    ran (``gig_loop_lag_seconds``) and the time from reading a decision to answering it
    (``gig_action_seconds``), as the upper bounds (ms) of the buckets holding p50, p95 and p99.
    Beside the clients' latencies they show where a wait was: in the server's loop, or before
    the server read the frame (a busy machine, the clients themselves)."""
    counts: dict[str, dict[float, float]] = {"loop_lag": {}, "decide": {}, "gc2": {}}
    for url in urls:
        try:
            with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
                text = response.read().decode()
        except OSError:
            continue
        for name, labels_text, value in HISTOGRAM_BUCKET.findall(text):
            labels = dict(LABEL.findall(labels_text))
            le = labels.get("le", "+Inf")
            key = {
                "gig_loop_lag_seconds": "loop_lag",
                "gig_action_seconds": labels.get("type"),
                "gig_gc_pause_seconds": "gc" + labels.get("generation", ""),
            }.get(name)
            if key in counts and le != "+Inf":
                bucket = counts[key]
                bucket[float(le)] = bucket.get(float(le), 0.0) + float(value)
    out: dict[str, dict[str, float | None]] = {}
    for key, cumulative in counts.items():
        bounds = sorted(cumulative)
        total = cumulative[bounds[-1]] if bounds else 0.0
        out[key] = {"count": total}
        for label, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            found = next((b for b in bounds if total and cumulative[b] >= q * total), None)
            out[key][label] = None if found is None else found * 1000
    return out


def machine_busy() -> float:
    """CPU seconds all cores of the machine spent busy so far (every process, ours or not)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    return 0.0


@dataclass
class Sample:
    t: float
    server_cpu: float
    rss: int
    conns: int
    redis_cpu: float
    locust_cpu: float
    busy: float


class Sampler(threading.Thread):
    """Once a second: the servers' CPU, RSS and connections, Redis's and Locust's CPU, and how
    busy the whole machine is."""

    def __init__(self, servers: list[Server], redis_pid: int | None) -> None:
        super().__init__(daemon=True)
        self.servers = servers
        self.redis_pid = redis_pid
        self.locust_pids: list[int] = []
        self.stopped = threading.Event()
        self.samples: list[Sample] = []
        self.sample()

    def sample(self) -> None:
        stats = [proc_stat(s.pid or 0) or (0.0, 0) for s in self.servers]
        self.samples.append(
            Sample(
                time.monotonic(),
                sum(c for c, _ in stats),
                sum(r for _, r in stats),
                established([s.port for s in self.servers]),
                (proc_stat(self.redis_pid) or (0.0, 0))[0] if self.redis_pid else 0.0,
                sum(tree_cpu(pid) for pid in self.locust_pids),
                machine_busy(),
            )
        )

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            self.sample()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)

    def peak(self) -> Sample:
        return max(self.samples, key=lambda s: (s.conns, s.t))

    def cores(self, since: float, until: float = math.inf) -> dict[str, float]:
        """Cores used on average from ``since`` to ``until`` (monotonic; default: the last
        sample)."""
        window = [s for s in self.samples if since <= s.t <= until] or self.samples[-2:]
        a, b = window[0], window[-1]
        span = max(1e-6, b.t - a.t)
        # Locust's CPU: processes that ended are no longer counted, so take the largest rise.
        locust = max((s.locust_cpu for s in window), default=0.0) - a.locust_cpu
        ours = (b.server_cpu - a.server_cpu) + (b.redis_cpu - a.redis_cpu) + max(0.0, locust)
        busy = b.busy - a.busy
        return {
            "server": (b.server_cpu - a.server_cpu) / span,
            "redis": (b.redis_cpu - a.redis_cpu) / span,
            "locust": max(0.0, locust) / span,
            "machine": busy / span,
            "others": max(0.0, busy - ours) / span,
        }


# --- Redis ------------------------------------------------------------------------------------


def redis_counts(client: redis.Redis) -> dict[str, Any]:
    stats = client.info("commandstats")
    calls = {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()}
    cpu = client.info("cpu")
    memory = client.info("memory")
    return {
        "calls": calls,
        "cpu": float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]),
        "used_memory": int(memory["used_memory"]),
    }


def redis_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    calls = Counter(after["calls"])
    calls.subtract(before["calls"])
    return {
        "calls": sum(v for k, v in calls.items() if k not in ("info", "flushall", "ping")),
        "scripts": calls.get("evalsha", 0) + calls.get("eval", 0),
        "cpu": after["cpu"] - before["cpu"],
        "memory": after["used_memory"] - before["used_memory"],
        "top": {k: v for k, v in calls.most_common(12) if v > 0},
    }


# --- Locust's output --------------------------------------------------------------------------


def log_lines(path: Path, tag: str) -> list[Any]:
    out = []
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            _, found, payload = line.partition(tag + " ")
            if found:
                with contextlib.suppress(ValueError):
                    out.append(json.loads(payload))
    return out


def percentile(hist: Counter[int], q: float) -> float | None:
    total = sum(hist.values())
    if not total:
        return None
    rank = math.ceil(q * total)
    seen = 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= rank:
            return float(ms)
    return float(max(hist))


def plain_percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]


@dataclass
class Result:
    phase: str
    instances: int | str
    target: str
    users: int = 0
    conns: int = 0
    seconds: float = 0.0
    actions: int = 0
    rate: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    bcast_p95: float | None = None
    bcast_last: float | None = None
    rounds_reached: str = ""
    errors: int = 0
    kb_per_conn: float | None = None
    redis_per_action: float | None = None
    scripts_per_action: float | None = None
    redis_bytes_per_player: float | None = None
    redis_cpu_ms_per_action: float | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    ratio: float | None = None
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


# --- The benchmark ------------------------------------------------------------------------------


@dataclass
class Plan:
    quick: bool
    idle_players: int
    idle_room: int
    mix_rooms: int
    small_rooms: int
    mix_seconds: int
    echo_seconds: int
    big_players: int
    big_seconds: int
    max_rooms: int
    max_seconds: int
    locust_processes: int
    route: str = "user"
    """How mix2's workshop players pick an instance (``LOAD_ROUTE`` of locustfile.py)."""

    @classmethod
    def make(cls, quick: bool, processes: int) -> Plan:
        if quick:
            return cls(True, 2000, 100, 30, 10, 30, 25, 300, 40, 30, 20, processes)
        return cls(False, 10_000, 100, 200, 60, 100, 60, 2000, 150, 100, 45, processes)


class Bench:
    def __init__(
        self,
        plan: Plan,
        results: Path,
        profile: bool,
        quiet_wait: float = 0.0,
        server_src: Path | None = None,
    ) -> None:
        self.plan = plan
        self.server_src = server_src
        self.quiet_wait = quiet_wait
        self.dir = results
        self.profile = profile
        self.redis: EmbeddedRedis | None = None
        self.client: redis.Redis | None = None
        self.servers: list[Server] = []
        self.children: list[subprocess.Popen[Any]] = []
        self.results: dict[str, Result] = {}

    # --- processes ----------------------------------------------------------------------------

    def start_redis(self) -> None:
        self.redis = EmbeddedRedis(self.dir / "redis")
        url = self.redis.start()
        self.client = redis.Redis.from_url(url, decode_responses=True)
        print(f"Redis: {url} (pid {self.redis.pid})", flush=True)

    def game_servers(self, phase: str, n: int) -> list[Server]:
        assert self.redis is not None
        servers = []
        for i in range(n):
            env = {
                "REDIS_URL": self.redis.url,
                "INSTANCE_ID": f"bench-{i + 1}",
                "PYTHONPATH": os.pathsep.join(
                    str(p) for p in (self.server_src, PROJECT_DIR) if p is not None
                ),
                "BENCH_PROFILE_OUT": str(self.dir / f"{phase}-server{i + 1}.prof"),
            }
            argv = None
            if self.profile:
                argv = [sys.executable, "-m", "loadtests.profiled_serve"]
            servers.append(
                Server(
                    self.dir / "var" / f"{phase}-{i + 1}",
                    self.dir / f"{phase}-server{i + 1}.log",
                    env=env,
                    argv=argv,
                    nofile=NOFILE,
                )
            )
        return self.start_servers(servers)

    def echo_server(self, phase: str) -> list[Server]:
        server = Server(
            self.dir / "var" / phase,
            self.dir / f"{phase}-server.log",
            argv=[sys.executable, "-m", "loadtests.echo_app"],
            nofile=NOFILE,
        )
        return self.start_servers([server])

    def start_servers(self, servers: list[Server]) -> list[Server]:
        for server in servers:
            self.servers.append(server)
            server.start()
        time.sleep(1.0)  # let start-up garbage settle before the baseline
        return servers

    def stop_servers(self) -> None:
        for server in self.servers:
            if self.profile and server.process is not None and server.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    server.process.send_signal(signal.SIGUSR2)
                time.sleep(3.0)
            server.stop()
        self.servers = []

    def stop_all(self) -> None:
        for child in self.children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGINT)
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGKILL)
                    child.wait(timeout=10)
        self.children = []
        self.stop_servers()
        if self.client is not None:
            self.client.close()
        if self.redis is not None:
            self.redis.stop()

    def flush(self) -> dict[str, Any]:
        assert self.client is not None
        self.client.flushall()
        return redis_counts(self.client)

    # --- the idle phases ---------------------------------------------------------------------

    def idle(self, phase: str, compression: str) -> Result:
        plan = self.plan
        assert self.client is not None
        rooms = max(1, plan.idle_players // plan.idle_room)
        res = Result(phase, 1, "game", users=plan.idle_players)
        before_redis = self.flush()
        (server,) = self.game_servers(phase, 1)
        assert server.pid is not None
        base_cpu, base_rss = proc_stat(server.pid) or (0.0, 0)
        print(
            f"[{phase}] {plan.idle_players} idle players in {rooms} rooms, compression "
            f"{compression}; server RSS {base_rss / 1024:.0f} MiB before",
            flush=True,
        )
        command = [
            sys.executable,
            "-m",
            "loadtests.idle_clients",
            "--url",
            f"ws://{LOOPBACK}:{server.port}/ws",
            "--players",
            str(plan.idle_players),
            "--rooms",
            str(rooms),
            "--compression",
            compression,
            "--hold",
            "300",
        ]
        started = time.monotonic()
        client = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(self.dir / f"{phase}-client.log").open("wb"),
            text=True,
            start_new_session=True,
        )
        self.children.append(client)
        ready: dict[str, Any] = {}
        assert client.stdout is not None
        assert client.stdin is not None
        deadline = time.monotonic() + 400
        for line in client.stdout:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if event.get("event") == "ready":
                    ready = event
                    break
            if time.monotonic() > deadline:
                break
        time.sleep(2.0)
        cpu, rss = proc_stat(server.pid) or (0.0, 0)
        counted = connections(server.url) or established([server.port])
        after_redis = redis_counts(self.client)
        client_cpu = tree_cpu(client.pid)
        with contextlib.suppress(OSError):
            client.stdin.write("stop\n")
            client.stdin.flush()
        try:
            client.wait(timeout=120)
        except subprocess.TimeoutExpired:
            client.kill()
            client.wait()
        self.children.remove(client)
        took = time.monotonic() - started
        self.stop_servers()
        players = int(ready.get("players", 0))
        res.conns = counted
        res.users = players
        res.seconds = float(ready.get("seconds", took))
        res.errors = int(ready.get("failed", 0)) + max(0, plan.idle_players - players)
        if counted:
            res.kb_per_conn = (rss - base_rss) / counted
        delta = redis_delta(before_redis, after_redis)
        if players:
            res.redis_bytes_per_player = delta["memory"] / players
            res.actions = players + rooms
            res.redis_per_action = delta["calls"] / res.actions
            res.scripts_per_action = delta["scripts"] / res.actions
            res.redis_cpu_ms_per_action = 1000 * delta["cpu"] / res.actions
        res.cpu = {"server": cpu - base_cpu, "client": client_cpu}
        res.extra = {
            "rss_before_kib": base_rss,
            "rss_after_kib": rss,
            "redis_memory_delta": delta["memory"],
            "redis_top": delta["top"],
            "ready": ready,
            "join_seconds": ready.get("seconds"),
        }
        res.notes.append(
            f"{players} players + {rooms} hosts joined in {ready.get('seconds')} s "
            f"(lobby events received: {ready.get('received')}); server RSS "
            f"{base_rss / 1024:.0f} -> {rss / 1024:.0f} MiB, "
            f"Redis +{delta['memory'] / 2**20:.1f} MiB"
        )
        print(f"[{phase}] done in {took:.0f} s: {res.notes[-1]}", flush=True)
        return res

    # --- the Locust phases --------------------------------------------------------------------

    def locust(
        self,
        phase: str,
        servers: list[Server],
        classes: list[str],
        users: int,
        seconds: int,
        env: dict[str, str],
        processes: int,
        rate: float,
        target: str,
        before_redis: dict[str, Any] | None,
        steady: bool = True,
        split: list[tuple[int, list[str], dict[str, str]]] | None = None,
    ) -> Result:
        """``split``: the users, classes and extra environment of each Locust process (default:
        ``processes`` equal shares of ``users``, each of all ``classes``)."""
        res = Result(phase, len(servers) if target == "game" else "echo", target, users=users)
        for old in self.dir.glob(f"{phase}*_*.csv"):
            old.unlink()
        # P independent Locust processes, each with its share of the users and the whole mix:
        # hosts and players meet inside a process, and Locust's own --processes would deal the
        # classes out unevenly (with weights 1:1:10 and two workers, every host lands on one).
        if split is None:
            processes = max(1, min(processes, users))
            split = [
                (users // processes + (i < users % processes), list(classes), {})
                for i in range(processes)
            ]
        processes = len(split)
        full_env = dict(os.environ, PYTHONUNBUFFERED="1", **env)
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_DIR), os.environ.get("PYTHONPATH", "")) if p
        )
        if len(servers) > 1:
            full_env["LOAD_HOSTS"] = ",".join(s.url for s in servers)
        # The steady part: from the end of the ramp-up (and 5 s more) or 40 % of the run, whichever
        # is later, but at most 70 % of it.
        ramp = users / rate if rate else 0.0
        steady_after = min(0.7 * seconds, max(0.4 * seconds, ramp + 5.0)) if steady else 0.0
        full_env["BENCH_STEADY_AFTER"] = f"{steady_after:g}"
        base = [proc_stat(s.pid or 0) or (0.0, 0) for s in servers]
        redis_pid = self.redis.pid if self.redis is not None and target == "game" else None
        sampler = Sampler(servers, redis_pid)
        print(
            f"[{phase}] Locust: {users} users ({' '.join(classes)}), {rate:g}/s, {seconds} s, "
            f"{processes} process(es), against {', '.join(s.url for s in servers)}",
            flush=True,
        )
        log_paths = [self.dir / f"{phase}-locust{i + 1}.log" for i in range(processes)]
        started = time.monotonic()
        running: list[subprocess.Popen[bytes]] = []
        try:
            for i, (share, share_classes, share_env) in enumerate(split):
                command = locust_command(
                    servers[0].url,
                    share,
                    rate * share / users,
                    seconds,
                    self.dir,
                    locustfile=BENCH_LOCUSTFILE,
                    prefix=f"{phase}{i + 1}",
                    html=None,
                    extra=share_classes,
                )
                with log_paths[i].open("wb") as log:
                    process = subprocess.Popen(
                        command,
                        cwd=PROJECT_DIR,
                        env={**full_env, **share_env},
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                running.append(process)
                self.children.append(process)
            sampler.locust_pids = [p.pid for p in running]
            sampler.start()
            while any(p.poll() is None for p in running):
                if time.monotonic() - started > seconds + LOCUST_GRACE:
                    print(f"[{phase}] Locust overran its time: stopping it", flush=True)
                    for process in running:  # its greenlets' stacks into its log first
                        with contextlib.suppress(ProcessLookupError):
                            process.send_signal(signal.SIGUSR1)
                    time.sleep(2)
                    for process in running:
                        with contextlib.suppress(ProcessLookupError):
                            process.send_signal(signal.SIGINT)
                    time.sleep(20)
                    for process in running:
                        if process.poll() is None:
                            os.killpg(process.pid, signal.SIGKILL)
                    break
                time.sleep(0.5)
        finally:
            for process in running:
                process.wait()
                self.children.remove(process)
        took = time.monotonic() - started
        sampler.stop()
        after_redis = redis_counts(self.client) if before_redis and self.client else None
        for process, log_path in zip(running, log_paths, strict=True):
            if process.returncode not in (0, 1):
                res.notes.append(f"Locust exited with code {process.returncode}")
                print(tail(log_path, 15), flush=True)
        if target == "game":
            res.extra["server_side"] = server_side([server.url for server in servers])
        self.stop_servers()

        # Locust's statistics, added up over the processes
        rows_by = [read_csv(self.dir / f"{phase}{i + 1}_stats.csv") for i in range(processes)]
        rows = [r for rows in rows_by for r in rows]
        res.errors = sum(
            int(float(r.get("Failure Count") or 0)) for r in rows if r.get("Name") != "Aggregated"
        )
        hist: dict[str, Counter[int]] = {}
        for data in (d for path in log_paths for d in log_lines(path, "GIGLIFE-HIST")):
            for kind, counts in data.items():
                hist.setdefault(kind, Counter()).update(
                    {int(ms): int(n) for ms, n in counts.items()}
                )
        every, steady_hist = hist.get("action", Counter()), hist.get("steady_action", Counter())
        res.actions = sum(every.values())
        res.seconds = float(seconds)
        per_second = hist.get("per_second", Counter())
        if per_second:
            first, last = min(per_second), max(per_second)
            # The last second is partial; a Locust slow to stop trickles on past the run's end.
            window = range(int(first + steady_after), min(last, int(first + seconds)))
            if len(window) >= 3:
                res.rate = sum(per_second[t] for t in window) / len(window)
            else:
                res.rate = res.actions / seconds
        res.p50 = percentile(steady_hist, 0.50)
        res.p95 = percentile(steady_hist, 0.95)
        res.p99 = percentile(steady_hist, 0.99)
        res.bcast_p95 = percentile(hist.get("steady_broadcast", Counter()), 0.95)
        res.extra["whole_run"] = {
            "actions_per_s": res.actions / seconds,
            "p50": percentile(every, 0.5),
            "p95": percentile(every, 0.95),
            "p99": percentile(every, 0.99),
            "max": max(every) if every else None,
            "broadcast_p95": percentile(hist.get("broadcast", Counter()), 0.95),
            "broadcast_p99": percentile(hist.get("broadcast", Counter()), 0.99),
        }
        res.extra["steady_after_s"] = steady_after
        merged: dict[tuple[str, int], list[float]] = {}
        for path in log_paths:  # one room's players may be in several processes
            for data in log_lines(path, "GIGLIFE-ROUNDS"):
                for code, r, n, ms in data:
                    entry = merged.setdefault((code, int(r)), [0, 0.0])
                    entry[0] += int(n)
                    entry[1] = max(entry[1], float(ms))
        rounds = [(code, r, int(n), ms) for (code, r), (n, ms) in merged.items()]
        if rounds:
            res.bcast_last = plain_percentile([float(r[3]) for r in rounds], 0.95)
            res.extra["rounds"] = rounds
        completed: Counter[str] = Counter()
        for data in (d for path in log_paths for d in log_lines(path, "GIGLIFE-COUNTS")):
            completed.update(data)
        res.extra["counts"] = dict(completed)
        res.extra["requests"] = [
            {
                "process": i + 1,
                "name": r["Name"],
                "count": int(float(r.get("Request Count") or 0)),
                "fails": int(float(r.get("Failure Count") or 0)),
                "p50": r.get("50%"),
                "p95": r.get("95%"),
                "p99": r.get("99%"),
                "max": r.get("Max Response Time"),
            }
            for i, rows_i in enumerate(rows_by)
            for r in rows_i
        ]
        failures = [
            f for i in range(processes) for f in read_csv(self.dir / f"{phase}{i + 1}_failures.csv")
        ]
        res.extra["failures"] = [
            f"{f.get('Occurrences')}x {f.get('Name')}: {f.get('Error')}" for f in failures
        ]
        peak = sampler.peak()
        res.conns = peak.conns
        if target == "game" and peak.conns:
            res.kb_per_conn = (peak.rss - sum(b[1] for b in base)) / peak.conns
        conns = [x.conns for x in sampler.samples if x.t >= started + steady_after]
        res.extra["mean_connections"] = sum(conns) / len(conns) if conns else None
        # Up to the run's end: a Locust slow to stop (it happens; the bench then interrupts it)
        # would otherwise add its idle tail to the window and lower every CPU figure.
        res.cpu = sampler.cores(started + steady_after, started + seconds)
        res.extra["cpu_whole_run"] = sampler.cores(started, started + seconds)
        if after_redis is not None and before_redis is not None and res.actions:
            delta = redis_delta(before_redis, after_redis)
            res.redis_per_action = delta["calls"] / res.actions
            res.scripts_per_action = delta["scripts"] / res.actions
            res.redis_cpu_ms_per_action = 1000 * delta["cpu"] / res.actions
            res.extra["redis_top"] = delta["top"]
        print(
            f"[{phase}] done in {took:.0f} s: {res.actions} actions ({fmt(res.rate, 1)}/s), "
            f"p50/p95/p99 {fmt(res.p50)}/{fmt(res.p95)}/{fmt(res.p99)} ms, {res.errors} errors, "
            f"peak {res.conns} connections; CPU (cores) server {res.cpu['server']:.2f}, "
            f"Redis {res.cpu['redis']:.2f}, Locust {res.cpu['locust']:.2f}, other processes "
            f"{res.cpu['others']:.2f}",
            flush=True,
        )
        for line in res.extra["failures"][:5]:
            print(f"    {line}", flush=True)
        if "server_side" in res.extra:
            own = res.extra["server_side"]
            print(
                f"[{phase}] the server's own view (bucket bounds, ms): loop lag p50/p95/p99 "
                + "/".join(fmt(own["loop_lag"][q]) for q in ("p50", "p95", "p99"))
                + "; a decision read to answered p50/p95/p99 "
                + "/".join(fmt(own["decide"][q]) for q in ("p50", "p95", "p99"))
                + f"; full garbage collections: {fmt(own['gc2']['count'])}, p50/p99 "
                + "/".join(fmt(own["gc2"][q]) for q in ("p50", "p99")),
                flush=True,
            )
        return res

    def mix(self, phase: str, instances: int, rooms: int) -> Result:
        plan = self.plan
        before = self.flush()
        servers = self.game_servers(phase, instances)
        hosts = rooms
        players = rooms * 10
        solo = rooms  # one solo player per room of ten: solo users are one in 12
        users = hosts + players + solo
        env = {
            "ROOM_SIZE": "10",
            # Weights: solo 1, host 1, player 10 when solo players are one in 12 users.
            "SOLO_SHARE": f"{solo / users:.4f}",
            "LOAD_THINK": "2",
            "HOST_PAUSE": "0.5",
            "LOBBY_WAIT": "20",
            "LOBBY_QUIET": "5",
            "ROUND_SECONDS": "60",
            "LOAD_ROUTE": plan.route,
        }
        res = self.locust(
            phase,
            servers,
            ["SoloPlayer", "WorkshopHost", "WorkshopPlayer"],
            users,
            plan.mix_seconds,
            env,
            plan.locust_processes,
            rate=max(10.0, users / 20),
            target="game",
            before_redis=before,
        )
        res.extra["mix"] = f"{hosts} hosts, {players} workshop players, {solo} solo"
        return res

    def echo(self, phase: str, users: int, rate_per_user: float) -> Result:
        plan = self.plan
        servers = self.echo_server(phase)
        think = 1.0 / rate_per_user
        res = self.locust(
            phase,
            servers,
            ["EchoPlayer"],
            users,
            plan.echo_seconds,
            {"BENCH_PACE": "think", "LOAD_THINK": f"{think:.3f}"},
            plan.locust_processes,
            rate=max(10.0, users / 20),
            target="echo",
            before_redis=None,
        )
        res.extra["think"] = think
        return res

    def bigroom(self) -> Result:
        plan = self.plan
        before = self.flush()
        servers = self.game_servers("bigroom", 1)
        users = plan.big_players + 1
        env = {
            "ROOM_SIZE": str(plan.big_players),
            "SOLO_SHARE": "0",
            "LOAD_THINK": "1",
            "HOST_PAUSE": "1",
            "ROUND_SECONDS": "600",
            "LOBBY_WAIT": "90",
            "LOBBY_QUIET": "15",
            "LOAD_QUIZ": "0",
            "ACK_TIMEOUT": "30",
        }
        shared = self.dir / "bigroom-shared"
        shutil.rmtree(shared, ignore_errors=True)
        env["BENCH_SHARED_DIR"] = str(shared)
        # Two Locust processes share the room through files: the host and half the players in
        # the first, the other half in the second (one process cannot keep up with the room).
        half = plan.big_players // 2
        split = [
            (1 + half, ["WorkshopHost", "WorkshopPlayer"], {"BENCH_HOSTS": "1"}),
            (plan.big_players - half, ["WorkshopPlayer"], {}),
        ]
        return self.locust(
            "bigroom",
            servers,
            ["WorkshopHost", "WorkshopPlayer"],
            users,
            plan.big_seconds,
            env,
            2,
            rate=max(10.0, users / 30),
            target="game",
            before_redis=before,
            steady=False,
            split=split,
        )

    def rapid(self, phase: str, echo: bool) -> Result:
        plan = self.plan
        users = plan.max_rooms * 11
        env = {"BENCH_PACE": "rapid", "BENCH_INTERVAL": "0.125", "ROOM_SIZE": "10"}
        if echo:
            servers = self.echo_server(phase)
            classes, before = ["EchoPlayer"], None
            users = plan.max_rooms * 10
        else:
            before = self.flush()
            servers = self.game_servers(phase, 1)
            classes = ["RapidHost", "RapidPlayer"]
        return self.locust(
            phase,
            servers,
            classes,
            users,
            plan.max_seconds,
            env,
            plan.locust_processes,
            rate=max(10.0, users / 5),
            target="echo" if echo else "game",
            before_redis=before,
        )

    # --- all of it ----------------------------------------------------------------------------

    def wait_quiet(self, phase: str) -> None:
        """Wait (at most ``quiet_wait`` s) until the machine is nearly idle: other work on it
        (another test run, a browser) takes cores from the servers and from Locust."""
        if self.quiet_wait <= 0:
            return
        deadline = time.monotonic() + self.quiet_wait
        while True:
            a = machine_busy()
            time.sleep(3.0)
            busy = (machine_busy() - a) / 3.0
            if busy < 0.25:
                return
            if time.monotonic() > deadline:
                print(
                    f"[{phase}] the machine is still busy ({busy:.2f} cores by other processes): "
                    "going on; see the 'other' CPU column",
                    flush=True,
                )
                return
            print(f"[{phase}] waiting for the machine to calm down ({busy:.2f} cores busy)")

    def run(self, phases: list[str]) -> None:
        self.start_redis()
        for phase in phases:
            self.wait_quiet(phase)
            if phase == "idle":
                self.results[phase] = self.idle(phase, "deflate")
            elif phase == "idle-plain":
                self.results[phase] = self.idle(phase, "none")
            elif phase in ("mix", "mix2", "mix-small"):
                rooms = self.plan.small_rooms if phase == "mix-small" else self.plan.mix_rooms
                self.results[phase] = self.mix(phase, 2 if phase == "mix2" else 1, rooms)
            elif phase == "echo":
                users = self.plan.mix_rooms * 11 + self.plan.mix_rooms
                self.results[phase] = self.echo(phase, users, MIX_RATE_PER_USER)
            elif phase == "bigroom":
                self.results[phase] = self.bigroom()
            elif phase == "max":
                self.results[phase] = self.rapid(phase, echo=False)
            elif phase == "max-echo":
                self.results[phase] = self.rapid(phase, echo=True)
        echo = self.results.get("echo")
        for name in ("mix", "mix2"):
            game = self.results.get(name)
            if game and echo and game.rate and echo.rate:
                game.ratio = game.rate / echo.rate
        top, base = self.results.get("max"), self.results.get("max-echo")
        if top and base and top.rate and base.rate:
            top.ratio = top.rate / base.rate


# --- The table ----------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


COLUMNS = (
    ("phase", "phase"),
    ("inst", "instances"),
    ("conns", "connections at the peak (all instances)"),
    ("act/s", "actions acknowledged per second"),
    ("p50", "ms from an action to its answer, 50th percentile"),
    ("p95", "95th"),
    ("p99", "99th"),
    ("start p95", "ms from the host's round start to a player's round_opened, 95th percentile"),
    ("last p95", "ms to the LAST player of the room, 95th percentile over rounds"),
    ("errors", "Locust failures (or idle clients that did not get in)"),
    ("KB/conn", "server RSS with N connected minus before, per connection"),
    ("redis/act", "Redis commands (incl. those run inside scripts) per action"),
    ("scripts/act", "of which EVALSHA calls (round trips with a script)"),
    ("vs echo", "throughput ratio to the bare echo at the same load (max: at full speed)"),
    ("CPU srv/redis/locust/other", "cores used on average (other: processes not ours)"),
)


def table(results: dict[str, Result]) -> str:
    rows = [[c[0] for c in COLUMNS]]
    for res in results.values():
        cpu = res.cpu
        if "locust" in cpu:
            cpu_text = (
                f"{cpu['server']:.2f}/{cpu['redis']:.2f}/{cpu['locust']:.2f}/{cpu['others']:.2f}"
            )
        else:
            cpu_text = f"{cpu.get('server', 0):.0f}s/-/{cpu.get('client', 0):.0f}s (CPU s)"
        rows.append(
            [
                res.phase,
                str(res.instances),
                f"{res.conns:,}",
                fmt(res.rate, 1) if res.target != "idle" else "-",
                fmt(res.p50),
                fmt(res.p95),
                fmt(res.p99),
                fmt(res.bcast_p95),
                fmt(res.bcast_last),
                str(res.errors),
                fmt(res.kb_per_conn, 1),
                fmt(res.redis_per_action, 1),
                fmt(res.scripts_per_action, 2),
                fmt(res.ratio, 2),
                cpu_text,
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine_info(processes: int) -> dict[str, str]:
    cpu = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    redis_server = "-"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        binary = shutil.which("redis-server")
        if binary:
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=5)
            match = re.search(r"v=(\S+)", out.stdout)
            redis_server = match.group(1) if match else out.stdout.strip()
    return {
        "cpus": f"{os.cpu_count()} ({cpu})",
        "memory": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "uvicorn": version("uvicorn"),
        "websockets": version("websockets"),
        "redis-py": version("redis"),
        "redis-server": redis_server,
        "locust": version("locust"),
        "locust shares the machine": f"yes ({processes} Locust processes in most phases)",
    }


# --- Main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a short version (about 4 minutes)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated phases, of: {', '.join(PHASES)}"
    )
    parser.add_argument(
        "--locust-processes",
        type=int,
        default=2,
        help="Locust worker processes for the mix, echo and max phases (default 2)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        default=os.environ.get("BENCH_PROFILE", "") not in ("", "0"),
        help="run the game servers under cProfile (also BENCH_PROFILE=1); *.prof(.txt) files",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20.0,
        help="before each phase, wait up to this many seconds for the machine to be idle "
        "(other processes under a quarter of a core; default 20, 0: don't wait)",
    )
    parser.add_argument(
        "--small-rooms",
        type=int,
        default=None,
        help="workshop rooms of the mix-small phase (default 60; --quick: 10), to find the load "
        "one instance sustains",
    )
    parser.add_argument(
        "--route",
        choices=("user", "room"),
        default="user",
        help="mix2: each user to the next instance (user, default), or a workshop player to "
        "its room's instance (room: the room code in the URL, as a load balancer would route)",
    )
    parser.add_argument(
        "--server-src",
        type=Path,
        default=None,
        help="run the game server from this checkout instead (to measure a change to it)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS / "bench",
        help="output directory (default loadtests/results/bench)",
    )
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.only.split(",") if p.strip()] or list(PHASES)
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        parser.error(f"unknown phase(s) {', '.join(unknown)}; there are: {', '.join(PHASES)}")
    phases = [p for p in PHASES if p in phases]
    results_dir: Path = args.results.resolve()
    shutil.rmtree(results_dir, ignore_errors=True)
    results_dir.mkdir(parents=True)
    plan = Plan.make(args.quick, max(1, args.locust_processes))
    if args.small_rooms:
        plan.small_rooms = max(1, args.small_rooms)
    plan.route = args.route
    info = machine_info(plan.locust_processes)
    server_src = args.server_src.resolve() if args.server_src else None
    if server_src is None:
        # The servers load the engine as `serve` does: compiled where a build of today's sources
        # exists. Built here, so that a run not started by `make bench` (which builds it) does not
        # measure the plain engine after an edit.
        info["engine"] = "compiled with mypyc" if native.build() else "plain Python"
    bench = Bench(plan, results_dir, args.profile, args.quiet_wait, server_src)
    started = time.monotonic()
    print(f"Gig Life server benchmark{' (quick)' if args.quick else ''}: {', '.join(phases)}")
    print(f"results in {results_dir}", flush=True)
    interrupted = False
    try:
        bench.run(phases)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: stopping everything", flush=True)
    finally:
        bench.stop_all()
    took = time.monotonic() - started
    text = table(bench.results)
    lines = [
        "",
        f"Gig Life server benchmark{' (quick)' if args.quick else ''}: "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {took / 60:.1f} min",
        "machine: " + "; ".join(f"{k} {v}" for k, v in info.items()),
        "",
        text,
        "",
    ]
    for res in bench.results.values():
        for note in res.notes:
            lines.append(f"{res.phase}: {note}")
        if res.redis_bytes_per_player is not None:
            lines.append(
                f"{res.phase}: Redis memory {res.redis_bytes_per_player / 1024:.2f} KiB per player"
            )
        if "mix" in res.extra:
            mean = res.extra.get("mean_connections")
            lines.append(
                f"{res.phase}: {res.extra['mix']}; {fmt(mean)} connections on average; "
                f"completed {res.extra.get('counts')}"
            )
        if res.extra.get("rounds"):
            reached = [f"r{r[1]}: {r[2]} players, last {r[3]:.0f} ms" for r in res.extra["rounds"]]
            lines.append(f"{res.phase}: round starts: " + "; ".join(reached[:12]))
        for failure in res.extra.get("failures", [])[:4]:
            lines.append(f"{res.phase}: failure {failure}")
    output = "\n".join(lines)
    print(output)
    (results_dir / "table.txt").write_text(output + "\n", encoding="utf-8")
    (results_dir / "results.json").write_text(
        json.dumps(
            {
                "machine": info,
                "quick": args.quick,
                "minutes": round(took / 60, 2),
                "results": {k: v.__dict__ for k, v in bench.results.items()},
            },
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
