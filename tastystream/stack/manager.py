"""`tastystream stack up|down|status`: Kafka, the schema registry and ClickHouse on 127.0.0.1.

Each service is a supervised process with a pid file (pid + start time) and a log under the
stack folder. ``up`` is idempotent and waits for health; a service that dies while starting
is reported with the tail of its log; ``down`` stops exactly what the pid files name and
leaves the data.

ClickHouse gets a password: a fixed one (``CLICKHOUSE_PASSWORD``) or one generated on the first
``up`` and kept in ``<dir>/clickhouse.password`` (mode 0600), where the CLI, the pipeline, the
demo and the tests read it. It reaches the server through its environment, never its command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import httpx

from tastystream.settings import CLICKHOUSE_PASSWORD_FILE, StackSettings, read_password_file
from tastystream.stack import process
from tastystream.stack.kafka import KafkaConfig, prepare

logger = logging.getLogger(__name__)

#: how long a port may stay held after its process died before `up` refuses it (seconds)
PORT_GRACE_S = 3.0
SERVICES: tuple[str, ...] = ("kafka", "registry", "clickhouse")


class StackError(RuntimeError):
    """A service could not be brought up: one line with the reason and what to do (a service's
    log tail, when there is one, is logged before it is raised)."""


class ServiceState(StrEnum):
    RUNNING = "running"
    STARTING = "starting"  # process alive, health check failing
    STOPPED = "stopped"
    CRASHED = "crashed"  # pid file left behind by a process that is gone


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: ServiceState
    address: str
    pid: int | None
    log_file: Path
    detail: str = ""


@dataclass(frozen=True)
class StackConfig:
    dir: Path = Path(".stack")
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "tastystream")
    host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    registry_port: int = 8081
    clickhouse_port: int = 8123
    kafka_heap: str = "512m"
    start_timeout_s: float = 120.0
    # a fixed ClickHouse password; "" = generated on the first `up`, kept in the folder
    clickhouse_password: str = field(default="", repr=False)
    clickhouse_allow: tuple[str, ...] = ()  # table functions/engines reaching outside
    allowed_origins: tuple[str, ...] = ()  # web origins the HTTP services accept

    @classmethod
    def from_settings(
        cls,
        settings: StackSettings,
        *,
        directory: Path | None = None,
        clickhouse_password: str = "",
    ) -> StackConfig:
        """The stack the ``STACK_*`` settings describe (``directory`` overrides ``STACK_DIR``)."""
        return cls(
            dir=directory or settings.dir,
            kafka_port=settings.kafka_port,
            kafka_controller_port=settings.kafka_controller_port,
            registry_port=settings.registry_port,
            clickhouse_port=settings.clickhouse_port,
            kafka_heap=settings.kafka_heap,
            start_timeout_s=settings.start_timeout_s,
            clickhouse_password=clickhouse_password,
            clickhouse_allow=settings.clickhouse_allow,
            allowed_origins=settings.allowed_origins,
        )

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def registry_url(self) -> str:
        return f"http://{self.host}:{self.registry_port}"

    @property
    def clickhouse_url(self) -> str:
        return f"http://{self.host}:{self.clickhouse_port}"

    @property
    def clickhouse_password_file(self) -> Path:
        return self.dir / CLICKHOUSE_PASSWORD_FILE


@dataclass(frozen=True)
class _Service:
    name: str
    address: str
    command: Callable[[], list[str]]
    health: Callable[[], Awaitable[bool]]
    env: Callable[[], dict[str, str]] | None = None  # secrets, computed when it starts
    ports: tuple[tuple[int, str], ...] = ()  # (port, the setting that chooses it) it binds


class LocalStack:
    """The embedded local stack under one folder."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.dir = config.dir.resolve()

    # ----------------------------------------------------------------- paths
    def log_file(self, name: str) -> Path:
        return self.dir / "logs" / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        return self.dir / "run" / f"{name}.pid"

    @property
    def password_file(self) -> Path:
        return self.dir / CLICKHOUSE_PASSWORD_FILE

    # ------------------------------------------------------------- password
    def clickhouse_password(self) -> str:
        """The password ClickHouse runs with: the fixed one, else the stored one ("" if none)."""
        return self.config.clickhouse_password or read_password_file(self.password_file)

    def ensure_clickhouse_password(self) -> str:
        """The password to start ClickHouse with; generated and stored (0600) the first time."""
        if self.config.clickhouse_password:
            return self.config.clickhouse_password
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            os.chmod(self.password_file, 0o600)  # tighten a copied or hand-made file
            stored = read_password_file(self.password_file)
            if stored:
                return stored
            raise StackError(
                f"{self.password_file} is empty: delete it to generate a new one"
            ) from None
        password = secrets.token_urlsafe(24)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password + "\n")
        logger.info("generated the ClickHouse password in %s", self.password_file)
        return password

    # -------------------------------------------------------------- services
    def _services(self) -> dict[str, _Service]:
        c = self.config
        kafka_cfg = KafkaConfig(
            data_dir=self.dir / "kafka",
            cache_dir=c.cache_dir,
            port=c.kafka_port,
            controller_port=c.kafka_controller_port,
            heap=c.kafka_heap,
            host=c.host,
        )
        py = sys.executable
        return {
            "kafka": _Service(
                "kafka",
                c.kafka_bootstrap,
                lambda: prepare(kafka_cfg),
                self._kafka_healthy,
                ports=(
                    (c.kafka_port, "STACK_KAFKA_PORT"),
                    (c.kafka_controller_port, "STACK_KAFKA_CONTROLLER_PORT"),
                ),
            ),
            "registry": _Service(
                "registry",
                c.registry_url,
                lambda: [
                    py,
                    "-m",
                    "tastystream.stack.registry",
                    "--host",
                    c.host,
                    "--port",
                    str(c.registry_port),
                    "--bootstrap",
                    c.kafka_bootstrap,
                    "--allowed-origins",
                    ",".join(c.allowed_origins),
                ],
                self._registry_healthy,
                ports=((c.registry_port, "STACK_REGISTRY_PORT"),),
            ),
            "clickhouse": _Service(
                "clickhouse",
                c.clickhouse_url,
                lambda: [
                    py,
                    "-m",
                    "tastystream.stack.clickhouse",
                    "--host",
                    c.host,
                    "--port",
                    str(c.clickhouse_port),
                    "--path",
                    str(self.dir / "clickhouse"),
                    "--allow",
                    ",".join(c.clickhouse_allow),
                    "--allowed-origins",
                    ",".join(c.allowed_origins),
                ],
                self._clickhouse_healthy,
                lambda: {"CLICKHOUSE_PASSWORD": self.ensure_clickhouse_password()},
                ports=((c.clickhouse_port, "STACK_CLICKHOUSE_PORT"),),
            ),
        }

    async def _kafka_healthy(self) -> bool:
        from aiokafka.client import AIOKafkaClient

        try:  # a plain TCP probe first, so a closed port is not logged as an aiokafka error
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(self.config.host, self.config.kafka_port), 2
            )
            writer.close()
        except (OSError, TimeoutError):
            return False
        client = AIOKafkaClient(
            bootstrap_servers=self.config.kafka_bootstrap, request_timeout_ms=3000
        )
        try:
            await asyncio.wait_for(client.bootstrap(), 5)
            return bool(client.cluster.brokers())
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):
                await client.close()

    async def _registry_healthy(self) -> bool:
        return await _http_ok(
            f"{self.config.registry_url}/subjects", lambda r: r.status_code == 200
        )

    async def _clickhouse_healthy(self) -> bool:
        return await _http_ok(
            f"{self.config.clickhouse_url}/ping", lambda r: r.text.startswith("Ok.")
        )

    # ---------------------------------------------------------------- status
    async def status(self, names: Sequence[str] = SERVICES) -> list[ServiceStatus]:
        services = self._services()
        return list(await asyncio.gather(*(self._status_of(services[n]) for n in names)))

    async def _status_of(self, svc: _Service) -> ServiceStatus:
        record = process.PidRecord.read(self.pid_file(svc.name))
        log = self.log_file(svc.name)
        if record is None:
            return ServiceStatus(svc.name, ServiceState.STOPPED, svc.address, None, log)
        if not process.is_alive(record):
            return ServiceStatus(
                svc.name,
                ServiceState.CRASHED,
                svc.address,
                record.pid,
                log,
                detail=f"process {record.pid} is gone; last log lines:\n{process.tail(log, 8)}",
            )
        healthy = await svc.health()
        state = ServiceState.RUNNING if healthy else ServiceState.STARTING
        return ServiceStatus(svc.name, state, svc.address, record.pid, log)

    # -------------------------------------------------------------------- up
    async def up(self, names: Sequence[str] = SERVICES) -> list[ServiceStatus]:
        """Start what is not running and wait until every named service is healthy."""
        unknown = set(names) - set(SERVICES)
        if unknown:
            raise StackError(f"unknown services: {', '.join(sorted(unknown))}")
        services = self._services()
        order = [n for n in SERVICES if n in names]
        for name in order:  # a taken port fails the whole `up` before anything starts
            current = await self._status_of(services[name])
            if current.state in (ServiceState.STOPPED, ServiceState.CRASHED):
                await self._check_ports_free(services[name])
        first = [n for n in order if n != "registry"]
        # each finishes (no half-cancelled health checks); then the first failure is raised
        results = await asyncio.gather(
            *(self._ensure(services[n]) for n in first), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        if "registry" in order:
            await self._ensure(services["registry"])
        return await self.status(order)

    async def _ensure(self, svc: _Service) -> None:
        current = await self._status_of(svc)
        if current.state is ServiceState.RUNNING:
            logger.info("%s already running (pid %s) at %s", svc.name, current.pid, svc.address)
            return
        if current.state is ServiceState.STARTING:
            record = process.PidRecord.read(self.pid_file(svc.name))
            assert record is not None
        else:
            self.pid_file(svc.name).unlink(missing_ok=True)
            await self._check_ports_free(svc)
            try:
                command = await asyncio.to_thread(svc.command)
                env = svc.env() if svc.env is not None else None
            except StackError:
                raise
            except Exception as exc:
                reason = str(exc).strip().splitlines()
                raise StackError(
                    f"{svc.name}: cannot prepare: {reason[0] if reason else type(exc).__name__}"
                ) from exc
            log = self.log_file(svc.name)
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a") as fh:
                fh.write(f"\n--- starting {svc.name} at {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n")
            record = process.spawn(
                command, log_file=log, pid_file=self.pid_file(svc.name), cwd=self.dir, extra_env=env
            )
            logger.info("%s starting (pid %d)", svc.name, record.pid)
        await self._wait_healthy(svc, record)

    async def _wait_healthy(self, svc: _Service, record: process.PidRecord) -> None:
        deadline = time.monotonic() + self.config.start_timeout_s
        while time.monotonic() < deadline:
            if not process.is_alive(record):
                self.pid_file(svc.name).unlink(missing_ok=True)
                self._log_tail(svc)
                raise StackError(
                    f"{svc.name} exited while starting — see its log {self.log_file(svc.name)}"
                )
            if await svc.health():
                logger.info("%s healthy at %s", svc.name, svc.address)
                return
            await asyncio.sleep(0.25)
        process.stop(record)
        self.pid_file(svc.name).unlink(missing_ok=True)
        self._log_tail(svc)
        raise StackError(
            f"{svc.name} not healthy after {self.config.start_timeout_s:.0f}s, stopped it"
            f" — see its log {self.log_file(svc.name)} (STACK_START_TIMEOUT_S sets the wait)"
        )

    def _log_tail(self, svc: _Service) -> None:
        tail = process.tail(self.log_file(svc.name))
        if tail:
            logger.warning("%s: last log lines:\n%s", svc.name, tail)

    async def _check_ports_free(self, svc: _Service, grace_s: float = PORT_GRACE_S) -> None:
        """Refuse to start a service whose port another process holds (it would die binding).

        A port still held ``grace_s`` after asking is refused: a process that has just died
        (killed, crashed) is gone to ``status`` a moment before the kernel frees its socket."""
        for port, variable in svc.ports:
            deadline = time.monotonic() + grace_s
            while not _port_free(self.config.host, port):
                if time.monotonic() >= deadline:
                    raise StackError(
                        f"port {port} ({variable}) on {self.config.host} is in use by another"
                        f" process — stop that process or set {variable} to a free port"
                        f" (the {svc.name} service binds it)"
                    )
                await asyncio.sleep(0.1)

    # ------------------------------------------------------------------ down
    def down(self, names: Sequence[str] = SERVICES) -> list[str]:
        """Stop the named services (reverse order) by pid; returns the ones that were running."""
        stopped: list[str] = []
        for name in reversed([n for n in SERVICES if n in names]):
            pid_file = self.pid_file(name)
            record = process.PidRecord.read(pid_file)
            if record is not None and process.stop(record):
                stopped.append(name)
                logger.info("%s stopped (pid %d)", name, record.pid)
            pid_file.unlink(missing_ok=True)
        return stopped


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "in use"
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


async def _http_ok(url: str, check: Callable[[httpx.Response], bool]) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return check(await client.get(url))
    except httpx.HTTPError:
        return False


__all__ = ["SERVICES", "LocalStack", "ServiceState", "ServiceStatus", "StackConfig", "StackError"]
