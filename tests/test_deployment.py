"""The production files hang together: docker-compose.yml, deploy/nginx.conf and the Dockerfile.

No Docker here: the compose file is read with PyYAML (its anchors and merge keys resolved as
Compose resolves them), the others as text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ALWAYS_ON = ("redis", "postgres", "game1", "game2", "lb")
GAMES = ("game1", "game2")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the `- KEY=value` form
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    assert isinstance(env, dict)
    return env


def _healthy_dependencies(service: dict[str, Any]) -> set[str]:
    depends = service.get("depends_on", {})
    assert isinstance(depends, dict), "depends_on must use the long form with conditions"
    return {name for name, how in depends.items() if how.get("condition") == "service_healthy"}


def _command_text(value: Any) -> str:
    return " ".join(value) if isinstance(value, list) else str(value)


def test_the_always_on_services_exist_outside_any_profile(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ALWAYS_ON:
        assert name in services, name
        assert "profiles" not in services[name], name


def test_redis_keeps_an_append_only_file_on_a_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    redis = services["redis"]
    assert re.search(r"--appendonly\s+yes", _command_text(redis["command"]))
    assert "redis-cli" in _command_text(redis["healthcheck"]["test"])
    assert "ping" in _command_text(redis["healthcheck"]["test"])
    volume = redis["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_postgres_is_health_checked_and_needs_a_password(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    postgres = services["postgres"]
    assert "pg_isready" in _command_text(postgres["healthcheck"]["test"])
    assert re.fullmatch(
        r"\$\{POSTGRES_PASSWORD:\?.+\}", _environment(postgres)["POSTGRES_PASSWORD"]
    )
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


@pytest.mark.parametrize("name", GAMES)
def test_game_instances_use_the_shared_services(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    game = services[name]
    env = _environment(game)
    assert "build" in game
    assert env["ENVIRONMENT"] == "production"
    assert env["INSTANCE_ID"] == name
    assert re.fullmatch(r"\$\{REDIS_URL:-redis://redis:6379/\d+\}", env["REDIS_URL"])
    assert env["REDIS_CLUSTER"] == "${REDIS_CLUSTER:-false}"  # one Redis unless told
    database_url = env["DATABASE_URL"]
    assert database_url.startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in database_url
    assert "${POSTGRES_PASSWORD" in database_url
    assert {"redis", "postgres"} <= _healthy_dependencies(game)
    assert "/healthz" in _command_text(game["healthcheck"]["test"])
    assert "ports" not in game  # reached only through the load balancer


def test_two_distinct_game_instances(services: dict[str, dict[str, Any]]) -> None:
    ids = {_environment(services[name])["INSTANCE_ID"] for name in GAMES}
    assert ids == set(GAMES)


def test_lb_waits_for_both_games_and_mounts_the_nginx_config(
    services: dict[str, dict[str, Any]],
) -> None:
    lb = services["lb"]
    assert lb["image"].startswith("nginx:")
    assert set(GAMES) <= _healthy_dependencies(lb)
    assert any(v.startswith("./deploy/nginx.conf:") for v in lb["volumes"])
    assert any(str(port).endswith(":80") for port in lb["ports"])


def test_locust_runs_only_in_the_loadtest_profile(services: dict[str, dict[str, Any]]) -> None:
    locust = services["locust"]
    assert locust["profiles"] == ["loadtest"]
    command = _command_text(locust["command"])
    assert "loadtests/locustfile.py" in command
    assert "--headless" in command
    assert "http://lb" in command


def test_every_service_but_locust_and_lb_is_health_checked(
    services: dict[str, dict[str, Any]],
) -> None:
    """(And the cluster's one-shot creation, which the games wait to complete, not be healthy.)"""
    for name, service in services.items():
        if name in ("locust", "lb", "redis-cluster-create"):
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable", False), name
        assert check.get("test"), name


def test_the_secret_is_required_not_defaulted() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    uses = re.findall(r"\$\{POSTGRES_PASSWORD([^}]*)\}", text)
    assert uses
    assert all(use.startswith(":?") for use in uses), uses


def test_nginx_balances_both_instances(nginx_conf: str) -> None:
    upstream = re.search(r"upstream\s+(\w+)\s*\{(.*?)\}", nginx_conf, re.S)
    assert upstream is not None
    name, body = upstream.groups()
    assert re.search(r"^\s*server\s+game1:8000\b", body, re.M)
    assert re.search(r"^\s*server\s+game2:8000\b", body, re.M)
    assert f"proxy_pass http://{name};" in nginx_conf


def test_nginx_upgrades_websockets(nginx_conf: str) -> None:
    assert re.search(r"map\s+\$http_upgrade\s+\$connection_upgrade\s*\{[^}]*upgrade;", nginx_conf)
    assert "proxy_http_version 1.1;" in nginx_conf
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx_conf
    assert "proxy_set_header Connection $connection_upgrade;" in nginx_conf
    ws = re.search(r"location\s+/ws\s*\{(.*?)\}", nginx_conf, re.S)
    assert ws is not None
    timeout = re.search(r"proxy_read_timeout\s+(\d+)s;", ws.group(1))
    assert timeout is not None
    assert int(timeout.group(1)) >= 3600


def test_nginx_forwards_client_headers_and_limits_bodies(nginx_conf: str) -> None:
    for header in ("Host", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto"):
        assert f"proxy_set_header {header} " in nginx_conf
    assert re.search(r"^\s*gzip on;", nginx_conf, re.M)
    assert re.search(r"client_max_body_size\s+\d+k;", nginx_conf)


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n(?:\s*#[^\n]*\n)*", " ", dockerfile)
    pairs = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            instruction, _, arguments = stripped.partition(" ")
            pairs.append((instruction.upper(), " ".join(arguments.split())))
    return pairs


def test_the_image_serves_the_game_as_a_non_root_user(dockerfile: str) -> None:
    instructions = _instructions(dockerfile)
    assert instructions[0] == ("FROM", "python:3.11-slim")
    commands = [args for name, args in instructions if name == "CMD"]
    assert commands == ['["python", "-m", "game_server", "serve"]']
    users = [args for name, args in instructions if name == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "8000") in instructions
    (healthcheck,) = [args for name, args in instructions if name == "HEALTHCHECK"]
    assert "urllib" in healthcheck
    assert "/healthz" in healthcheck
    assert any(
        name == "RUN" and "pip install --no-cache-dir" in args for name, args in instructions
    )


def test_nginx_logs_no_client_address_and_no_query_string(nginx_conf: str) -> None:
    """Every access_log names a log_format (or is off), and the formats write only the time,
    the method, the path without its query string (``$uri``), the protocol, the status, the
    size and the time taken: no client address, no ``$request`` or ``$args`` (docs/security.md).
    """
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", nginx_conf))
    assert formats
    allowed = {
        "time_iso8601",
        "request_method",
        "uri",
        "server_protocol",
        "status",
        "body_bytes_sent",
        "request_time",
    }
    for body in formats.values():
        assert set(re.findall(r"\$(\w+)", body)) <= allowed, body
    for target in re.findall(r"^\s*access_log\s+([^;]+);", nginx_conf, re.M):
        parts = target.split()
        assert parts == ["off"] or (len(parts) == 2 and parts[1] in formats), target


def test_container_logs_are_rotated(services: dict[str, dict[str, Any]]) -> None:
    for name in ("game1", "game2", "lb"):
        logging = services[name].get("logging")
        assert logging, f"{name} keeps its logs forever"
        assert logging["driver"] == "json-file"
        assert logging["options"] == {"max-size": "10m", "max-file": "3"}


def test_the_cluster_profile_makes_six_nodes_and_the_games_wait_for_it(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    """``--profile cluster``: six cluster-mode nodes, each with its own volume, and a one-shot
    service that makes them three primaries with a replica each; the games wait for it when
    the profile is on (``required: false``: without the profile they do not)."""
    nodes = [name for name in services if name.startswith("redis-node-")]
    assert len(nodes) == 6
    for name in nodes:
        node = services[name]
        assert node["profiles"] == ["cluster"]
        command = _command_text(node["command"])
        assert re.search(r"--cluster-enabled\s+yes", command)
        assert re.search(r"--appendonly\s+yes", command)
        assert node["volumes"][0].split(":")[0] in compose["volumes"]
    create = services["redis-cluster-create"]
    assert create["profiles"] == ["cluster"]
    assert "--cluster-replicas 1" in _command_text(create["command"])
    assert set(nodes) == _healthy_dependencies(create)
    for name in GAMES:
        waits = services[name]["depends_on"]["redis-cluster-create"]
        assert waits == {"condition": "service_completed_successfully", "required": False}
