"""``python -m sinks``: run the ClickHouse sink until SIGTERM/SIGINT."""

import sys

from sinks.runner import main

sys.exit(main())
