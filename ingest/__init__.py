"""ingest."""

__all__: list[str] = []
