"""Margin requirements, margin dry-run, effective requirements and the public config (§4.3)."""

from __future__ import annotations

from adapters.tastytrade.models import (
    EffectiveMarginRequirement,
    MarginConfiguration,
    MarginDryRun,
    MarginRequirementsReport,
)
from adapters.tastytrade.rest.base import Area, Body, seg, wire


class MarginApi(Area):
    async def requirements(self, account_number: str) -> MarginRequirementsReport:
        path = f"/margin/accounts/{seg(account_number)}/requirements"
        return await self._one(MarginRequirementsReport, path)

    async def dry_run(self, account_number: str, order: Body) -> MarginDryRun:
        """The margin impact of an order-like body (1-4 legs) without placing it."""
        path = f"/margin/accounts/{seg(account_number)}/dry-run"
        return await self._send(MarginDryRun, "POST", path, json=wire(order))

    async def effective_requirement(
        self, account_number: str, underlying_symbol: str
    ) -> EffectiveMarginRequirement:
        path = (
            f"/accounts/{seg(account_number)}/margin-requirements/"
            f"{seg(underlying_symbol)}/effective"
        )
        return await self._one(EffectiveMarginRequirement, path)

    async def public_configuration(self) -> MarginConfiguration:
        """The risk-free rate used in margin calculations (needs no authentication)."""
        return await self._one(MarginConfiguration, "/margin-requirements-public-configuration")


__all__ = ["MarginApi"]
