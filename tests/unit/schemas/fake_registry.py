"""An in-memory Confluent-style registry served through ``httpx.MockTransport``.

Compatibility is BACKWARD(_TRANSITIVE) only, approximated on record fields: every field the
new schema adds needs a default, and kept fields keep their type.
"""

from __future__ import annotations

import json
from typing import Any

import httpx


def _backward_ok(new: dict[str, Any], old: dict[str, Any]) -> bool:
    old_fields = {f["name"]: f["type"] for f in old["fields"]}
    for field in new["fields"]:
        if field["name"] not in old_fields:
            if "default" not in field:
                return False
        elif old_fields[field["name"]] != field["type"]:
            return False
    return True


class FakeRegistry:
    def __init__(self) -> None:
        self.schemas: dict[int, str] = {}
        self.subjects: dict[str, list[int]] = {}
        self.config: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail_next: list[int] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _id_for(self, text: str) -> int:
        for sid, existing in self.schemas.items():
            if existing == text:
                return sid
        sid = len(self.schemas) + 1
        self.schemas[sid] = text
        return sid

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append((request.method, path))
        if self.fail_next:
            return httpx.Response(self.fail_next.pop(0), json={"error_code": 50001, "message": "x"})
        parts = [httpx.URL("/" + p).path[1:] for p in path.strip("/").split("/")]
        body = json.loads(request.content) if request.content else {}
        if request.method == "PUT" and parts[0] == "config":
            self.config[parts[1]] = body["compatibility"]
            return httpx.Response(200, json={"compatibility": body["compatibility"]})
        if request.method == "GET" and parts[0] == "config":
            level = self.config.get(parts[1], "BACKWARD")
            return httpx.Response(200, json={"compatibilityLevel": level})
        if request.method == "POST" and parts[0] == "subjects" and parts[-1] == "versions":
            subject = parts[1]
            new = json.loads(body["schema"])
            text = json.dumps(new, separators=(",", ":"))
            versions = self.subjects.setdefault(subject, [])
            for sid in versions:
                if self.schemas[sid] == text:
                    return httpx.Response(200, json={"id": sid})
            if not all(_backward_ok(new, json.loads(self.schemas[s])) for s in versions):
                return httpx.Response(
                    409,
                    json={"error_code": 409, "message": "Schema being registered is incompatible"},
                )
            sid = self._id_for(text)
            versions.append(sid)
            return httpx.Response(200, json={"id": sid})
        if request.method == "POST" and parts[0] == "subjects":
            text = json.dumps(json.loads(body["schema"]), separators=(",", ":"))
            for version, sid in enumerate(self.subjects.get(parts[1], []), start=1):
                if self.schemas[sid] == text:
                    return httpx.Response(
                        200,
                        json={"subject": parts[1], "id": sid, "version": version, "schema": text},
                    )
            return httpx.Response(404, json={"error_code": 40403, "message": "Schema not found"})
        if request.method == "GET" and parts[:2] == ["schemas", "ids"]:
            sid = int(parts[2])
            if sid not in self.schemas:
                return httpx.Response(
                    404, json={"error_code": 40403, "message": "Schema not found"}
                )
            return httpx.Response(200, json={"schema": self.schemas[sid]})
        if request.method == "GET" and parts[0] == "subjects" and parts[-1] == "latest":
            versions = self.subjects.get(parts[1], [])
            if not versions:
                return httpx.Response(
                    404, json={"error_code": 40401, "message": "Subject not found"}
                )
            sid = versions[-1]
            return httpx.Response(
                200,
                json={
                    "subject": parts[1],
                    "id": sid,
                    "version": len(versions),
                    "schema": self.schemas[sid],
                },
            )
        if request.method == "POST" and parts[0] == "compatibility":
            versions = self.subjects.get(parts[2], [])
            if not versions:
                return httpx.Response(
                    404, json={"error_code": 40401, "message": "Subject not found"}
                )
            new = json.loads(body["schema"])
            ok = all(_backward_ok(new, json.loads(self.schemas[s])) for s in versions)
            return httpx.Response(200, json={"is_compatible": ok})
        return httpx.Response(404, json={"error_code": 404, "message": f"no route {path}"})
