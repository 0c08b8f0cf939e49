"""ClickHouse schema of the market-data and account store: ordered ``NNNN_<name>.sql`` migrations.

Files are templates: ``${database}`` stands for the target database (``tastystream`` by
default). A statement ends at a code line that ends with ``;``. Apply them with
:func:`sinks.migrate.migrate`. :mod:`sinks.ddl.columns` maps each topic's Avro fields to its
table's columns; :mod:`sinks.ddl.examples` holds the example queries the README shows.
"""

from sinks.ddl.columns import column_names, columns_for, row_of
from sinks.ddl.examples import ACCOUNT_EXAMPLES, EXAMPLES, Example
from sinks.ddl.migrations import DDL_DIR, Migration, load_migrations

__all__ = [
    "ACCOUNT_EXAMPLES",
    "DDL_DIR",
    "EXAMPLES",
    "Example",
    "Migration",
    "column_names",
    "columns_for",
    "load_migrations",
    "row_of",
]
