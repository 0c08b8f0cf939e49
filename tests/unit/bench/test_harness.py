"""The benchmark plumbing: percentiles, figure lines and their parsing, discovery, /proc."""

from __future__ import annotations

import math
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.__main__ import Outcome, discover, figures_of, run_one, summary
from bench.harness import (
    Figure,
    Figures,
    cpu_seconds,
    parse_figures,
    percentile,
    proc_status_mb,
    session_start,
)


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 3.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 25) == 2.0
    assert percentile([10.0, 20.0], 90) == pytest.approx(19.0)
    assert percentile(list(map(float, range(1, 101))), 99) == pytest.approx(99.01)


def test_percentile_of_nothing_is_nan_and_bounds_are_checked() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 101)


@given(st.lists(st.floats(-1e9, 1e9), min_size=1, max_size=200), st.floats(0, 100))
def test_percentile_lies_within_the_data_and_is_monotonic(values: list[float], q: float) -> None:
    p = percentile(values, q)
    assert min(values) <= p <= max(values)
    assert percentile(values, q / 2) <= p


def test_figures_print_lines_that_parse_back(capsys: pytest.CaptureFixture[str]) -> None:
    out = Figures()
    out.add("ingest_events_per_s", 51234.6, "events/s")
    out.add("event_to_ack_p99", 12.345, "ms")
    out.ratio("ingest_vs_raw", 1.0, 4.0)
    out.ratio("nothing", 1.0, 0.0)
    out.note("not a figure: 12 things")
    text = capsys.readouterr().out
    assert "ingest_events_per_s: 51235 events/s" in text
    parsed = parse_figures(text)
    assert [f.name for f in parsed] == [
        "ingest_events_per_s",
        "event_to_ack_p99",
        "ratio_ingest_vs_raw",
        "ratio_nothing",
    ]
    assert parsed[1] == Figure("event_to_ack_p99", 12.35, "ms")
    assert parsed[2].value == 0.25
    assert parsed[2].unit == "x"
    assert math.isnan(parsed[3].value)


def test_parse_ignores_log_lines_and_reads_thousands_separators() -> None:
    text = (
        "WARNING adapters.x: StreamError: queue of 100000 full\n"
        "rows: 1,234,567 rows\n"
        "# symbols: 5 (a note)\n"
    )
    assert parse_figures(text) == [Figure("rows", 1234567.0, "rows")]


def test_loose_lines_of_other_benchmarks_are_collected() -> None:
    text = (
        "sink      Kafka → ClickHouse:     123,456 rows/s (steady state)\n"
        "  events_per_s          52,000.50\n"
        "  ratio ours / orjson.loads:   1.83x\n"
        "  frames: 1,000  events: 9  bytes: 1.2 MB\n"
        "  json.loads (baseline):     32,922 frames/s       1,646,091 events/s\n"
        "clickhouse http vs chdb in-process, 1,000,000 rows (best of 3)\n"
    )
    got = {f.name: (f.value, f.unit) for f in figures_of(text)}
    assert got["sink_kafka_clickhouse"] == (123456.0, "rows/s (steady state)")
    assert got["events_per_s"] == (52000.5, "")
    assert got["ratio_ours_orjson_loads"] == (1.83, "x")
    assert got["frames"] == (1000.0, "events: 9  bytes: 1.2 MB")
    assert len(got) == 4  # the labels with parentheses or commas are prose, not figures


def test_discover_finds_modules_with_main_only(tmp_path: Path) -> None:
    (tmp_path / "fast.py").write_text("def main() -> int:\n    return 0\n")
    (tmp_path / "slow.py").write_text("async def main():\n    pass\n")
    (tmp_path / "helper.py").write_text("def run():\n    pass\n")
    (tmp_path / "harness.py").write_text("def main():\n    pass\n")
    (tmp_path / "__main__.py").write_text("def main():\n    pass\n")
    assert discover(tmp_path) == ["fast", "slow"]
    assert {"ingest", "latency"} <= set(discover())


def test_summary_lists_every_figure_under_its_benchmark() -> None:
    table = summary(
        [
            Outcome("ingest", "ok", 61.0, [Figure("events_per_s", 51234.0, "events/s")]),
            Outcome("latency", "timeout after 240s", 240.0, []),
        ]
    )
    assert "events_per_s" in table
    assert "51,234" in table
    assert "timeout after 240s" in table


def test_proc_figures_of_this_process() -> None:
    rss = proc_status_mb("VmRSS")
    assert 1 < rss < 10_000
    assert proc_status_mb("VmHWM", os.getpid()) >= rss - 1
    assert math.isnan(proc_status_mb("NoSuchField"))
    before = cpu_seconds()
    sum(i * i for i in range(300_000))
    assert cpu_seconds() >= before > 0


def test_session_start_is_an_open_market_time_on_a_trading_day() -> None:
    assert session_start(date(2026, 11, 26)) == datetime(
        2026, 11, 25, 15, tzinfo=UTC
    )  # Thanksgiving
    assert session_start(date(2026, 11, 29)) == datetime(2026, 11, 27, 15, tzinfo=UTC)  # Sunday
    assert session_start(date(2026, 11, 24)).date() == date(2026, 11, 24)


def test_run_one_collects_figures_and_interrupts_a_benchmark_that_overruns() -> None:
    script = (
        "import time\n"
        "print('first_figure: 12.5 ms', flush=True)\n"
        "try:\n"
        "    time.sleep(30)\n"
        "except KeyboardInterrupt:\n"
        "    print('cleaned_up: 1 flag', flush=True)\n"
        "    raise SystemExit(3)\n"
    )
    outcome = run_one("fake", 1.5, command=[sys.executable, "-c", script])
    assert outcome.status == "timeout after 2s"
    assert outcome.figures == [
        Figure("first_figure", 12.5, "ms"),
        Figure("cleaned_up", 1.0, "flag"),
    ]
    assert outcome.seconds < 20


def test_run_one_reports_a_failing_benchmark() -> None:
    outcome = run_one("fake", 20, command=[sys.executable, "-c", "print('a: 1 x'); exit(2)"])
    assert outcome.status == "failed (exit 2)"
    assert outcome.figures == [Figure("a", 1.0, "x")]
