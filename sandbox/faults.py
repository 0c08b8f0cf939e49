"""Fault state the admin API arms and the request path / order engine consume.

* REST failures: the next N REST calls (``/_sandbox`` excluded) answer 429, 500, or hang for a
  number of seconds (past the client's timeout) and then answer 504.
* Ambiguous outcomes: the next N REST calls (optionally only those to one path) take effect at
  once, but their response is held for a number of seconds (``delay``) or never sent — the
  connection closes with no response (``lose``).
* Fill delay: orders that go ``Live`` do not fill for N seconds.
* Rejections: the next N routed orders, or every order in a symbol, are ``Rejected``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

REST_FAULT_KINDS = ("429", "500", "timeout")
RESPONSE_FAULT_KINDS = ("delay", "lose")


@dataclass(frozen=True)
class RestFault:
    kind: str  # "429" | "500" | "timeout"
    hang_seconds: float = 0.0

    @property
    def status(self) -> int:
        return {"429": 429, "500": 500}.get(self.kind, 504)


@dataclass(frozen=True)
class ResponseFault:
    """A fault on the answer, not the request: the request is processed normally."""

    kind: str  # "delay" | "lose"
    seconds: float = 0.0
    path: str | None = None
    """Only requests to exactly this path (e.g. ``/accounts/5WT00001/orders``); ``None``: any."""

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


@dataclass
class Faults:
    fill_delay: float = 0.0
    _rest: list[RestFault] = field(default_factory=list)
    _responses: list[ResponseFault] = field(default_factory=list)
    _reject_next: int = 0
    _reject_reason: str = "Order rejected by the simulated venue"
    _reject_symbols: dict[str, str] = field(default_factory=dict)
    injected: dict[str, int] = field(default_factory=dict)

    def _count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    # ----- REST -----------------------------------------------------------------------------
    def fail_rest(self, count: int, kind: str, hang_seconds: float = 30.0) -> None:
        if kind not in REST_FAULT_KINDS:
            raise ValueError(f"kind must be one of {REST_FAULT_KINDS}")
        self._rest.extend(RestFault(kind, hang_seconds) for _ in range(max(0, count)))
        log.info("armed %d REST fault(s) of kind %s", count, kind)

    def take_rest_fault(self) -> RestFault | None:
        if not self._rest:
            return None
        fault = self._rest.pop(0)
        self._count(f"rest-{fault.kind}")
        return fault

    def pending_rest_faults(self) -> int:
        return len(self._rest)

    def fault_responses(
        self, count: int, kind: str, seconds: float = 0.0, path: str | None = None
    ) -> None:
        """Arm ``count`` response faults of ``kind`` (``delay``/``lose``), optionally per path."""
        if kind not in RESPONSE_FAULT_KINDS:
            raise ValueError(f"kind must be one of {RESPONSE_FAULT_KINDS}")
        self._responses.extend(ResponseFault(kind, seconds, path) for _ in range(max(0, count)))
        log.info("armed %d response fault(s) of kind %s path=%s", count, kind, path or "*")

    def take_response_fault(self, path: str) -> ResponseFault | None:
        """The first armed response fault for ``path`` (consumed), else ``None``."""
        for index, fault in enumerate(self._responses):
            if fault.matches(path):
                del self._responses[index]
                self._count(f"response-{fault.kind}")
                return fault
        return None

    # ----- orders ---------------------------------------------------------------------------
    def reject_orders(
        self, count: int = 0, symbol: str | None = None, reason: str | None = None
    ) -> None:
        text = reason or self._reject_reason
        if symbol:
            self._reject_symbols[symbol] = text
        else:
            self._reject_next += max(0, count)
            self._reject_reason = text

    def clear_rejections(self, symbol: str | None = None) -> None:
        if symbol:
            self._reject_symbols.pop(symbol, None)
        else:
            self._reject_next = 0
            self._reject_symbols.clear()

    def take_reject(self, symbol: str) -> str | None:
        if symbol in self._reject_symbols:
            self._count("reject-symbol")
            return self._reject_symbols[symbol]
        if self._reject_next > 0:
            self._reject_next -= 1
            self._count("reject-next")
            return self._reject_reason
        return None

    def status(self) -> dict[str, object]:
        return {
            "fill-delay": self.fill_delay,
            "pending-rest-faults": [f.kind for f in self._rest],
            "pending-response-faults": [f.kind for f in self._responses],
            "reject-next": self._reject_next,
            "reject-symbols": sorted(self._reject_symbols),
            "injected": dict(self.injected),
        }

    def reset(self) -> None:
        self.fill_delay = 0.0
        self._rest.clear()
        self._responses.clear()
        self.clear_rejections()


__all__ = ["RESPONSE_FAULT_KINDS", "REST_FAULT_KINDS", "Faults", "ResponseFault", "RestFault"]
