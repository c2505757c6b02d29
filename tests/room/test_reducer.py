"""The room reducer: examples of each rule, and properties over any sequence of commands."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from game_server.room import (
    BUSY,
    FULL,
    LEASE_LOST,
    NOT_DUE,
    PLAYER_NOT_FOUND,
    WRONG_STATE,
    Applied,
    BeginClose,
    CommitClose,
    End,
    Expire,
    GameOver,
    Join,
    Kick,
    OpenRound,
    Pause,
    PlayerJoined,
    Refused,
    Resume,
    RoomCommand,
    RoomEvent,
    RoomState,
    RoundClosed,
    RoundOpened,
    RoundState,
    Start,
    Status,
    apply,
    evolve,
    invariant_violations,
    new_room,
)


def ok(state: RoomState, command: RoomCommand) -> Applied:
    result = apply(state, command)
    assert isinstance(result, Applied), result
    return result


def refused(state: RoomState, command: RoomCommand) -> str:
    result = apply(state, command)
    assert isinstance(result, Refused), result
    return result.code


def workshop(players: int = 3, rounds: int = 4) -> RoomState:
    state = new_room("workshop", rounds, capacity=10).state
    for i in range(players):
        state = ok(state, Join(f"p{i}", f"n{i}")).state
    return state


def test_a_workshop_waits_in_its_lobby_and_a_solo_game_is_open_at_once() -> None:
    lobby = new_room("workshop", 4, 10)
    assert lobby.events == ()
    assert lobby.state.status is Status.LOBBY
    solo = new_room("solo", 4, 1, solo_player=("p1", "阿明"))
    assert solo.state.status is Status.PLAYING
    assert solo.state.round_state is RoundState.OPEN
    assert solo.state.deadline == 0
    assert solo.state.seats == 1
    assert [e.kind for e in solo.events] == ["player_joined", "game_started", "round_opened"]


def test_start_opens_round_zero_with_its_deadline() -> None:
    result = ok(workshop(), Start(now=1_000, seconds=90))
    assert [e.kind for e in result.events] == ["game_started", "round_opened"]
    assert result.state.deadline == 91_000
    assert refused(result.state, Start(now=2_000, seconds=90)) == WRONG_STATE


def test_a_join_is_refused_when_full_over_or_while_a_round_is_closing() -> None:
    state = new_room("workshop", 4, capacity=1).state
    state = ok(state, Join("a", "A")).state
    assert refused(state, Join("b", "B")) == FULL
    room = ok(workshop(), Start(0, 60)).state
    closing = ok(room, BeginClose("i1", 10, 5_000, "host")).state
    assert refused(closing, Join("z", "Z")) == BUSY
    assert refused(ok(room, End()).state, Join("z", "Z")) == WRONG_STATE


def test_a_join_changes_no_version() -> None:
    state = workshop(players=0)
    assert ok(state, Join("a", "A")).state.version == state.version


def test_pause_keeps_the_time_left_and_resume_gives_it_back() -> None:
    room = ok(workshop(), Start(now=0, seconds=60)).state
    paused = ok(room, Pause(now=20_000)).state
    assert (paused.status, paused.remaining, paused.deadline) == (Status.PAUSED, 40_000, 0)
    resumed = ok(paused, Resume(now=100_000)).state
    assert (resumed.status, resumed.deadline, resumed.remaining) == (Status.PLAYING, 140_000, 0)
    assert refused(resumed, Resume(now=1)) == WRONG_STATE


def test_the_deadline_poller_closes_only_a_due_round() -> None:
    room = ok(workshop(), Start(now=0, seconds=60)).state
    assert refused(room, BeginClose("i1", 59_999, 5_000, "deadline")) == NOT_DUE
    assert ok(room, BeginClose("i1", 60_000, 5_000, "deadline")).state.lease is not None
    paused = ok(room, Pause(now=1)).state
    assert refused(paused, BeginClose("i1", 10**9, 5_000, "deadline")) == NOT_DUE
    assert refused(paused, BeginClose("i1", 10, 5_000, "all_decided")) == NOT_DUE
    # The host may close a paused round; it then plays on from the next one.
    closing = ok(paused, BeginClose("i1", 10, 5_000, "host")).state
    closed = ok(closing, CommitClose("i1", 0, 20)).state
    assert (closed.status, closed.round_state) == (Status.PLAYING, RoundState.CLOSED)


def test_a_dead_closers_round_is_taken_over_when_its_lease_runs_out_paused_or_not() -> None:
    room = ok(workshop(), Start(now=0, seconds=3_600)).state
    for state in (room, ok(room, Pause(now=5)).state):
        closing = ok(state, BeginClose("dead", 10, 5_000, "host")).state
        assert refused(closing, BeginClose("alive", 5_009, 5_000, "deadline")) == NOT_DUE
        taken = ok(closing, BeginClose("alive", 5_010, 5_000, "deadline")).state
        assert taken.lease is not None
        assert taken.lease.holder == "alive"
        assert refused(taken, CommitClose("dead", 0, 5_011)) == LEASE_LOST
        closed = ok(taken, CommitClose("alive", 0, 5_012)).state
        assert closed.round_state is RoundState.CLOSED
        assert closed.closed_rounds == 1


def test_the_last_commit_ends_the_game_and_a_solo_game_opens_its_next_round() -> None:
    room = workshop(rounds=1)
    closing = ok(ok(room, Start(0, 60)).state, BeginClose("i", 1, 1_000, "host")).state
    last = ok(closing, CommitClose("i", 0, 2, {"players": 3}, {"podium": []}))
    assert [e.kind for e in last.events] == ["round_closed", "game_over"]
    assert last.events[0].to_wire() == {"kind": "round_closed", "round": 0, "players": 3}
    assert last.events[1].to_wire() == {"kind": "game_over", "reason": "complete", "podium": []}
    assert last.state.status is Status.FINISHED
    solo = new_room("solo", 3, 1, ("p", "P")).state
    closing = ok(solo, BeginClose("i", 1, 1_000, "all_decided", round=0)).state
    step = ok(closing, CommitClose("i", 0, 2))
    assert [e.kind for e in step.events] == ["round_closed", "round_opened"]
    assert (step.state.round, step.state.round_state) == (1, RoundState.OPEN)


def test_kick_needs_a_seated_player_once() -> None:
    room = workshop()
    assert refused(room, Kick("ghost", seated=False)) == PLAYER_NOT_FOUND
    kicked = ok(room, Kick("p1", seated=True)).state
    assert kicked.active_seats == 2
    assert refused(kicked, Kick("p1", seated=True)) == WRONG_STATE


def test_a_game_ended_while_its_round_closes_still_commits_the_round() -> None:
    room = ok(workshop(), Start(0, 60)).state
    closing = ok(room, BeginClose("i", 1, 1_000, "host")).state
    ended = ok(closing, End())
    assert ended.events == (GameOver("host"),)
    after = ok(ended.state, CommitClose("i", 0, 2))
    assert [e.kind for e in after.events] == ["round_closed"]
    assert after.state.status is Status.FINISHED
    assert after.state.closed_rounds == 1
    assert refused(after.state, Expire()) == WRONG_STATE


# --- Properties -------------------------------------------------------------------------------

HOLDERS = ("i1", "i2")
PLAYERS = ("p0", "p1", "p2", "p3")


@st.composite
def commands(draw: st.DrawFn) -> list[tuple[int, RoomCommand]]:
    """A sequence of commands at increasing times (the step chooses each command's ``now``)."""
    steps: list[tuple[int, RoomCommand]] = []
    now = 0
    for _ in range(draw(st.integers(0, 40))):
        now += draw(st.integers(0, 20_000))
        holder = draw(st.sampled_from(HOLDERS))
        player = draw(st.sampled_from(PLAYERS))
        options: list[RoomCommand] = [
            Join(player, player),
            Start(now, draw(st.sampled_from([0, 10, 60]))),
            OpenRound(now, draw(st.sampled_from([0, 10, 60])), draw(st.booleans())),
            Pause(now),
            Resume(now),
            Kick(player, draw(st.booleans())),
            End(),
            Expire(),
            BeginClose(
                holder,
                now,
                draw(st.sampled_from([1_000, 10_000])),
                draw(st.sampled_from(["all_decided", "deadline", "host"])),
                draw(st.sampled_from([None, 0, 1, 2])),
            ),
            CommitClose(holder, draw(st.integers(0, 3)), now),
        ]
        command = draw(st.sampled_from(options))
        steps.append((now, command))
    return steps


@settings(max_examples=400, deadline=None)
@given(
    mode=st.sampled_from(["solo", "workshop"]),
    rounds=st.integers(1, 4),
    steps=commands(),
)
def test_no_sequence_of_commands_reaches_an_invalid_state_and_events_rebuild_it(
    mode: str, rounds: int, steps: list[tuple[int, RoomCommand]]
) -> None:
    start = new_room(
        "solo" if mode == "solo" else "workshop",
        rounds,
        capacity=3,
        solo_player=("p0", "p0") if mode == "solo" else None,
    )
    state = start.state
    log: list[RoomEvent] = list(start.events)
    seated = {"p0"} if mode == "solo" else set()
    for _, command in steps:
        if mode == "solo" and not isinstance(command, BeginClose | CommitClose | Expire):
            continue  # a solo game has no host and no other players
        if isinstance(command, Join) and command.player_id in seated:
            continue  # player ids are drawn fresh for each join
        if isinstance(command, Kick):  # the store reads whether the player sits in the room
            command = Kick(command.player_id, command.player_id in seated)
        result = apply(state, command)
        if isinstance(result, Refused):
            continue
        bumps = sum(1 for e in result.events if not isinstance(e, PlayerJoined))
        assert result.state.version == state.version + bumps
        state = result.state
        log.extend(result.events)
        seated |= {e.player_id for e in result.events if isinstance(e, PlayerJoined)}
        assert invariant_violations(state) == [], (command, state)
    rebuilt = RoomState(mode=state.mode, rounds=rounds, capacity=3)
    for event in log:
        rebuilt = evolve(rebuilt, event)
    assert rebuilt == state


@settings(max_examples=200, deadline=None)
@given(steps=commands(), later=st.integers(0, 100_000))
def test_any_round_being_closed_can_be_closed_once_its_lease_has_run_out(
    steps: list[tuple[int, RoomCommand]], later: int
) -> None:
    state = new_room("workshop", 4, capacity=3).state
    for _, command in steps:
        if isinstance(command, Kick | Join):
            continue  # seats do not matter to closing
        result = apply(state, command)
        if isinstance(result, Applied):
            state = result.state
    if state.round_state is not RoundState.CLOSING:
        return
    assert state.lease is not None
    now = state.lease.until + later
    taken = ok(state, BeginClose("rescuer", now, 1_000, "deadline"))
    closed = ok(taken.state, CommitClose("rescuer", state.round, now + 1))
    assert closed.state.round_state is RoundState.CLOSED
    assert isinstance(closed.events[0], RoundClosed)


def test_refusal_leaves_nothing_changed() -> None:
    room = workshop()
    before = replace(room)
    assert isinstance(apply(room, OpenRound(0, 60)), Refused)
    assert room == before
    assert not isinstance(apply(room, Start(0, 60)).events[1], RoundClosed)  # type: ignore[union-attr]
    assert isinstance(ok(room, Start(0, 60)).events[1], RoundOpened)


def test_the_invariants_catch_a_broken_state() -> None:
    room = ok(workshop(), Start(0, 60)).state
    assert invariant_violations(room) == []
    assert invariant_violations(replace(room, round_state=RoundState.CLOSING)) != []
    assert invariant_violations(replace(room, status=Status.PAUSED, remaining=0)) != []
    assert invariant_violations(replace(room, closed_rounds=1)) != []
