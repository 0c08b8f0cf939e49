"""sinks."""

__all__: list[str] = []
