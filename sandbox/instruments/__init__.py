"""Reference data and symbology of the simulated venue's instruments."""

from sandbox.instruments.specs import CRYPTOS, EQUITIES, FUTURES, CryptoSpec, EquitySpec, FutureSpec

__all__ = ["CRYPTOS", "EQUITIES", "FUTURES", "CryptoSpec", "EquitySpec", "FutureSpec"]
