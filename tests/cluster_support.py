"""A real Redis Cluster for tests: three primaries and three replicas of the system's
``redis-server`` (Debian's 7.0; ``make test`` installs it where it is missing) on free loopback
ports in a temporary directory, made with ``redis-cli --cluster create``.

``cluster-node-timeout`` is short (1 s) so that a killed primary's replica is promoted within a
few seconds without ``CLUSTER FAILOVER``: the failover tests kill a primary and wait for that.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

HOST = "127.0.0.1"
NODES = 6
NODE_TIMEOUT_MS = 1000
STARTUP_TIMEOUT = 20.0
CREATE_OPTIONS = ("--cluster-replicas", "1", "--cluster-yes")


def _free_ports(count: int) -> list[int]:
    """``count`` ports free now (and their cluster bus ports, port + 10000, below 65536)."""
    ports: list[int] = []
    sockets: list[socket.socket] = []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            port = sock.getsockname()[1]
            sockets.append(sock)
            if port + 10000 < 65536:
                ports.append(port)
    finally:
        for sock in sockets:
            sock.close()
    return ports


@dataclass
class ClusterNode:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"redis://{self.address}"

    def client(self) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, decode_responses=True, socket_timeout=5)

    def start(self, server: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "redis.log").open("ab")
        options = {
            "bind": HOST,
            "port": str(self.port),
            "dir": str(self.directory),
            "cluster-enabled": "yes",
            "cluster-config-file": "nodes.conf",
            "cluster-node-timeout": str(NODE_TIMEOUT_MS),
            "appendonly": "no",
            "save": "",
            "protected-mode": "no",
        }
        self.process = subprocess.Popen(
            [server, *(item for name, value in options.items() for item in (f"--{name}", value))],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def kill(self) -> None:
        """SIGKILL: the node dies as a crash would (nothing flushed, no goodbye)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class RedisCluster:
    nodes: list[ClusterNode] = field(default_factory=list)

    @property
    def url(self) -> str:
        """``REDIS_URL`` for the game server: any one node (here the first)."""
        return self.nodes[0].url

    def node(self, port: int) -> ClusterNode:
        return next(n for n in self.nodes if n.port == port)

    def primary_of(self, key: str) -> ClusterNode:
        """The node serving ``key``'s slot now (as a live node says)."""
        live = next(n for n in self.nodes if n.running)
        with live.client() as client:
            slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))
            for start, end, primary, *_ in client.execute_command("CLUSTER", "SLOTS"):
                if int(start) <= slot <= int(end):
                    return self.node(int(primary[1]))
        raise LookupError(f"no node serves slot {slot}")

    def replicas_of(self, primary: ClusterNode) -> list[ClusterNode]:
        with primary.client() as client:
            info = client.info("replication")
        ports = {int(info[k]["port"]) for k in info if k.startswith("slave") and k[5:].isdigit()}
        return [n for n in self.nodes if n.port in ports]

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Every running node says ``cluster_state:ok``, every slot has a running primary and
        every replica is in sync with its primary."""
        deadline = time.monotonic() + timeout
        while True:
            if self._healthy():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster is not healthy after {timeout} s")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        running = {n.port for n in self.nodes if n.running}
        try:
            for node in self.nodes:
                if not node.running:
                    continue
                with node.client() as client:
                    if client.cluster("info")["cluster_state"] != "ok":
                        return False
                    covered = 0
                    for start, end, primary, *_ in client.execute_command("CLUSTER", "SLOTS"):
                        if int(primary[1]) not in running:
                            return False
                        covered += int(end) - int(start) + 1
                    if covered != 16384:
                        return False
                    replication = client.info("replication")
                    if replication["role"] == "slave" and (
                        replication["master_link_status"] != "up"
                    ):
                        return False  # still in its first sync: it has nothing to take over
        except redis.RedisError:
            return False
        return True

    def flush(self) -> None:
        """Every primary emptied (between tests)."""
        for node in self.nodes:
            if not node.running:
                continue
            with node.client() as client:
                if client.info("replication")["role"] == "master":
                    client.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()


def find_redis_tools() -> tuple[str, str]:
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        raise RuntimeError(
            "the cluster tests need Redis 7's redis-server and redis-cli on PATH "
            "(`make test` installs Debian's redis-server where it is missing)"
        )
    return server, cli


@contextmanager
def redis_cluster(directory: Path) -> Iterator[RedisCluster]:
    """A healthy six-node cluster (three primaries, one replica each), killed after the block."""
    server, cli = find_redis_tools()
    cluster = RedisCluster(
        [ClusterNode(port, directory / str(port)) for port in _free_ports(NODES)]
    )
    try:
        for node in cluster.nodes:
            node.start(server)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        for node in cluster.nodes:
            while True:
                with contextlib.suppress(redis.RedisError), node.client() as client:
                    if client.ping():
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on {node.port} did not start")
                time.sleep(0.05)
        subprocess.run(
            [cli, "--cluster", "create", *(n.address for n in cluster.nodes), *CREATE_OPTIONS],
            check=True,
            capture_output=True,
            timeout=60,
        )
        cluster.wait_healthy()
        yield cluster
    finally:
        cluster.stop()
