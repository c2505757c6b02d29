"""``python -m loadtests.run --users 200 --seconds 60 [--spawn-rate R] [--host URL]``

Without ``--host`` it starts the game server itself (``python -m game_server serve`` on a free
loopback port, its embedded Redis and SQLite under ``loadtests/results/var``), waits for
``/healthz``, runs Locust headless on ``loadtests/locustfile.py``, stops the server, and prints a
summary per request name from Locust's CSV. Exit code 0 when Locust succeeded and no request
failed, 1 otherwise, 2 when the server could not be started.

Outputs in ``loadtests/results/`` (git-ignored): ``run_stats.csv``, ``run_failures.csv``,
``run_exceptions.csv``, ``run_stats_history.csv``, ``report.html``, ``locust.log``,
``server.log`` and ``var/`` (the server's Redis and SQLite data of the last run).

Deliberately no Locust import here: Locust monkey-patches the standard library with gevent, so it
runs only in its own subprocess (and this module is safe to import from tests).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE.parent
LOCUSTFILE = HERE / "locustfile.py"
DEFAULT_RESULTS = HERE / "results"
LOOPBACK = "127.0.0.1"

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
LOCUST_GRACE = 120.0
"""Seconds Locust may take beyond the run time (start-up, stopping users, writing reports)."""


# --- The server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


class Server:
    """The game server as a subprocess on a loopback port, with its embedded Redis."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
        argv: list[str] | None = None,
        nofile: int | None = None,
    ) -> None:
        """``env``: set after the defaults (e.g. ``REDIS_URL`` of a shared Redis, so no embedded
        one starts); ``argv``: another ASGI server to run the same way (``PORT``, ``HOST`` and
        ``DATA_DIR`` in its environment, ``/healthz`` to wait for); ``nofile``: the soft limit
        of open files for the process (``ulimit -n``), for thousands of sockets."""
        self.data_dir = data_dir
        self.log_path = log_path
        self.extra_env = dict(env or {})
        self.argv = argv or [sys.executable, "-m", "game_server", "serve"]
        self.nofile = nofile
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        env = dict(os.environ)
        # The embedded default, whatever this shell points at: own Redis, own SQLite file.
        for name in ("REDIS_URL", "DATABASE_URL", "PUBLIC_URL", "TRAINER_PASSCODE"):
            env.pop(name, None)
        env.update(
            PORT=str(self.port),
            HOST=LOOPBACK,
            DATA_DIR=str(self.data_dir),
            ENVIRONMENT="development",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=os.pathsep.join(
                p for p in (str(PROJECT_DIR), env.get("PYTHONPATH", "")) if p
            ),
        )
        env.update(self.extra_env)
        with self.log_path.open("wb") as log:
            # cwd: the data directory, so no .env file of the project's is read.
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=None if self.nofile is None else self._raise_nofile,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with code {self.process.returncode} at start-up; "
                    f"see {self.log_path}:\n{tail(self.log_path)}"
                )
            if self.healthy():
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"the server did not answer /healthz within {timeout:g} s; see {self.log_path}:\n"
            + tail(self.log_path)
        )

    def _raise_nofile(self) -> None:
        """In the child before exec: ``ulimit -n`` up to ``nofile`` (at most the hard limit)."""
        assert self.nofile is not None
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = self.nofile if hard == resource.RLIM_INFINITY else min(self.nofile, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM (a graceful shutdown, which also stops its Redis), then SIGKILL; returns the
        exit code. A Redis left behind by a killed server is stopped through its pid file."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self._stop_orphan_redis()
        return process.returncode

    def _stop_orphan_redis(self) -> None:
        pid_file = self.data_dir / "redis" / "redis.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return  # not running (or no /proc to check it by: leave it)
        if "redis-server" not in cmdline or str(self.data_dir) not in cmdline:
            return  # the pid was reused by someone else's process
        print(f"stopping a Redis server the game server left behind (pid {pid})")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(the log is empty)"


# --- Locust ---------------------------------------------------------------------------------------


def locust_command(
    host: str,
    users: int,
    rate: float,
    seconds: int,
    results: Path,
    locustfile: Path = LOCUSTFILE,
    prefix: str = "run",
    html: str | None = "report.html",
    extra: list[str] | None = None,
) -> list[str]:
    """Locust headless for ``seconds``, its CSV as ``results/PREFIX_*.csv``; ``extra``: more
    options and user class names."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "-u",
        str(users),
        "-r",
        f"{rate:g}",
        "-t",
        f"{seconds}s",
        "--host",
        host,
        "--csv",
        str(results / prefix),
        "--only-summary",
    ]
    if html:
        command += ["--html", str(results / html)]
    return command + list(extra or [])


def run_locust(
    host: str, users: int, rate: float, seconds: int, results: Path, log_path: Path
) -> int:
    command = locust_command(host, users, rate, seconds, results)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            return process.wait(timeout=seconds + LOCUST_GRACE)
        except subprocess.TimeoutExpired:
            print(f"Locust ran {LOCUST_GRACE:g} s over its time: stopping it")
            process.send_signal(signal.SIGINT)
            try:
                return process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                return process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise


# --- The summary ----------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def _num(row: dict[str, str], key: str) -> float:
    try:
        return float(row.get(key) or 0)
    except ValueError:
        return 0.0


def summary(results: Path) -> tuple[str, int]:
    """The table of ``run_stats.csv`` and the failures listed, and the number of failures."""
    rows = read_csv(results / "run_stats.csv")
    if not rows:
        return "(no statistics: Locust wrote no run_stats.csv)", 1
    header = ("request", "count", "fails", "median", "p95", "p99", "max", "rps")
    table = [header]
    failures = 0
    for row in rows:
        name = row.get("Name") or ""
        if name == "Aggregated":
            name = "ALL"
        else:
            failures += int(_num(row, "Failure Count"))
        table.append(
            (
                name,
                f"{_num(row, 'Request Count'):.0f}",
                f"{_num(row, 'Failure Count'):.0f}",
                f"{_num(row, '50%'):.0f}",
                f"{_num(row, '95%'):.0f}",
                f"{_num(row, '99%'):.0f}",
                f"{_num(row, 'Max Response Time'):.0f}",
                f"{_num(row, 'Requests/s'):.1f}",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for i, r in enumerate(table):
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if i == 0 or (i == len(table) - 2 and table[-1][0] == "ALL"):
            lines.append("  ".join("-" * w for w in widths))
    lines.append("(times in ms, from the send to the answer's arrival; rps: per second)")
    failed = read_csv(results / "run_failures.csv")
    if failed:
        lines.append("")
        lines.append("Failures:")
        for row in failed:
            lines.append(f"  {row.get('Occurrences')}x  {row.get('Name')}: {row.get('Error')}")
    return "\n".join(lines), failures


def counts(locust_log: Path) -> dict[str, int] | None:
    """What the users completed, from the line the locustfile logs at the end."""
    try:
        text = locust_log.read_text(errors="replace")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        _, found, payload = line.partition("GIGLIFE-COUNTS ")
        if found:
            try:
                data = json.loads(payload)
            except ValueError:
                return None
            return {str(k): int(v) for k, v in data.items()}
    return None


def server_problems(server_log: Path) -> list[tuple[int, str]]:
    """The distinct problem lines of the server's log, with how often each came: its warnings and
    errors and the last line of each traceback (uvicorn's access and info lines left out)."""
    try:
        text = server_log.read_text(errors="replace")
    except OSError:
        return []
    found: dict[str, int] = {}
    started = False
    for line in text.splitlines():
        if line.startswith("INFO:"):
            started = True  # before it: the banner (addresses, data directory)
            continue
        if not started or not line.strip() or line[0].isspace() or line.startswith("Traceback"):
            continue
        found[line[:200]] = found.get(line[:200], 0) + 1
    return sorted(((n, line) for line, n in found.items()), key=lambda item: -item[0])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


# --- Main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.run", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("--users", type=int, default=200, help="simulated users (default 200)")
    parser.add_argument("--seconds", type=int, default=60, help="run time (default 60)")
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=None,
        help="users started per second (default: users/10, at least 10)",
    )
    parser.add_argument(
        "--host", default=None, help="a running server (http://HOST:PORT); default: start one"
    )
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="output directory")
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds < 1:
        parser.error("--users and --seconds must be at least 1")
    rate = args.spawn_rate or min(float(args.users), max(10.0, args.users / 10))
    results: Path = args.results.resolve()
    results.mkdir(parents=True, exist_ok=True)
    for old in results.glob("run_*.csv"):
        old.unlink()
    locust_log, server_log = results / "locust.log", results / "server.log"

    server: Server | None = None
    host = args.host
    try:
        if host is None:
            server = Server(results / "var", server_log)
            print(f"starting the game server on {server.url} (log: {server_log})")
            try:
                server.start()
            except RuntimeError as exc:
                print(exc, file=sys.stderr)
                return 2
            host = server.url
        print(
            f"Locust: {args.users} users, {rate:g}/s, {args.seconds} s against {host} "
            f"(log: {locust_log})",
            flush=True,
        )
        started = time.monotonic()
        code = run_locust(host, args.users, rate, args.seconds, results, locust_log)
        took = time.monotonic() - started
        if server is not None and server.process is not None and server.process.poll() is not None:
            print(f"the server died during the run (exit code {server.process.returncode})")
            code = code or 1
    finally:
        if server is not None:
            server.stop()

    table, failures = summary(results)
    print()
    print(f"Gig Life load test: {args.users} users, {args.seconds} s (Locust ran {took:.0f} s)")
    print(f"machine: {machine()}")
    done = counts(locust_log)
    if done:
        print(
            f"completed: {done.get('solo_lives', 0)} solo lives, "
            f"{done.get('workshop_games', 0)} workshop games "
            f"({done.get('workshop_lives', 0)} player lives), {done.get('decisions', 0)} "
            f"decisions, {done.get('reconnects', 0)} reconnects"
        )
    print()
    print(table)
    if server is not None:
        problems = server_problems(server_log)
        print()
        if problems:
            print(f"server log ({server_log}): errors and warnings")
            for n, line in problems[:10]:
                print(f"  {n:5d}x  {line}")
        else:
            print("server log: no errors or warnings")
    print()
    print(f"reports: {results / 'report.html'}, {results}/run_*.csv")
    if code != 0:
        print(f"Locust exited with code {code}; last lines of {locust_log}:")
        print(tail(locust_log, 15))
    return 0 if code == 0 and failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
