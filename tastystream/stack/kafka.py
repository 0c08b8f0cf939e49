"""The local stack's Kafka: Apache Kafka 4.x, one node, KRaft combined mode, on Java 17.

Jars come from Maven Central through ``mvn dependency:copy-dependencies`` into a cache shared
by every checkout (``~/.cache/tastystream/kafka-<version>``); the storage is formatted once
per data folder; the broker runs with a modest heap and logs to a file.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

logger = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.1"
_STAMP = ".complete"


class KafkaSetupError(RuntimeError):
    """Java, Maven or the Kafka storage could not be prepared."""


@dataclass(frozen=True)
class KafkaConfig:
    data_dir: Path
    cache_dir: Path
    port: int = 9092
    controller_port: int = 9093
    heap: str = "512m"
    host: str = "127.0.0.1"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


def ensure_jars(cache_dir: Path, version: str = KAFKA_VERSION) -> Path:
    """Return the folder holding Kafka's runtime jars, fetching them with Maven once."""
    lib = cache_dir / f"kafka-{version}" / "lib"
    if (lib / _STAMP).exists():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError(
            "Maven (mvn) is required to fetch Kafka's jars; install it (apt-get install maven)"
        )
    work = lib.parent
    work.mkdir(parents=True, exist_ok=True)
    pom = resources.files("tastystream.stack").joinpath("kafka_pom.xml").read_text("utf-8")
    (work / "pom.xml").write_text(pom.replace("@KAFKA_VERSION@", version), "utf-8")
    staging = work / "lib.partial"
    shutil.rmtree(staging, ignore_errors=True)
    logger.info("fetching Kafka %s jars with Maven into %s", version, lib)
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(work / "pom.xml"),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise KafkaSetupError("mvn could not fetch Kafka's jars:\n" + "\n".join(tail))
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    (lib / _STAMP).write_text(version, "utf-8")
    return lib


def java_executable() -> str:
    java = shutil.which("java")
    if java is None:
        raise KafkaSetupError("Java 17+ is required for the local Kafka; install a JDK/JRE 17")
    return java


def server_properties(cfg: KafkaConfig) -> str:
    data = (cfg.data_dir / "data").resolve()
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@{cfg.host}:{cfg.controller_port}",
            f"listeners=PLAINTEXT://{cfg.host}:{cfg.port},CONTROLLER://{cfg.host}:{cfg.controller_port}",
            f"advertised.listeners=PLAINTEXT://{cfg.host}:{cfg.port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={data}",
            "num.partitions=1",
            "default.replication.factor=1",
            "min.insync.replicas=1",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=4",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            "log.cleaner.backoff.ms=500",
            "log.retention.check.interval.ms=30000",
            "",
        ]
    )


def log4j_properties(log_file: Path) -> str:
    return "\n".join(
        [
            "status = warn",
            "appender.file.type = File",
            "appender.file.name = file",
            f"appender.file.fileName = {log_file.resolve()}",
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = [%d] %p %m (%c)%n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.file.ref = file",
            "logger.kafka.name = kafka",
            "logger.kafka.level = warn",
            "logger.apache.name = org.apache.kafka",
            "logger.apache.level = warn",
            "logger.server.name = kafka.server.KafkaRaftServer",
            "logger.server.level = info",
            "",
        ]
    )


def cluster_id() -> str:
    """A Kafka cluster id (URL-safe base64 of 16 random bytes). Like Kafka's own
    ``Uuid.randomUuid`` it never starts with ``-``: the storage tool would read that as a flag."""
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not candidate.startswith("-"):
            return candidate


def prepare(cfg: KafkaConfig) -> list[str]:
    """Fetch jars, write the config, format the storage once; return the broker command."""
    lib = ensure_jars(cfg.cache_dir)
    java = java_executable()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    props = cfg.data_dir / "server.properties"
    props.write_text(server_properties(cfg), "utf-8")
    log4j = cfg.data_dir / "log4j2.properties"
    log4j.write_text(log4j_properties(cfg.data_dir / "server.log"), "utf-8")
    classpath = f"{lib}/*"
    if not (cfg.data_dir / "data" / "meta.properties").exists():
        logger.info("formatting Kafka storage in %s", cfg.data_dir / "data")
        result = subprocess.run(
            [
                java,
                f"-Dlog4j2.configurationFile={log4j}",
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id()}",
                f"--config={props}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise KafkaSetupError(
                f"formatting Kafka storage failed: {result.stdout}{result.stderr}"
            )
    return [
        java,
        f"-Xmx{cfg.heap}",
        f"-Xms{min_heap(cfg.heap)}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        classpath,
        "kafka.Kafka",
        str(props),
    ]


def min_heap(heap: str) -> str:
    """Start with half the max heap (``512m`` → ``256m``) to keep idle memory modest."""
    unit = heap[-1].lower()
    if unit in "kmg" and heap[:-1].isdigit():
        return f"{max(1, int(heap[:-1]) // 2)}{unit}"
    return heap


__all__ = ["KAFKA_VERSION", "KafkaConfig", "KafkaSetupError", "ensure_jars", "prepare"]
