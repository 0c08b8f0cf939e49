"""The embedded local stack: Kafka (KRaft), a Confluent-compatible schema registry, ClickHouse."""

from tastystream.stack.manager import (
    SERVICES,
    LocalStack,
    ServiceState,
    ServiceStatus,
    StackConfig,
    StackError,
)

__all__ = ["SERVICES", "LocalStack", "ServiceState", "ServiceStatus", "StackConfig", "StackError"]
