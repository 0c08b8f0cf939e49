"""Tastytrade's own JS SDK for the third-party tests: installed on demand with ``npm ci`` from the
pinned ``js/package.json`` + ``js/package-lock.json`` into a cache shared by every checkout
(``~/.cache/tastystream/npm/tastytrade-api-<version>-<lock digest>``), the way the local stack
caches Kafka's jars: built in a staging folder, renamed into place, marked complete; a file lock
makes concurrent runs wait for one install, and repeated runs reuse it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

JS_DIR = Path(__file__).with_name("js")
SCRIPT = JS_DIR / "quote_stream.mjs"
_MANIFESTS = ("package.json", "package-lock.json")
_STAMP = ".complete"
INSTALL_TIMEOUT_S = 600.0


class NodeSdkError(RuntimeError):
    """Node/npm missing, or the pinned SDK could not be installed."""


def default_cache() -> Path:
    return Path.home() / ".cache" / "tastystream" / "npm"


def sdk_version() -> str:
    manifest = json.loads((JS_DIR / "package.json").read_text("utf-8"))
    version: str = manifest["dependencies"]["@tastytrade/api"]
    return version


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise NodeSdkError("Node.js 20+ is required for the JS SDK tests; install nodejs")
    return node


def ensure_sdk(cache: Path | None = None) -> Path:
    """The folder whose ``node_modules`` holds the pinned SDK, installing it once."""
    digest = hashlib.sha256()
    for name in _MANIFESTS:
        digest.update((JS_DIR / name).read_bytes())
    root = (cache or default_cache()) / f"tastytrade-api-{sdk_version()}-{digest.hexdigest()[:12]}"
    if (root / _STAMP).exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with (root.parent / f"{root.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be installing the same version
        if not (root / _STAMP).exists():
            _install(root)
    return root


def _install(root: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise NodeSdkError("npm is required to install Tastytrade's JS SDK; install npm")
    staging = root.with_name(root.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in _MANIFESTS:
        shutil.copyfile(JS_DIR / name, staging / name)
    try:
        result = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise NodeSdkError(f"npm ci did not finish in {INSTALL_TIMEOUT_S:g}s") from exc
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise NodeSdkError("npm ci could not install the JS SDK:\n" + "\n".join(tail))
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
    (root / _STAMP).write_text(sdk_version(), "utf-8")


__all__ = ["SCRIPT", "NodeSdkError", "default_cache", "ensure_sdk", "node_executable"]
