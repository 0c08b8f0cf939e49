"""The JS SDK's on-demand install: reused once complete, a clear error without npm."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.third_party import node_sdk


def _no_npm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)


def test_a_completed_install_is_reused_without_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_npm(monkeypatch)
    with pytest.raises(node_sdk.NodeSdkError, match="npm is required"):
        node_sdk.ensure_sdk(tmp_path)
    (partial,) = tmp_path.glob("tastytrade-api-*")  # only the lock file: nothing half-installed
    assert partial.name.endswith(".lock")
    root = tmp_path / partial.name.removesuffix(".lock")
    root.mkdir()
    (root / ".complete").write_text(node_sdk.sdk_version())
    assert node_sdk.ensure_sdk(tmp_path) == root
    assert root.name.startswith(f"tastytrade-api-{node_sdk.sdk_version()}-")


def test_the_sdk_version_is_pinned_exactly() -> None:
    version = node_sdk.sdk_version()
    assert version == "7.0.2"
    lock = (node_sdk.JS_DIR / "package-lock.json").read_text("utf-8")
    assert '"node_modules/@tastytrade/api": {\n      "version": "7.0.2"' in lock
