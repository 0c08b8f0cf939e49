"""sandbox: a simulated Tastytrade (REST + OAuth + DXLink + account streamer).

Start it in-process with :class:`SandboxServer` (port 0 picks a free port) or from the command
line with ``python -m sandbox``; defaults are in :mod:`sandbox.config`.
"""

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer, serve_forever

__all__ = ["SandboxConfig", "SandboxServer", "serve_forever"]
