"""Batching bounds: size, bytes, age, one batch per partition in flight, replays, accounting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sinks import Batcher, BatchPolicy
from tests.unit.sinks.raw import Raw, raws


def test_size_bound_splits_a_partition_into_consecutive_batches() -> None:
    batcher = Batcher(BatchPolicy(max_rows=100, max_buffered_rows=1_000))
    batcher.add(raws("t", 0, 0, 250), now=0.0)
    first = batcher.ready(now=0.0)
    assert [(b.start, b.end, len(b)) for b in first] == [(0, 99, 100)]
    assert first[0].token == "t/0/0-99"
    second = batcher.ready(now=0.0)
    assert [(b.start, b.end) for b in second] == [(100, 199)]
    assert batcher.ready(now=0.0) == []  # 50 rows left, younger than max_age
    aged = batcher.ready(now=5.0)
    assert [(b.start, b.end) for b in aged] == [(200, 249)]


def test_bytes_bound_closes_a_batch() -> None:
    batcher = Batcher(BatchPolicy(max_rows=10_000, max_bytes=1_000, max_buffered_rows=10_000))
    batcher.add(raws("t", 0, 0, 30, size=99), now=0.0)  # 100 bytes each with the key
    batches = batcher.ready(now=0.0)
    assert [len(b) for b in batches] == [10]


def test_age_bound_flushes_each_partition_once_old_enough() -> None:
    batcher = Batcher(BatchPolicy(max_rows=1_000, max_age_s=1.0, max_buffered_rows=1_000))
    batcher.add(raws("t", 0, 0, 5), now=0.0)
    batcher.add(raws("t", 1, 0, 5), now=0.6)
    assert batcher.ready(now=0.9) == []
    assert [b.key for b in batcher.ready(now=1.0)] == [("t", 0)]
    assert [b.key for b in batcher.ready(now=1.6)] == [("t", 1)]


def test_ready_takes_one_batch_per_partition_and_keeps_the_order() -> None:
    batcher = Batcher(BatchPolicy(max_rows=10, max_buffered_rows=1_000))
    batcher.add(raws("a", 0, 0, 30) + raws("b", 2, 5, 10), now=0.0)
    cycle1 = batcher.ready(now=0.0)
    assert sorted((b.key, b.start) for b in cycle1) == [(("a", 0), 0), (("b", 2), 5)]
    assert [(b.key, b.start) for b in batcher.ready(now=0.0)] == [(("a", 0), 10)]
    assert [(b.key, b.start) for b in batcher.ready(now=0.0)] == [(("a", 0), 20)]


def test_buffer_limit_and_release_accounting() -> None:
    batcher = Batcher(BatchPolicy(max_rows=10, max_buffered_rows=25, max_buffered_bytes=10**9))
    batcher.add(raws("t", 0, 0, 20), now=0.0)
    assert not batcher.over_limit()
    batcher.add(raws("t", 1, 0, 5), now=0.0)
    assert batcher.over_limit()
    taken = batcher.ready(now=0.0)
    for batch in taken:
        batcher.released(batch)
    assert batcher.buffered_rows == 15
    assert not batcher.over_limit()


def test_replay_batch_has_fixed_bounds_and_closes_at_its_end() -> None:
    batcher = Batcher(BatchPolicy(max_rows=3, max_buffered_rows=100))
    batcher.expect_replay("t", 0, 10, 17, now=0.0)
    assert batcher.replaying(("t", 0))
    batcher.add(raws("t", 0, 10, 5), now=0.0)  # not split by max_rows, not complete yet
    assert batcher.ready(now=99.0) == []
    assert batcher.take_all() == []  # an unfinished replay is never flushed
    batcher.add(raws("t", 0, 15, 6), now=0.0)
    batches = batcher.ready(now=0.0)
    assert [(b.start, b.end, len(b), b.replay) for b in batches] == [(10, 17, 8, (10, 17))]
    assert batches[0].token == "t/0/10-17"
    rest = batcher.take_all()
    assert [(b.start, b.end) for b in rest] == [(18, 20)]


def test_replay_closes_when_the_partition_jumps_past_its_end() -> None:
    batcher = Batcher(BatchPolicy(max_rows=100, max_buffered_rows=100))
    batcher.expect_replay("t", 0, 10, 17, now=0.0)
    batcher.add([Raw("t", 0, 30)], now=0.0)  # retention deleted 10..29
    batches = batcher.ready(now=0.0)
    assert [(b.start, b.end, len(b)) for b in batches] == [(10, 17, 0)]
    assert [(b.start, b.end) for b in batcher.take_all()] == [(30, 30)]


def test_drop_forgets_records_of_revoked_partitions() -> None:
    batcher = Batcher(BatchPolicy(max_rows=10, max_buffered_rows=100))
    batcher.add(raws("t", 0, 0, 15) + raws("t", 1, 0, 3), now=0.0)
    batcher.drop([("t", 0)])
    assert batcher.buffered_rows == 3
    assert [b.key for b in batcher.take_all()] == [("t", 1)]


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        BatchPolicy(max_rows=0)
    with pytest.raises(ValueError):
        BatchPolicy(max_rows=100, max_buffered_rows=10)


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=20),
    max_rows=st.integers(min_value=1, max_value=50),
)
def test_batches_cover_every_offset_once_in_order(sizes: list[int], max_rows: int) -> None:
    batcher = Batcher(BatchPolicy(max_rows=max_rows, max_buffered_rows=max(max_rows, 10_000)))
    offset, now = 0, 0.0
    seen: list[int] = []
    for size in sizes:
        batcher.add(raws("t", 0, offset, size), now=now)
        offset += size
        now += 0.5
        for batch in batcher.ready(now=now):
            assert len(batch) <= max_rows
            seen.extend(r.offset for r in batch.records)
            assert [r.offset for r in batch.records] == list(range(batch.start, batch.end + 1))
    while rest := batcher.take_all():
        for batch in rest:
            seen.extend(r.offset for r in batch.records)
    assert seen == list(range(offset))


def test_a_full_buffer_forces_young_batches_out_but_never_unfinished_replays() -> None:
    batcher = Batcher(BatchPolicy(max_rows=100, max_age_s=60, max_buffered_rows=100))
    batcher.expect_replay("t", 1, 0, 49, now=0.0)
    batcher.add(raws("t", 0, 0, 60) + raws("t", 1, 0, 40), now=0.0)
    assert batcher.over_limit()
    assert batcher.ready(now=0.0) == []  # young, not full
    assert batcher.flushable()
    forced = batcher.ready(now=0.0, force=True)
    assert [(b.key, len(b)) for b in forced] == [(("t", 0), 60)]
    for batch in forced:
        batcher.released(batch)
    batcher.add(raws("t", 1, 40, 70), now=0.0)  # the replay completes at 49 …
    assert batcher.over_limit()
    assert batcher.has_closed()
    batches = batcher.ready(now=0.0)
    assert [(b.start, b.end, len(b)) for b in batches] == [(0, 49, 50)]


def test_a_buffer_full_of_an_unfinished_replay_is_not_flushable() -> None:
    batcher = Batcher(BatchPolicy(max_rows=100, max_buffered_rows=100))
    batcher.expect_replay("t", 0, 0, 149, now=0.0)  # written with bigger batches before a restart
    batcher.add(raws("t", 0, 0, 120), now=0.0)
    assert batcher.over_limit()
    assert not batcher.flushable()  # the sink keeps fetching until the replay is complete
    assert batcher.ready(now=99.0, force=True) == []
