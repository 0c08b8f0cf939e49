"""tastystream/stack."""

__all__: list[str] = []
