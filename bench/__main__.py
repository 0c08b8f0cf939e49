"""``python -m bench``: run every benchmark of this folder and print one summary table.

Each module of ``bench/`` that defines ``main()`` runs in its own subprocess
(``python -m bench.<name>``) with a time limit; its output is streamed through and the
``name: value unit`` figures it prints are collected (see :func:`bench.harness.parse_figures`;
other benchmarks' own formats such as ``label   12,345 rows/s`` are picked up too). A module
that fails or times out is reported and the others still run; the exit status is non-zero
when any failed.

``python -m bench [--only ingest,latency] [--skip sink] [--timeout 240] [--list]``
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import Figure, parse_figures

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NOT_BENCHMARKS = frozenset({"__init__", "__main__", "harness"})
LOOSE = re.compile(
    r"^\s*(?P<name>[A-Za-z][^:\d,()=]*?)[:\s]\s+(?P<value>[-+]?\d[\d,]*(?:\.\d+)?)(?![\d.])\s*(?P<unit>.*?)\s*$"
)


@dataclass
class Outcome:
    module: str
    status: str = "ok"
    seconds: float = 0.0
    figures: list[Figure] = field(default_factory=list)


def discover(folder: Path = HERE) -> list[str]:
    """Modules of ``folder`` that define a top-level ``main`` function (without importing)."""
    found: list[str] = []
    for path in sorted(folder.glob("*.py")):
        if path.stem in NOT_BENCHMARKS:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        if any(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "main"
            for node in tree.body
        ):
            found.append(path.stem)
    return found


def figures_of(text: str) -> list[Figure]:
    """Strict ``name: value unit`` lines; else the loose ``label  value rest-of-line`` lines
    (the first number after a label; labels with digits, commas or parentheses are prose)."""
    strict = parse_figures(text)
    if strict:
        return strict
    out: list[Figure] = []
    for line in text.splitlines():
        match = LOOSE.match(line)
        if match is not None:
            name = re.sub(r"\W+", "_", match["name"].strip()).strip("_").lower()
            unit = (match["unit"] or "").strip()
            out.append(Figure(name, float(match["value"].replace(",", "")), unit))
    return out


def run_one(module: str, timeout: float, *, command: list[str] | None = None) -> Outcome:
    """``python -m bench.<module>`` (or ``command``) in its own process group, its output
    streamed through; on timeout it is interrupted (SIGINT: it stops what it started)."""
    outcome = Outcome(module)
    started = time.monotonic()
    lines: list[str] = []
    proc = subprocess.Popen(
        command or [sys.executable, "-m", f"bench.{module}"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            print(f"  [{module}] {line}", end="", flush=True)

    reader = threading.Thread(target=pump, name=f"bench-{module}-output", daemon=True)
    reader.start()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        outcome.status = f"timeout after {timeout:.0f}s"
        _stop(proc)
    reader.join(10)
    if outcome.status == "ok" and proc.returncode != 0:
        outcome.status = f"failed (exit {proc.returncode})"
    outcome.seconds = time.monotonic() - started
    outcome.figures = figures_of("".join(lines))
    return outcome


def _stop(proc: subprocess.Popen[str]) -> None:
    """Interrupt the benchmark's process group: SIGINT lets ``asyncio.run`` cancel the main task
    so its ``finally`` blocks stop the stack and the sandbox; SIGTERM, SIGKILL if it hangs."""
    for sig, wait in ((signal.SIGINT, 90.0), (signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def summary(outcomes: list[Outcome]) -> str:
    rows = [("benchmark", "figure", "value", "unit")]
    for o in outcomes:
        rows.append((o.module, f"({o.status}, {o.seconds:.0f} s)", "", ""))
        for f in o.figures:
            value = f"{f.value:,.3g}" if abs(f.value) < 10 else f"{f.value:,.0f}"
            unit = f.unit if len(f.unit) <= 40 else f.unit[:39] + "…"
            rows.append(("", f.name, value, unit))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, row in enumerate(rows):
        lines.append(
            f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}"
        )
        if i == 0:
            lines.append("-" * (sum(widths) + 6))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated module names")
    parser.add_argument("--skip", default="", help="comma-separated module names")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per benchmark")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    modules = discover()
    only = {m for m in args.only.split(",") if m}
    skip = {m for m in args.skip.split(",") if m}
    unknown = (only | skip) - set(modules)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))} (have {modules})")
    selected = [m for m in modules if (not only or m in only) and m not in skip]
    if args.list:
        print("\n".join(selected))
        return 0
    outcomes = []
    for module in selected:
        print(f"== bench.{module}", flush=True)
        outcomes.append(run_one(module, args.timeout))
    print()
    print(summary(outcomes))
    print(f"\ntotal: {sum(o.seconds for o in outcomes):.0f} s for {len(outcomes)} benchmarks")
    return 0 if all(o.status == "ok" for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
