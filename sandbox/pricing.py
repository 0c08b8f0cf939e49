"""Deterministic random paths and option pricing (Black–Scholes, Black-76, greeks).

Prices must be a pure function of ``(seed, symbol, time)`` so that candle history for any
period can be computed on demand and is continuous with the live stream. A :class:`Path` is a
sum of octaves: at level ``L`` independent Gaussian knots every ``2**L`` seconds, linearly
interpolated, with amplitude ``sigma * sqrt(2**L)``. Increments over any horizon then have
roughly Brownian variance, the value at any instant costs O(levels), and neighbouring
evaluations reuse the cached knots of the slow levels.
"""

from __future__ import annotations

import hashlib
import math

_MASK = (1 << 64) - 1
_INV64 = 1.0 / float(1 << 64)
SECONDS_PER_YEAR = 365.25 * 24 * 3600
LEVELS = 26  # 1 s … ~2 years


def mix64(x: int) -> int:
    """splitmix64 finaliser: a fast, well-distributed 64-bit mixing function."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def key_of(seed: int, name: str) -> int:
    digest = hashlib.blake2b(f"{seed}\x00{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def uniform(key: int, a: int, b: int = 0) -> float:
    """Uniform in [0, 1) from ``key`` and two integer coordinates."""
    return mix64(key ^ ((a * 0xD1B54A32D192ED03 + b * 0x8CB92BA72F3D8DD7) & _MASK)) * _INV64


def gauss(key: int, a: int, b: int = 0) -> float:
    """Standard normal from ``key`` and two integer coordinates (Box–Muller)."""
    h = mix64(key ^ mix64((a * 0x9E3779B1 + b * 0x85EBCA77) & _MASK))
    u1 = ((h >> 32) + 1) / 4294967297.0
    u2 = (h & 0xFFFFFFFF) / 4294967296.0
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


_FAST = 10  # levels below this are summed per call; slower ones are linear per window
_WINDOW = float(1 << _FAST)
_SQRT = [math.sqrt(float(1 << level)) for level in range(LEVELS)]


class Path:
    """A continuous, random-access, deterministic log-price path with annual vol ``vol``."""

    __slots__ = ("_cache", "_key", "_sigma", "_slow")

    def __init__(self, key: int, vol: float) -> None:
        self._key = key
        self._sigma = vol / math.sqrt(SECONDS_PER_YEAR) * 0.5
        self._cache: list[tuple[int, float, float]] = [(-(1 << 62), 0.0, 0.0)] * LEVELS
        self._slow: tuple[int, float, float] = (-(1 << 62), 0.0, 0.0)

    def _level(self, level: int, k: int) -> tuple[float, float]:
        cached = self._cache[level]
        if cached[0] == k:
            return cached[1], cached[2]
        g0 = cached[2] if cached[0] == k - 1 else gauss(self._key, level, k)
        g1 = gauss(self._key, level, k + 1)
        self._cache[level] = (k, g0, g1)
        return g0, g1

    def value(self, t: float) -> float:
        """Log-return relative to the reference level at time ``t`` (epoch seconds)."""
        window = math.floor(t / _WINDOW)
        slow = self._slow
        if slow[0] != window:
            # every level >= _FAST has knots on multiples of the window: linear inside it
            start = window * _WINDOW
            at0 = at1 = 0.0
            for level in range(_FAST, LEVELS):
                spacing = float(1 << level)
                k = math.floor(start / spacing)
                g0, g1 = self._level(level, k)
                f0 = start / spacing - k
                f1 = (start + _WINDOW) / spacing - k
                at0 += (g0 + (g1 - g0) * f0) * _SQRT[level]
                at1 += (g0 + (g1 - g0) * f1) * _SQRT[level]
            slow = self._slow = (window, at0, (at1 - at0) / _WINDOW)
        total = slow[1] + slow[2] * (t - window * _WINDOW)
        for level in range(_FAST):
            spacing = float(1 << level)
            pos = t / spacing
            k = math.floor(pos)
            g0, g1 = self._level(level, k)
            total += (g0 + (g1 - g0) * (pos - k)) * _SQRT[level]
        return total * self._sigma


# ----------------------------------------------------------------------------- options


_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Greeks:
    __slots__ = ("delta", "gamma", "price", "rho", "theta", "vega", "volatility")

    def __init__(
        self,
        price: float,
        volatility: float,
        delta: float,
        gamma: float,
        theta: float,
        vega: float,
        rho: float,
    ) -> None:
        self.price = price
        self.volatility = volatility
        self.delta = delta
        self.gamma = gamma
        self.theta = theta
        self.vega = vega
        self.rho = rho


def black_scholes(
    spot: float, strike: float, years: float, rate: float, div: float, vol: float, call: bool
) -> Greeks:
    """Black–Scholes–Merton price and greeks (theta per day, vega and rho per 1 %)."""
    if years <= 1e-9 or vol <= 0.0:
        intrinsic = max(0.0, spot - strike) if call else max(0.0, strike - spot)
        itm = 1.0 if intrinsic > 0 else 0.0
        return Greeks(intrinsic, vol, itm if call else -itm, 0.0, 0.0, 0.0, 0.0)
    sq = math.sqrt(years)
    vsq = vol * sq
    d1 = (math.log(spot / strike) + (rate - div + 0.5 * vol * vol) * years) / vsq
    d2 = d1 - vsq
    disc_r = math.exp(-rate * years)
    disc_q = math.exp(-div * years)
    pdf = math.exp(-0.5 * d1 * d1) * _INV_SQRT_2PI
    nd1 = 0.5 * (1.0 + math.erf(d1 * _INV_SQRT2))
    nd2 = 0.5 * (1.0 + math.erf(d2 * _INV_SQRT2))
    decay = -spot * disc_q * pdf * vol / (2 * sq)
    if call:
        price = spot * disc_q * nd1 - strike * disc_r * nd2
        delta = disc_q * nd1
        theta = decay - rate * strike * disc_r * nd2 + div * spot * disc_q * nd1
        rho = strike * years * disc_r * nd2
    else:
        price = strike * disc_r * (1.0 - nd2) - spot * disc_q * (1.0 - nd1)
        delta = -disc_q * (1.0 - nd1)
        theta = decay + rate * strike * disc_r * (1.0 - nd2) - div * spot * disc_q * (1.0 - nd1)
        rho = -strike * years * disc_r * (1.0 - nd2)
    gamma = disc_q * pdf / (spot * vol * sq)
    vega = spot * disc_q * pdf * sq
    return Greeks(max(price, 0.0), vol, delta, gamma, theta / 365.0, vega / 100.0, rho / 100.0)


def black76(
    forward: float, strike: float, years: float, rate: float, vol: float, call: bool
) -> Greeks:
    """Black-76 for options on futures: Black–Scholes with the forward as spot and q = r."""
    return black_scholes(forward, strike, years, rate, rate, vol, call)


def implied_vol(
    price: float, spot: float, strike: float, years: float, rate: float, div: float, call: bool
) -> float:
    """Implied volatility by bisection (returns NaN when no vol reproduces ``price``)."""
    low, high = 1e-4, 5.0
    if years <= 0:
        return math.nan
    f_low = black_scholes(spot, strike, years, rate, div, low, call).price - price
    f_high = black_scholes(spot, strike, years, rate, div, high, call).price - price
    if f_low > 0 or f_high < 0:
        return math.nan
    for _ in range(80):
        mid = 0.5 * (low + high)
        if black_scholes(spot, strike, years, rate, div, mid, call).price > price:
            high = mid
        else:
            low = mid
    return 0.5 * (low + high)


def smile(base_vol: float, spot: float, strike: float, years: float) -> float:
    """A simple skewed smile: puts richer than calls, wings richer, short tenors steeper."""
    t = max(years, 1.0 / 365.0)
    m = math.log(strike / spot) / math.sqrt(t)
    m = max(-3.0, min(3.0, m))
    term = 1.0 + 0.08 * math.exp(-t * 12.0)
    return max(0.03, base_vol * term * (1.0 - 0.12 * m + 0.05 * m * m))


__all__ = [
    "LEVELS",
    "SECONDS_PER_YEAR",
    "Greeks",
    "Path",
    "black76",
    "black_scholes",
    "gauss",
    "implied_vol",
    "key_of",
    "mix64",
    "smile",
    "uniform",
]
