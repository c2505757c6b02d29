"""Settings, read from the environment (and a ``.env`` file) by pydantic-settings.

Built by the app factory, never at import time, so tests pass their own. The embedded default —
a Redis server the project starts itself and a SQLite file under ``var/`` — needs no setting at
all; ``REDIS_URL`` and ``DATABASE_URL`` switch to external services.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = None
    """The address players type or scan (``http://192.168.1.20:8000``); found from the LAN
    address when not set."""
    data_dir: Path = PROJECT_DIR / "var"
    redis_url: str | None = None
    """``None``: start the embedded Redis server under ``data_dir``."""
    redis_cluster: bool = False
    """``REDIS_URL`` names a node of a Redis Cluster (7 or later): the server uses redis-py's
    cluster client, sharded pub/sub for the rooms' events and spread indexes
    (``docs/architecture.md``, "Redis Cluster"). Off: one Redis server."""
    redis_index_shards: int | None = Field(default=None, ge=1, le=1024)
    """Keys per global index (``stores/indexes.py``); ``None``: 1 on one server, 16 on a
    cluster. Every instance of a deployment must use the same number."""
    database_url: str | None = None
    """``None``: a SQLite file under ``data_dir``."""
    scenario_dir: Path = PROJECT_DIR / "scenarios"
    web_dir: Path = PROJECT_DIR / "web_client"
    instance_id: str = Field(default_factory=lambda: secrets.token_hex(4))

    room_idle_seconds: int = Field(default=6 * 3600, ge=60)
    """A room that did not change for this long is disposed of (its lives saved); its keys
    expire from Redis an hour later."""
    stream_max_events: int = Field(default=2000, ge=100)
    """Room events kept for resuming clients (a capped Redis Stream per room)."""
    default_round_seconds: int = Field(default=120, ge=10, le=3600)
    reconnect_grace_seconds: int = Field(default=20, ge=0)
    """A dropped phone's seat is still waited for this long (a round whose other players have
    all decided closes when it comes back and decides, when the grace is over and someone
    decides, at the deadline, or by the host)."""
    round_close_lease_seconds: float = Field(default=10.0, gt=0)
    presence_heartbeat_seconds: float = Field(default=15.0, gt=0)
    """How often an instance renews its players' presence (and finds rooms that vanished)."""
    fault_close_pause_seconds: float = Field(default=0.0, ge=0)
    """Fault injection for tests only: the closer waits this long after taking a round's lease
    (so a test can kill or freeze it mid-close). Never set in production."""
    deadline_poll_seconds: float = Field(default=0.5, gt=0)
    results_flush_seconds: float = Field(default=0.5, gt=0)
    """How often each instance copies due rooms' results outboxes (Redis) to SQL."""
    max_players_per_room: int = Field(default=3000, ge=1)
    join_fanout_max_seats: int = Field(default=100, ge=0)
    """Players are told of each join while the room has at most this many seats; beyond, only
    its hosts are (their lobby screen counts; a player's snapshot has the count)."""
    redis_max_connections: int = Field(default=4000, ge=4)
    """Connections to Redis at most (Redis itself allows 10,000 clients by default): an action
    in flight holds one for its round trip, so a burst of thousands of reconnecting phones may
    need thousands for a moment."""
    health_redis_memory_ratio: float = Field(default=0.95, gt=0, le=1)
    """``/healthz`` says "not ready" once Redis uses this share of its ``maxmemory``: new
    players go elsewhere a little before Redis refuses writes (the rest is for the games on)."""
    health_timeout_seconds: float = Field(default=2.0, gt=0)
    """How long each of ``/healthz``'s Redis checks may take before it counts as failed."""
    ws_ping_seconds: float = Field(default=20.0, gt=0)
    """The server pings each socket this often and drops one that does not answer in as long:
    a phone that went silent loses its connection (its seat waits for it to resume)."""

    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose ``X-Forwarded-For`` is believed (comma-separated; ``*``: anyone). The
    client's address (for the wrong-room-code limit) is the last entry not added by one."""

    trainer_passcode: str | None = None
    """When set, creating a workshop room needs it (for public deployments); a room created with
    it is not counted against ``workshops_per_address_hour``."""

    # Limits that hold in public (docs/protocol.md, "Limits"). A venue puts every phone behind
    # one public address (its NAT), so per-address limits count what one venue may need, not
    # what one person does.
    workshops_per_address_hour: int = Field(default=30, ge=1)
    """Workshop rooms one address may start in an hour (counted in Redis, for every instance
    together) without the trainer passcode: a venue with a few trainers starts a handful."""
    solo_games_per_address_hour: int = Field(default=1000, ge=1)
    """Solo games one address may start in an hour: a class of a few hundred phones behind one
    NAT, each playing two or three lives, stays under it."""
    connections_per_address: int = Field(default=4000, ge=1)
    """WebSockets one address may hold open on one instance: a live demo of 2,000 phones behind
    one NAT, each of which may briefly hold a second socket while it reconnects after a Wi-Fi
    drop (the dead one lingers until the ping times out, up to 40 s)."""
    max_live_rooms: int = Field(default=50_000, ge=1)
    """Rooms that may live in Redis at once, for the whole deployment (any instance serves any
    room, so the bound is on what Redis holds, not per instance)."""
    limit_exempt_addresses: list[str] = ["127.0.0.1", "::1"]
    """Addresses the per-address limits above do not apply to: this machine itself (a trainer
    hosting from ``localhost``, the load tests). Behind a proxy, set ``FORWARDED_ALLOW_IPS`` to
    it, or every player has the proxy's address."""
    results_retention_days: int = Field(default=365, ge=1)
    cors_origins: list[str] = []

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        if self.environment == "production" and (
            self.redis_url is None or self.database_url is None
        ):
            raise ValueError("production needs REDIS_URL and DATABASE_URL (no embedded services)")
        if self.redis_cluster and self.redis_url is None:
            raise ValueError("REDIS_CLUSTER needs REDIS_URL (a node of the cluster)")
        return self

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "gig-life.db"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"
