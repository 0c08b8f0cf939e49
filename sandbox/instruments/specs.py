"""The static reference data of the simulated venue: what is listed and how it behaves.

Every number here is a deterministic input of the simulator (reference price, volatility,
dividend yield, spreads); nothing depends on wall-clock time. Products mirror the real CME
product records (codes, clearing codes, exchanges, months) seen in captured payloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

MONTH_CODES = "FGHJKMNQUVXZ"


@dataclass(frozen=True)
class EquitySpec:
    symbol: str
    description: str
    price: float  # reference price the walk starts from
    vol: float  # annualised volatility
    listed_market: str = "XNAS"
    is_etf: bool = False
    is_index: bool = False
    dividend_yield: float = 0.0
    dividend_frequency: int = 4
    beta: float = 1.0
    adv: float = 20_000_000.0  # average daily volume (shares)
    market_cap: int = 0
    sector: str = ""
    industry: str = ""
    fractional: bool = True
    option_roots: tuple[str, ...] = ()  # first = weekly/daily root, else = monthly root
    daily_expirations: bool = False
    strike_step: float = 1.0
    driver: str | None = None  # symbol whose noise drives this one (SPY follows SPX)
    cusip: str | None = None


@dataclass(frozen=True)
class FutureSpec:
    code: str  # ES
    description: str
    exchange: str  # CME
    streamer_exchange: str  # XCME
    listed_months: str  # "HMUZ"
    listed_count: int
    multiplier: Decimal
    tick_size: Decimal
    display_factor: Decimal
    product_group: str
    market_sector: str
    product_type: str
    cash_settled: bool
    clearing_code: str
    clearing_exchange_code: str
    legacy_code: str
    legacy_exchange: str
    roll_name: str
    roll_offset: int
    first_notice: bool
    cutoff_seconds: int
    price: float
    vol: float
    driver: str | None = None  # index whose level the future tracks (ES → SPX)
    basis: float = 0.0  # annual carry (contango > 0)
    small_notional: bool = False
    etf_equivalent: tuple[str, int] | None = None
    underlying_description: str | None = None
    option_tick_sizes: tuple[tuple[str | None, str], ...] = ((None, "0.05"),)
    option_products: tuple[FutureOptionSpec, ...] = field(default_factory=tuple)
    option_strike_step: float = 5.0
    option_strike_count: int = 20
    base_tick: int | None = None
    sub_tick: int | None = None


@dataclass(frozen=True)
class FutureOptionSpec:
    code: str  # ES, EW, EW1, LO, LO1
    expiration_type: str  # Quarterly | End-Of-Month | Weekly | Regular
    clearing_code: str
    clearing_exchange_code: str
    week: int = 0  # for weeklies: which Friday of the month
    is_am_settled: bool = False
    cutoff_seconds: int = 57600


@dataclass(frozen=True)
class CryptoSpec:
    symbol: str
    description: str
    short_description: str
    price: float
    vol: float
    tick_size: Decimal
    quantity_precision: int
    increment_precision: int
    id: int


# fmt: off
EQUITIES: tuple[EquitySpec, ...] = (
    EquitySpec("SPX", "S&P 500 Index", 6800.0, 0.15, listed_market="CBOE", is_index=True,
        dividend_yield=0.012, adv=0, fractional=False, option_roots=("SPXW", "SPX"),
        daily_expirations=True, strike_step=5.0),
    EquitySpec("NDX", "Nasdaq 100 Index", 25000.0, 0.19, is_index=True, dividend_yield=0.006,
        beta=1.15, adv=0, fractional=False, option_roots=("NDXP", "NDX"), strike_step=25.0),
    EquitySpec("VIX", "CBOE Volatility Index", 16.0, 0.85, listed_market="CBOE", is_index=True,
        beta=-7.1, adv=0, fractional=False),
    EquitySpec("SPY", "SPDR S&P 500 ETF Trust", 680.0, 0.15, listed_market="ARCX", is_etf=True,
        dividend_yield=0.012, adv=70000000, sector="Financial Services", option_roots=("SPY",),
        daily_expirations=True, driver="SPX", cusip="78462F103"),
    EquitySpec("QQQ", "Invesco QQQ Trust, Series 1", 610.0, 0.19, is_etf=True,
        dividend_yield=0.006, beta=1.15, adv=45000000, option_roots=("QQQ",),
        daily_expirations=True, driver="NDX", cusip="46090E103"),
    EquitySpec("IWM", "iShares Russell 2000 ETF", 245.0, 0.22, listed_market="ARCX", is_etf=True,
        dividend_yield=0.011, beta=1.2, adv=30000000, option_roots=("IWM",),
        daily_expirations=True, cusip="464287655"),
    EquitySpec("DIA", "SPDR Dow Jones Industrial Average ETF", 470.0, 0.13, listed_market="ARCX",
        is_etf=True, dividend_yield=0.015, beta=0.9, adv=3000000, option_roots=("DIA",)),
    EquitySpec("GLD", "SPDR Gold Shares", 380.0, 0.16, listed_market="ARCX", is_etf=True,
        beta=0.1, adv=9000000, option_roots=("GLD",)),
    EquitySpec("TLT", "iShares 20+ Year Treasury Bond ETF", 90.0, 0.14, is_etf=True,
        dividend_yield=0.042, dividend_frequency=12, beta=-0.2, adv=35000000,
        option_roots=("TLT",), strike_step=0.5),
    EquitySpec("AAPL", "Apple Inc. - Common Stock", 270.0, 0.26, dividend_yield=0.004, beta=1.26,
        adv=50000000, market_cap=4000000000000, sector="Technology",
        industry="Consumer Electronics", option_roots=("AAPL",), strike_step=2.5,
        cusip="037833100"),
    EquitySpec("MSFT", "Microsoft Corporation - Common Stock", 510.0, 0.23, dividend_yield=0.007,
        beta=1.05, market_cap=3800000000000, sector="Technology", industry="Software",
        option_roots=("MSFT",), strike_step=5.0, cusip="594918104"),
    EquitySpec("NVDA", "NVIDIA Corporation - Common Stock", 185.0, 0.45, dividend_yield=0.0002,
        beta=1.9, adv=180000000, market_cap=4500000000000, sector="Technology",
        industry="Semiconductors", option_roots=("NVDA",), strike_step=2.5, cusip="67066G104"),
    EquitySpec("TSLA", "Tesla, Inc. - Common Stock", 430.0, 0.55, beta=2.2, adv=100000000,
        market_cap=1400000000000, sector="Consumer Cyclical", industry="Auto Manufacturers",
        option_roots=("TSLA",), strike_step=5.0, cusip="88160R101"),
    EquitySpec("AMZN", "Amazon.com, Inc. - Common Stock", 230.0, 0.32, beta=1.3, adv=45000000,
        market_cap=2400000000000, sector="Consumer Cyclical", industry="Internet Retail",
        option_roots=("AMZN",), strike_step=2.5, cusip="023135106"),
    EquitySpec("META", "Meta Platforms, Inc. - Class A Common Stock", 700.0, 0.36,
        dividend_yield=0.003, beta=1.24, adv=12000000, market_cap=1750000000000,
        sector="Communication Services", industry="Internet Content & Information",
        option_roots=("META",), strike_step=5.0, cusip="30303M102"),
    EquitySpec("GOOGL", "Alphabet Inc. - Class A Common Stock", 280.0, 0.3, dividend_yield=0.003,
        beta=1.1, adv=30000000, market_cap=3400000000000, sector="Communication Services",
        industry="Internet Content & Information", option_roots=("GOOGL",), strike_step=2.5,
        cusip="02079K305"),
    EquitySpec("AMD", "Advanced Micro Devices, Inc. - Common Stock", 230.0, 0.5, beta=1.8,
        adv=50000000, market_cap=370000000000, sector="Technology", industry="Semiconductors",
        option_roots=("AMD",), strike_step=2.5, cusip="007903107"),
    EquitySpec("NFLX", "Netflix, Inc. - Common Stock", 110.0, 0.35, beta=1.3, adv=40000000,
        market_cap=470000000000, sector="Communication Services", industry="Entertainment",
        option_roots=("NFLX",), cusip="64110L106"),
    EquitySpec("JPM", "JPMorgan Chase & Co. Common Stock", 300.0, 0.22, listed_market="XNYS",
        dividend_yield=0.02, beta=1.1, adv=9000000, market_cap=830000000000,
        sector="Financial Services", industry="Banks", option_roots=("JPM",), strike_step=2.5,
        cusip="46625H100"),
    EquitySpec("XOM", "Exxon Mobil Corporation Common Stock", 115.0, 0.24, listed_market="XNYS",
        dividend_yield=0.035, beta=0.6, adv=15000000, market_cap=490000000000, sector="Energy",
        industry="Oil & Gas Integrated", option_roots=("XOM",), cusip="30231G102"),
    EquitySpec("F", "Ford Motor Company Common Stock", 12.5, 0.32, listed_market="XNYS",
        dividend_yield=0.05, beta=1.5, adv=60000000, market_cap=50000000000,
        sector="Consumer Cyclical", industry="Auto Manufacturers", option_roots=("F",),
        strike_step=0.5, cusip="345370860"),
)
# fmt: on

WARRANTS: tuple[tuple[str, str, str, float], ...] = (
    ("SOFIW", "SoFi Technologies, Inc. - Warrant", "XNAS", 4.15),
    ("LCIDW", "Lucid Group, Inc. - Warrant", "XNAS", 0.42),
)

CURRENCY_PAIRS: tuple[tuple[int, str, str, float], ...] = (
    (1, "EUR/USD", "Euro / US Dollar", 1.16),
    (2, "GBP/USD", "British Pound / US Dollar", 1.31),
    (3, "USD/JPY", "US Dollar / Japanese Yen", 155.0),
    (4, "AUD/USD", "Australian Dollar / US Dollar", 0.65),
)

CRYPTOS: tuple[CryptoSpec, ...] = (
    CryptoSpec("BTC/USD", "Bitcoin to USD", "Bitcoin", 92000.0, 0.55, Decimal("0.01"), 8, 8, 5),
    CryptoSpec("ETH/USD", "Ethereum to USD", "Ethereum", 3100.0, 0.7, Decimal("0.01"), 8, 6, 12),
    CryptoSpec("SOL/USD", "Solana to USD", "Solana", 140.0, 0.85, Decimal("0.01"), 8, 8, 20),
    CryptoSpec(
        "BCH/USD", "Bitcoin Cash to USD", "Bitcoin Cash", 520.0, 0.7, Decimal("0.01"), 8, 8, 4
    ),
    CryptoSpec("LTC/USD", "Litecoin to USD", "Litecoin", 90.0, 0.75, Decimal("0.01"), 8, 8, 15),
    CryptoSpec("DOGE/USD", "Dogecoin to USD", "Dogecoin", 0.16, 0.95, Decimal("0.00001"), 1, 1, 7),
)


def _weeklies(
    prefix: str, codes: tuple[str, str], suffix: str = ""
) -> tuple[FutureOptionSpec, ...]:
    return tuple(
        FutureOptionSpec(f"{prefix}{n}{suffix}", "Weekly", f"{codes[0]}{n}", codes[1], week=n)
        for n in (1, 2, 3, 4)
    )


FUTURES: tuple[FutureSpec, ...] = (
    FutureSpec(
        "ES",
        "E Mini S&P",
        "CME",
        "XCME",
        "HMUZ",
        5,
        Decimal(50),
        Decimal("0.25"),
        Decimal("0.01"),
        "CME_ES",
        "Equity Index",
        "Financial",
        True,
        "ES",
        "16",
        "ES",
        "CME",
        "expanded_offering_equity_index",
        4,
        False,
        34200,
        6800.0,
        0.15,
        driver="SPX",
        basis=0.03,
        etf_equivalent=("SPY", 500),
        underlying_description="S&P 500 Index",
        option_tick_sizes=(("5.0", "0.05"), ("20.0", "0.1"), ("100.0", "0.25"), (None, "0.5")),
        option_products=(
            FutureOptionSpec(
                "ES", "Quarterly", "ES", "16", is_am_settled=True, cutoff_seconds=34200
            ),
            FutureOptionSpec("EW", "End-Of-Month", "EW", "9C"),
            *_weeklies("EW", ("W", "9C")),
        ),
        option_strike_step=25.0,
        option_strike_count=24,
    ),
    FutureSpec(
        "MES",
        "Micro E Mini S&P",
        "CME",
        "XCME",
        "HMUZ",
        4,
        Decimal(5),
        Decimal("0.25"),
        Decimal("0.01"),
        "CME_ES",
        "Equity Index",
        "Financial",
        True,
        "MS",
        "16",
        "MES",
        "CME",
        "equity_index",
        4,
        False,
        34200,
        6800.0,
        0.15,
        driver="SPX",
        basis=0.03,
        small_notional=True,
        underlying_description="S&P 500 Index",
    ),
    FutureSpec(
        "NQ",
        "E Mini Nasdaq",
        "CME",
        "XCME",
        "HMUZ",
        4,
        Decimal(20),
        Decimal("0.25"),
        Decimal("0.01"),
        "CME_NQ",
        "Equity Index",
        "Financial",
        True,
        "NQ",
        "16",
        "NQ",
        "CME",
        "expanded_offering_equity_index",
        4,
        False,
        34200,
        25000.0,
        0.19,
        driver="NDX",
        basis=0.035,
        etf_equivalent=("QQQ", 820),
        underlying_description="Nasdaq 100 Index",
    ),
    FutureSpec(
        "CL",
        "Light Sweet Crude Oil",
        "CME",
        "XNYM",
        "FGHJKMNQUVXZ",
        8,
        Decimal(1000),
        Decimal("0.01"),
        Decimal("0.01"),
        "CME_ENERGY",
        "Energy",
        "Physical",
        False,
        "CU",
        "07",
        "CL",
        "NYM",
        "energies",
        5,
        False,
        52200,
        62.0,
        0.35,
        basis=-0.04,
        option_tick_sizes=((None, "0.01"),),
        option_products=(
            FutureOptionSpec("LO", "Regular", "CU", "07", cutoff_seconds=52200),
            *_weeklies("LO", ("L", "07")),
        ),
        option_strike_step=0.5,
        option_strike_count=20,
    ),
    FutureSpec(
        "GC",
        "Gold",
        "CME",
        "XCEC",
        "GJMQVZ",
        4,
        Decimal(100),
        Decimal("0.1"),
        Decimal("0.1"),
        "CME_METALS",
        "Metals",
        "Physical",
        False,
        "37",
        "04",
        "GC",
        "CMX",
        "metals",
        5,
        True,
        48600,
        4000.0,
        0.16,
        basis=0.045,
    ),
    FutureSpec(
        "ZN",
        "10 Yr. Treasury Note",
        "CME",
        "XCBT",
        "HMUZ",
        3,
        Decimal(1000),
        Decimal("0.015625"),
        Decimal("1.0"),
        "CME_INTEREST_RATE",
        "Interest Rates",
        "Physical",
        False,
        "21",
        "01",
        "TYF",
        "CBT",
        "interest_rates",
        5,
        True,
        46860,
        112.5,
        0.06,
        basis=-0.005,
        base_tick=32,
        sub_tick=2,
    ),
)

EQUITY_BY_SYMBOL = {spec.symbol: spec for spec in EQUITIES}
FUTURE_BY_CODE = {spec.code: spec for spec in FUTURES}
CRYPTO_BY_SYMBOL = {spec.symbol: spec for spec in CRYPTOS}

__all__ = [
    "CRYPTOS",
    "CRYPTO_BY_SYMBOL",
    "CURRENCY_PAIRS",
    "EQUITIES",
    "EQUITY_BY_SYMBOL",
    "FUTURES",
    "FUTURE_BY_CODE",
    "MONTH_CODES",
    "WARRANTS",
    "CryptoSpec",
    "EquitySpec",
    "FutureOptionSpec",
    "FutureSpec",
]
