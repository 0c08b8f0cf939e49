"""Transactions, fee totals and external (bank) transfers (§4.3, §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adapters.tastytrade.models.base import Dec, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import (
    InstrumentTypeField,
    OrderActionField,
    PriceEffect,
    PriceEffectField,
    QuantityDirectionField,
    TransactionTypeField,
    signed,
)


class Lot(TastytradeModel):
    id: str | None = None
    transaction_id: int | None = None
    quantity: Dec | None = None
    price: Dec | None = None
    quantity_direction: QuantityDirectionField | None = None
    executed_at: Timestamp | None = None
    transaction_date: date | None = None


class Transaction(TastytradeModel):
    """One ledger entry; every money field is unsigned with its ``*_effect``."""

    id: int
    account_number: str
    transaction_type: TransactionTypeField
    transaction_sub_type: str | None = None
    description: str | None = None
    executed_at: Timestamp
    transaction_date: date
    value: Dec
    value_effect: PriceEffectField | None = None
    net_value: Dec | None = None
    net_value_effect: PriceEffectField | None = None
    is_estimated_fee: bool | None = None
    symbol: str | None = None
    instrument_type: InstrumentTypeField | None = None
    underlying_symbol: str | None = None
    action: OrderActionField | None = None
    quantity: Dec | None = None
    price: Dec | None = None
    regulatory_fees: Dec | None = None
    regulatory_fees_effect: PriceEffectField | None = None
    clearing_fees: Dec | None = None
    clearing_fees_effect: PriceEffectField | None = None
    commission: Dec | None = None
    commission_effect: PriceEffectField | None = None
    proprietary_index_option_fees: Dec | None = None
    proprietary_index_option_fees_effect: PriceEffectField | None = None
    currency_conversion_fees: Dec | None = None
    currency_conversion_fees_effect: PriceEffectField | None = None
    other_charge: Dec | None = None
    other_charge_effect: PriceEffectField | None = None
    other_charge_description: str | None = None
    ext_exchange_order_number: str | None = None
    ext_global_order_number: str | None = None
    ext_group_id: str | None = None
    ext_group_fill_id: str | None = None
    ext_exec_id: str | None = None
    exec_id: str | None = None
    exchange: str | None = None
    order_id: int | None = None
    exchange_affiliation_identifier: str | None = None
    leg_count: int | None = None
    destination_venue: str | None = None
    reverses_id: int | None = None
    cost_basis_reconciliation_date: date | None = None
    lots: tuple[Lot, ...] = ()
    agency_price: Dec | None = None
    principal_price: Dec | None = None
    currency: str | None = None
    created_at: Timestamp | None = None

    @property
    def signed_value(self) -> Decimal:
        return -self.value if self.value_effect == PriceEffect.DEBIT else self.value

    @property
    def signed_net_value(self) -> Decimal | None:
        return signed(self.net_value, self.net_value_effect)


class TotalFees(TastytradeModel):
    """``/accounts/{n}/transactions/total-fees``."""

    total_fees: Dec
    total_fees_effect: PriceEffectField | None = None

    @property
    def signed_total_fees(self) -> Decimal | None:
        return signed(self.total_fees, self.total_fees_effect)


class ExternalTransaction(TastytradeModel):
    """A deposit/withdrawal (account-streamer ``ExternalTransaction``)."""

    id: int
    account_number: str
    amount: Dec | None = None
    bank_account_type: str | None = None
    banking_date: date | None = None
    created_at: Timestamp | None = None
    direction: str | None = None
    disbursement_type: str | None = None
    ext_transfer_id: str | None = None
    funds_available_date: date | None = None
    is_cancelable: bool | None = None
    is_clearing_accepted: bool | None = None
    state: str | None = None
    transfer_method: str | None = None
    updated_at: Timestamp | None = None


__all__ = ["ExternalTransaction", "Lot", "TotalFees", "Transaction"]
