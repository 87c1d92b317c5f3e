"""What a graded run did, read back from the records the probe wrote: the model (``model``),
the replay of its ``threading`` locks (``locks``) and the reader of the records (``parse``)."""

from .locks import LockEvent, LockInfo, LockState
from .model import (
    CallResult,
    DbConnection,
    DbEvent,
    Line,
    ProcessInfo,
    QueueEvent,
    ThreadInfo,
    Trace,
)
from .parse import parse_trace

__all__ = [
    "CallResult",
    "DbConnection",
    "DbEvent",
    "Line",
    "LockEvent",
    "LockInfo",
    "LockState",
    "ProcessInfo",
    "QueueEvent",
    "ThreadInfo",
    "Trace",
    "parse_trace",
]
