"""The global indexes' keys (``stores/indexes.py``): one key each on one Redis, named as always;
on a cluster several hash-tagged keys, a room always in the same one on every instance."""

from __future__ import annotations

import zlib

import pytest

from game_server.stores.indexes import CLUSTER_SHARDS, Indexes


def test_one_key_each_keeps_the_names_it_always_had() -> None:
    one = Indexes()
    assert (one.deadlines("123456"), one.rooms("123456"), one.outbox("123456")) == (
        "gig:deadlines",
        "gig:rooms",
        "gig:outbox",
    )
    assert one.all_deadlines() == ["gig:deadlines"]


def test_a_room_is_in_the_key_of_its_crc32_with_its_other_indexes() -> None:
    spread = Indexes(CLUSTER_SHARDS)
    n = zlib.crc32(b"123456") % CLUSTER_SHARDS
    assert spread.deadlines("123456") == f"gig:deadlines:{{{n}}}"
    assert spread.rooms("123456") == f"gig:rooms:{{{n}}}"
    assert spread.outbox("123456") == f"gig:outbox:{{{n}}}"
    keys = spread.all_rooms()
    assert len(set(keys)) == CLUSTER_SHARDS
    codes = [f"{c:06d}" for c in range(2000)]
    assert {spread.rooms(code) for code in codes} == set(keys)  # every key gets rooms


def test_an_index_has_a_key() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        Indexes(0)
