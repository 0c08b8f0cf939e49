"""Figures: percentiles, the ``name: value unit`` lines every benchmark prints, and their parsing
(``python -m bench`` collects them into one summary table)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

FIGURE = re.compile(
    r"^\s*(?P<name>[A-Za-z][\w./>-]*):\s+(?P<value>[-+]?[\d,]*\.?\d+(?:e[-+]?\d+)?|nan)\s*(?P<unit>[^:]*?)\s*$"
)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str = ""

    def line(self) -> str:
        if math.isnan(self.value):
            text = "nan"
        elif abs(self.value) >= 100 or float(self.value).is_integer():
            text = f"{self.value:.0f}"
        else:
            text = f"{self.value:.3g}" if abs(self.value) < 1 else f"{self.value:.2f}"
        return f"{self.name}: {text} {self.unit}".rstrip()


class Figures:
    """Collects and prints figures; ``ratio`` lines carry the unit ``x``."""

    def __init__(self) -> None:
        self.items: list[Figure] = []

    def add(self, name: str, value: float, unit: str = "") -> float:
        figure = Figure(name, float(value), unit)
        self.items.append(figure)
        print(figure.line(), flush=True)
        return value

    def ratio(self, name: str, ours: float, baseline: float) -> float:
        value = ours / baseline if baseline else math.nan
        return self.add(f"ratio_{name}", value, "x")

    def note(self, text: str) -> None:
        print(f"# {text}", flush=True)


def parse_figures(text: str) -> list[Figure]:
    """Every ``name: value unit`` line of a benchmark's output (other lines are ignored)."""
    out: list[Figure] = []
    for line in text.splitlines():
        match = FIGURE.match(line)
        if match is None:
            continue
        value = match["value"].replace(",", "")
        out.append(Figure(match["name"], float(value), match["unit"]))
    return out


__all__ = ["FIGURE", "Figure", "Figures", "parse_figures", "percentile"]
