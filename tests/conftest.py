"""Test-wide settings.

Hypothesis: no per-example deadline (a loaded 2-core CI machine makes timings meaningless —
performance lives in bench/), and under CI a derandomized profile so a run is reproducible;
locally examples stay random to keep exploring.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None)
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
