"""HTTP routes: scenarios, rooms, join QR code, leaderboards, results export, health, metrics."""

from __future__ import annotations

import hmac
import time
from typing import Annotated, Any, Literal

import segno
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from game_server.content.schema import Scenario
from game_server.engine import policy
from game_server.lan import JoinBase, join_base, lan_addresses
from game_server.outbox.drainer import OutboxDrainer
from game_server.protocol.errors import ProtocolError
from game_server.service import plan
from game_server.service.rooms import HOST, RoomService, _hash
from game_server.stores.results import ResultsStore
from game_server.transport.health import Readiness, readiness

router = APIRouter()

CodePath = Annotated[str, "room code"]

NO_STORE = {"Cache-Control": "no-store"}


def get_service(request: Request) -> RoomService:
    service: RoomService = request.app.state.service
    return service


def get_results(request: Request) -> ResultsStore:
    results: ResultsStore = request.app.state.results
    return results


def get_outbox(request: Request) -> OutboxDrainer:
    outbox: OutboxDrainer = request.app.state.outbox
    return outbox


ServiceDep = Annotated[RoomService, Depends(get_service)]
ResultsDep = Annotated[ResultsStore, Depends(get_results)]
OutboxDep = Annotated[OutboxDrainer, Depends(get_outbox)]


def _valid_code(code: str) -> str:
    if len(code) != 6 or not code.isdigit():
        raise HTTPException(404, "no such room")
    return code


def join_address(request: Request) -> JoinBase:
    """Where phones reach this server (see ``game_server/lan.py``): ``PUBLIC_URL``, the page's
    own address, or — when the host page was opened on loopback — the LAN address."""
    settings = request.app.state.settings
    url = request.url
    return join_base(
        public_url=settings.public_url,
        bind_host=settings.host,
        scheme=url.scheme,
        page_host=url.hostname or "localhost",
        port=url.port,
        candidates=lan_addresses() if not settings.public_url else [],
    )


def join_url(request: Request, code: str) -> str:
    return f"{join_address(request).url}/?room={code}"


@router.get("/healthz", response_model=Readiness)
async def healthz(service: ServiceDep, request: Request) -> JSONResponse:
    """Readiness (``transport/health.py``): 200 when Redis answers, takes a write and has
    memory headroom; else 503 naming the failed checks, so a load balancer sends players
    elsewhere."""
    settings = request.app.state.settings
    ready = await readiness(
        service.store.redis,
        service.instance,
        now_ms=int(time.time() * 1000),
        max_ratio=settings.health_redis_memory_ratio,
        timeout=settings.health_timeout_seconds,
    )
    return JSONResponse(
        ready.model_dump(mode="json"),
        status_code=200 if not ready.failed else 503,
        headers=NO_STORE,
    )


@router.get("/livez")
async def livez(service: ServiceDep) -> dict[str, Any]:
    """Liveness: the process is up and serving HTTP (nothing else is asked)."""
    return {"status": "alive", "instance": service.instance}


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _scenario_card(s: Scenario) -> dict[str, Any]:
    return {
        "id": s.id,
        "version": s.version,
        "title": s.title.model_dump(),
        "teaches": s.teaches.model_dump(),
        "persona": {"name": s.persona.name.model_dump(), "story": s.persona.story.model_dump()},
        "start_age": s.start_age,
    }


@router.get("/api/scenarios")
async def scenarios(service: ServiceDep) -> list[dict[str, Any]]:
    return [_scenario_card(s) for s in service.scenarios.values()]


@router.get("/api/scenarios/{scenario_id}")
async def scenario(scenario_id: str, service: ServiceDep) -> dict[str, Any]:
    found = service.scenarios.get(scenario_id)
    if found is None:
        raise HTTPException(404, "no such scenario")
    return found.model_dump(mode="json")


@router.get("/api/rooms/{code}")
async def room(code: CodePath, service: ServiceDep, request: Request) -> dict[str, Any]:
    meta = await service.store.meta(_valid_code(code))
    if not meta:
        raise HTTPException(404, "no such room")
    players = await service.store.redis.hlen(f"{{room:{code}}}:players")
    where = join_address(request)
    return {
        "code": code,
        "join_url": f"{where.url}/?room={code}",
        "join_source": where.source,
        "join_problem": where.problem,
        "scenario_id": meta["scenario"],
        "mode": meta["mode"],
        "status": meta["status"],
        "round": int(meta["round"]),
        "rounds": int(meta["rounds"]),
        "players": int(players),
    }


@router.get("/api/rooms/{code}/qr.svg")
async def join_qr(code: CodePath, request: Request) -> Response:
    url = join_url(request, _valid_code(code))
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, omitsize=True)
    return Response(svg, media_type="image/svg+xml")


@router.get("/api/qr.svg")
async def home_qr(request: Request) -> Response:
    """The QR code of the game's own address, for the share card."""
    url = join_address(request).url + "/"
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, omitsize=True)
    return Response(svg, media_type="image/svg+xml")


@router.get("/api/calculator")
async def calculator(
    service: ServiceDep,
    scenario_id: str,
    city: str,
    base_pct: Annotated[int, Query(ge=60, le=300)] = 60,
    years: Annotated[int, Query(ge=1, le=50)] = 15,
    retirement_age: Annotated[int, Query(ge=50, le=70)] = 63,
) -> dict[str, Any]:
    """Chosen base → monthly payment → estimated monthly pension, by the engine's own rules
    (the guide's calculator: one formula, in one place)."""
    found = service.scenarios.get(scenario_id)
    if found is None:
        raise HTTPException(404, "no such scenario")
    try:
        c = found.city(city)
    except KeyError:
        raise HTTPException(404, "no such city") from None
    avg = c.average_wage_monthly.value
    formula_wage = c.pension_formula_wage_monthly or c.average_wage_monthly
    base = policy.contribution_base(
        base_pct, avg, c.pension_base_floor.value, c.pension_base_ceiling.value
    )
    yearly, to_account = policy.yearly_flexible_contribution(base)
    basic = policy.monthly_basic_pension(formula_wage.value, base / avg, years)
    account = policy.monthly_account_pension(to_account * years, retirement_age)
    return {
        "base_monthly": round(base, 2),
        "payment_monthly": round(yearly / 12, 2),
        "basic_pension_monthly": round(basic, 2),
        "account_pension_monthly": round(account, 2),
        "pension_monthly": round(basic + account, 2),
        "estimate": any(
            s.estimate
            for s in (
                c.average_wage_monthly,
                formula_wage,
                c.pension_base_floor,
                c.pension_base_ceiling,
            )
        ),
        "sources": {
            "average_wage": c.average_wage_monthly.source,
            "base_floor": c.pension_base_floor.source,
            "formula": "国发〔2005〕38号; 国办发〔2019〕13号",
        },
        "note": "today's yuan, no interest on the account, average wage held constant",
    }


@router.post("/api/plan")
async def my_plan(request: Request, service: ServiceDep) -> Response:
    """ "My plan" from the worker's own situation: computed and returned, never stored."""
    try:
        raw = await request.json()
    except ValueError:
        raw = None
    try:
        body = plan.make_plan(plan.parse_request(raw), service.scenarios)
    except plan.PlanError as e:
        return JSONResponse({"error": e.view()}, status_code=422, headers=NO_STORE)
    return JSONResponse(body, headers=NO_STORE)


@router.get("/api/retirement")
async def retirement(
    sex: Literal["male", "female"],
    birth_year: int,
    work_kind: Literal["platform_rider", "platform_driver", "domestic", "flexible", "factory"] = (
        "flexible"
    ),
) -> Response:
    """The retirement age (the cohort's reform age) and the minimum years then."""
    try:
        return JSONResponse(plan.retirement_facts(sex, birth_year, work_kind))
    except plan.PlanError as e:
        return JSONResponse({"error": e.view()}, status_code=422)


@router.get("/api/leaderboard")
async def leaderboard(
    results: ResultsDep,
    scenario: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    rows = await results.leaderboard(scenario, limit)
    return [_public_row(r.model_dump(mode="json")) for r in rows]


@router.get("/api/rooms/{code}/leaderboard")
async def room_leaderboard(code: CodePath, results: ResultsDep) -> list[dict[str, Any]]:
    rows = await results.room_leaderboard(_valid_code(code))
    return [_public_row(r.model_dump(mode="json")) for r in rows]


def _public_row(row: dict[str, Any]) -> dict[str, Any]:
    # Player ids identify a seat in a room: the public boards show nicknames and scores only.
    row.pop("player_id", None)
    return row


async def _require_host(
    code: str, service: RoomService, results: ResultsStore, authorization: str | None
) -> None:
    """The request carries the room's host token in ``Authorization: Bearer …`` (never in the
    URL: addresses end up in logs and browser histories). Checked against the live room in
    Redis, or — once the room expired from Redis — against the hash kept with its summary in
    SQL, so the trainer can export for as long as the results are kept."""
    given = (authorization or "").removeprefix("Bearer ").strip()
    parts = given.split(".")
    if len(parts) != 3 or parts[0] != code or parts[1] != HOST:
        raise HTTPException(401, "the host token is needed")
    meta = await service.store.meta(code)
    expected = meta.get("host_th") if meta else await results.host_token_hash(code)
    if not expected or not hmac.compare_digest(expected, _hash(parts[2])):
        raise HTTPException(401, "the host token is needed")


@router.get("/api/rooms/{code}/export.json")
async def export_json(
    code: CodePath,
    service: ServiceDep,
    results: ResultsDep,
    outbox: OutboxDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    await _require_host(_valid_code(code), service, results, authorization)
    # Counted before SQL is read: an item leaves the outbox only after SQL committed it, so
    # "none pending" then means every result produced so far is in what is read next.
    pending = await outbox.pending(code)
    exported = await results.export_room(code)
    exported["learning"] = [q.model_dump() for q in await results.learning_report(code)]
    exported["pending"] = pending
    exported["complete"] = pending == 0
    return exported


@router.get("/api/rooms/{code}/export.csv")
async def export_csv(
    code: CodePath,
    service: ServiceDep,
    results: ResultsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    await _require_host(_valid_code(code), service, results, authorization)
    text = await results.export_room_csv(code)
    # utf-8-sig: spreadsheet programs then read the Chinese nicknames correctly.
    return Response(
        text.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gig-life-{code}.csv"'},
    )


@router.get("/api/rooms/{code}/report")
async def learning_report(
    code: CodePath,
    service: ServiceDep,
    results: ResultsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> list[dict[str, Any]]:
    await _require_host(_valid_code(code), service, results, authorization)
    return [q.model_dump() for q in await results.learning_report(code)]


@router.get("/api/rooms/{code}/players")
async def host_roster(
    code: CodePath,
    service: ServiceDep,
    results: ResultsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> list[dict[str, Any]]:
    """The host's player list: connected, decided (the host page polls it every few seconds)."""
    await _require_host(_valid_code(code), service, results, authorization)
    try:
        return await service.roster(code)
    except ProtocolError as exc:
        raise HTTPException(protocol_error_status(exc), exc.message) from None


def protocol_error_status(exc: ProtocolError) -> int:
    return 404 if exc.code.endswith("not_found") else 400
