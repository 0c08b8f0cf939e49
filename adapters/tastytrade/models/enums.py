"""The API's enumerations (Title Case values, exactly as on the wire) and their lenient field types.

Each ``*Field`` alias is ``Enum | str``: a known value parses to the member, an unknown one is
kept as the plain string and reported by :func:`parse_model` as a ``ParseWarning``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from adapters.tastytrade.models.base import LenientEnum, enum_coercer


class PriceEffect(StrEnum):
    """Sign of an unsigned amount: ``Debit`` takes money out of the account."""

    CREDIT = "Credit"
    DEBIT = "Debit"
    NONE = "None"


class InstrumentType(StrEnum):
    BOND = "Bond"
    CRYPTOCURRENCY = "Cryptocurrency"
    CURRENCY_PAIR = "Currency Pair"
    EQUITY = "Equity"
    EQUITY_OFFERING = "Equity Offering"
    EQUITY_OPTION = "Equity Option"
    EVENT_CONTRACT = "Event Contract"
    FIXED_INCOME_SECURITY = "Fixed Income Security"
    FUTURE = "Future"
    FUTURE_OPTION = "Future Option"
    INDEX = "Index"
    LIQUIDITY_POOL = "Liquidity Pool"
    UNKNOWN = "Unknown"
    WARRANT = "Warrant"


class OrderAction(StrEnum):
    BUY_TO_OPEN = "Buy to Open"
    BUY_TO_CLOSE = "Buy to Close"
    SELL_TO_OPEN = "Sell to Open"
    SELL_TO_CLOSE = "Sell to Close"
    BUY = "Buy"
    SELL = "Sell"
    ALLOCATE = "Allocate"

    @property
    def is_buy(self) -> bool:
        return self in (OrderAction.BUY_TO_OPEN, OrderAction.BUY_TO_CLOSE, OrderAction.BUY)

    @property
    def is_sell(self) -> bool:
        return self in (OrderAction.SELL_TO_OPEN, OrderAction.SELL_TO_CLOSE, OrderAction.SELL)

    @property
    def is_closing(self) -> bool:
        return self in (OrderAction.BUY_TO_CLOSE, OrderAction.SELL_TO_CLOSE)


class OrderStatus(StrEnum):
    RECEIVED = "Received"
    ROUTED = "Routed"
    IN_FLIGHT = "In Flight"
    LIVE = "Live"
    CANCEL_REQUESTED = "Cancel Requested"
    REPLACE_REQUESTED = "Replace Requested"
    CONTINGENT = "Contingent"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    EXPIRED = "Expired"
    REJECTED = "Rejected"
    REMOVED = "Removed"
    PARTIALLY_REMOVED = "Partially Removed"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_working(self) -> bool:
        return self in (
            OrderStatus.LIVE,
            OrderStatus.CANCEL_REQUESTED,
            OrderStatus.REPLACE_REQUESTED,
        )


_TERMINAL = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELLED,
        OrderStatus.EXPIRED,
        OrderStatus.REJECTED,
        OrderStatus.REMOVED,
        OrderStatus.PARTIALLY_REMOVED,
    }
)


class OrderType(StrEnum):
    LIMIT = "Limit"
    MARKET = "Market"
    MARKETABLE_LIMIT = "Marketable Limit"
    STOP = "Stop"
    STOP_LIMIT = "Stop Limit"
    NOTIONAL_MARKET = "Notional Market"


class TimeInForce(StrEnum):
    DAY = "Day"
    GTC = "GTC"
    GTD = "GTD"
    EXT = "Ext"
    EXT_OVERNIGHT = "Ext Overnight"
    GTC_EXT = "GTC Ext"
    GTC_EXT_OVERNIGHT = "GTC Ext Overnight"
    IOC = "IOC"


class ComplexOrderType(StrEnum):
    OTO = "OTO"
    OCO = "OCO"
    OTOCO = "OTOCO"
    PAIRS = "PAIRS"
    BLAST = "BLAST"


class QuantityDirection(StrEnum):
    LONG = "Long"
    SHORT = "Short"
    ZERO = "Zero"


class OptionType(StrEnum):
    CALL = "C"
    PUT = "P"


class MarginOrCash(StrEnum):
    CASH = "Cash"
    MARGIN = "Margin"


class TransactionType(StrEnum):
    ADMINISTRATIVE_TRANSFER = "Administrative Transfer"
    MONEY_MOVEMENT = "Money Movement"
    RECEIVE_DELIVER = "Receive Deliver"
    TRADE = "Trade"


class MarketSessionState(StrEnum):
    OPEN = "Open"
    CLOSED = "Closed"
    PRE_MARKET = "Pre-market"
    EXTENDED = "Extended"


class ClosePriceType(StrEnum):
    REGULAR = "Regular"
    FINAL = "Final"
    INDICATIVE = "Indicative"
    PRELIMINARY = "Preliminary"
    UNKNOWN = "Unknown"


class Lendability(StrEnum):
    EASY_TO_BORROW = "Easy To Borrow"
    LOCATE_REQUIRED = "Locate Required"
    PREBORROW = "Preborrow"


class ExerciseStyle(StrEnum):
    AMERICAN = "American"
    EUROPEAN = "European"


class SettlementType(StrEnum):
    AM = "AM"
    PM = "PM"


class ExpirationType(StrEnum):
    REGULAR = "Regular"
    WEEKLY = "Weekly"
    QUARTERLY = "Quarterly"
    END_OF_MONTH = "End of Month"


class OptionChainType(StrEnum):
    STANDARD = "Standard"
    NON_STANDARD = "Non-standard"


class TimeOfDay(StrEnum):
    BOD = "BOD"
    EOD = "EOD"
    INTRADAY = "Intraday"


class AlertField(StrEnum):
    LAST = "Last"
    BID = "Bid"
    ASK = "Ask"
    IV = "IV"


class AlertOperator(StrEnum):
    GREATER = ">"
    LESS = "<"


class Comparator(StrEnum):
    GTE = "gte"
    LTE = "lte"


def signed(amount: Decimal | None, effect: PriceEffect | str | None) -> Decimal | None:
    """The signed value of an unsigned wire amount: ``Debit`` → negative, else positive.

    The wire values stay untouched on the models; this is the one place signs are applied.
    ``None`` in gives ``None`` out. An unknown effect raises ``ValueError`` rather than guess.
    """
    if amount is None:
        return None
    if effect == PriceEffect.DEBIT:
        return -amount
    if effect is None or effect in (PriceEffect.CREDIT, PriceEffect.NONE):
        return amount
    raise ValueError(f"unknown price effect {effect!r}")


PriceEffectField = Annotated[PriceEffect | str, LenientEnum(PriceEffect), enum_coercer(PriceEffect)]
InstrumentTypeField = Annotated[
    InstrumentType | str, LenientEnum(InstrumentType), enum_coercer(InstrumentType)
]
OrderActionField = Annotated[OrderAction | str, LenientEnum(OrderAction), enum_coercer(OrderAction)]
OrderStatusField = Annotated[OrderStatus | str, LenientEnum(OrderStatus), enum_coercer(OrderStatus)]
OrderTypeField = Annotated[OrderType | str, LenientEnum(OrderType), enum_coercer(OrderType)]
TimeInForceField = Annotated[TimeInForce | str, LenientEnum(TimeInForce), enum_coercer(TimeInForce)]
ComplexOrderTypeField = Annotated[
    ComplexOrderType | str, LenientEnum(ComplexOrderType), enum_coercer(ComplexOrderType)
]
QuantityDirectionField = Annotated[
    QuantityDirection | str, LenientEnum(QuantityDirection), enum_coercer(QuantityDirection)
]
OptionTypeField = Annotated[OptionType | str, LenientEnum(OptionType), enum_coercer(OptionType)]
MarginOrCashField = Annotated[
    MarginOrCash | str, LenientEnum(MarginOrCash), enum_coercer(MarginOrCash)
]
TransactionTypeField = Annotated[
    TransactionType | str, LenientEnum(TransactionType), enum_coercer(TransactionType)
]
MarketSessionStateField = Annotated[
    MarketSessionState | str, LenientEnum(MarketSessionState), enum_coercer(MarketSessionState)
]
ClosePriceTypeField = Annotated[
    ClosePriceType | str, LenientEnum(ClosePriceType), enum_coercer(ClosePriceType)
]
LendabilityField = Annotated[Lendability | str, LenientEnum(Lendability), enum_coercer(Lendability)]
ExerciseStyleField = Annotated[
    ExerciseStyle | str, LenientEnum(ExerciseStyle), enum_coercer(ExerciseStyle)
]
SettlementTypeField = Annotated[
    SettlementType | str, LenientEnum(SettlementType), enum_coercer(SettlementType)
]
ExpirationTypeField = Annotated[
    ExpirationType | str, LenientEnum(ExpirationType), enum_coercer(ExpirationType)
]
OptionChainTypeField = Annotated[
    OptionChainType | str, LenientEnum(OptionChainType), enum_coercer(OptionChainType)
]
TimeOfDayField = Annotated[TimeOfDay | str, LenientEnum(TimeOfDay), enum_coercer(TimeOfDay)]
AlertFieldField = Annotated[AlertField | str, LenientEnum(AlertField), enum_coercer(AlertField)]
AlertOperatorField = Annotated[
    AlertOperator | str, LenientEnum(AlertOperator), enum_coercer(AlertOperator)
]
ComparatorField = Annotated[Comparator | str, LenientEnum(Comparator), enum_coercer(Comparator)]

__all__ = [
    "AlertField",
    "AlertFieldField",
    "AlertOperator",
    "AlertOperatorField",
    "ClosePriceType",
    "ClosePriceTypeField",
    "Comparator",
    "ComparatorField",
    "ComplexOrderType",
    "ComplexOrderTypeField",
    "ExerciseStyle",
    "ExerciseStyleField",
    "ExpirationType",
    "ExpirationTypeField",
    "InstrumentType",
    "InstrumentTypeField",
    "Lendability",
    "LendabilityField",
    "MarginOrCash",
    "MarginOrCashField",
    "MarketSessionState",
    "MarketSessionStateField",
    "OptionChainType",
    "OptionChainTypeField",
    "OptionType",
    "OptionTypeField",
    "OrderAction",
    "OrderActionField",
    "OrderStatus",
    "OrderStatusField",
    "OrderType",
    "OrderTypeField",
    "PriceEffect",
    "PriceEffectField",
    "QuantityDirection",
    "QuantityDirectionField",
    "SettlementType",
    "SettlementTypeField",
    "TimeInForce",
    "TimeInForceField",
    "TimeOfDay",
    "TimeOfDayField",
    "TransactionType",
    "TransactionTypeField",
    "signed",
]
