"""The per-address gate's pure parts: connections counted per address, the passcode check."""

from __future__ import annotations

from game_server.transport.limits import ConnectionCounts, passcode_matches


def test_connections_are_counted_per_address_up_to_the_limit() -> None:
    counts = ConnectionCounts(per_address=3, exempt=frozenset({"127.0.0.1"}))
    assert [counts.enter("203.0.113.1") for _ in range(4)] == [True, True, True, False]
    assert counts.enter("203.0.113.2")  # another address has its own count
    counts.leave("203.0.113.1")
    assert counts.enter("203.0.113.1")
    assert not counts.enter("203.0.113.1")
    for _ in range(3):
        counts.leave("203.0.113.1")
    assert "203.0.113.1" not in counts.open  # nothing kept for an address with none open
    assert all(counts.enter("127.0.0.1") for _ in range(10))  # exempt: never counted
    assert "127.0.0.1" not in counts.open


def test_the_trainer_passcode_matches_only_when_set_and_given() -> None:
    assert passcode_matches("s3cret", "s3cret")
    assert not passcode_matches("s3cret", "s3cre")
    assert not passcode_matches("s3cret", None)
    assert not passcode_matches(None, "anything")
    assert not passcode_matches("", "")
