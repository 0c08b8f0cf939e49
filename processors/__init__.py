"""Stream processors and the order executor (``tt.cmd.approved.v1`` → REST → results).

So far: the command model (:mod:`processors.commands`), its records (:mod:`processors.records`),
the idempotent executor (:mod:`processors.execution`) and its Kafka service
(:mod:`processors.executor`, ``python -m processors.executor``).
"""

from processors.commands import Invalid, OrderCommand, Problem, parse_command
from processors.execution import ExecutionPolicy, OrderExecutor
from processors.executor_config import ExecutorSettings
from processors.records import STATUSES, command_record, order_record, result_record

__all__ = [
    "STATUSES",
    "ExecutionPolicy",
    "ExecutorSettings",
    "Invalid",
    "OrderCommand",
    "OrderExecutor",
    "Problem",
    "command_record",
    "order_record",
    "parse_command",
    "result_record",
]
