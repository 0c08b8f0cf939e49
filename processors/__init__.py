"""processors."""

__all__: list[str] = []
