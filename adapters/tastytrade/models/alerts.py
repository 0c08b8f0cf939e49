"""Quote alerts (``/quote-alerts`` and the account-streamer ``QuoteAlert``)."""

from __future__ import annotations

from adapters.tastytrade.models.base import Dec, EpochTimestamp, TastytradeModel, Timestamp
from adapters.tastytrade.models.enums import (
    AlertFieldField,
    AlertOperatorField,
    InstrumentTypeField,
)


class QuoteAlert(TastytradeModel):
    """``expires_at`` arrives as epoch ms (int or digit string) or ISO text."""

    alert_external_id: str | None = None
    user_external_id: str | None = None
    symbol: str
    dx_symbol: str | None = None
    instrument_type: InstrumentTypeField | None = None
    field: AlertFieldField
    operator: AlertOperatorField
    threshold: Dec
    threshold_numeric: Dec | None = None
    provider: str | None = None
    created_at: Timestamp | None = None
    triggered_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    expires_at: EpochTimestamp = None


__all__ = ["QuoteAlert"]
