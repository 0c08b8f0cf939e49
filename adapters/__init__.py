"""Adapters to external services. Only ``adapters.tastytrade`` speaks Tastytrade."""

__all__: list[str] = []
