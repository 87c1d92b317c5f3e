"""The ``threading`` locks of a run replayed from their records: who held and who waited for
which lock at any moment (``Trace.lock_state``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LockInfo:
    """A ``threading`` lock the submission's own code made."""

    pid: int
    id: int
    kind: str
    """``Lock`` or ``RLock``."""
    line: int | None = None
    """The line of the submission that made it."""


@dataclass(frozen=True)
class LockEvent:
    pid: int
    lock: int
    thread: int
    time: float
    action: str
    """``wait`` (it was taken: the thread blocks), ``acq``, ``rel`` or ``gave_up`` (a timeout)."""
    line: int | None = None
    """The submission's line that took it (for ``wait`` and ``acq``)."""
    names: tuple[str, ...] = ()
    """The names it went by at that line (``noodle_lock``)."""


@dataclass
class LockState:
    """Who held and who waited for which lock at one moment."""

    holders: dict[tuple[int, int], dict[int, int]] = field(default_factory=dict)
    """(pid, lock) -> {thread ident: how many times it holds it (an RLock can be held twice)}."""
    held_as: dict[tuple[int, int, int], tuple[str, ...]] = field(default_factory=dict)
    """(pid, lock, thread) -> the names the lock went by where that thread took it."""
    waiting: dict[tuple[int, int], LockEvent] = field(default_factory=dict)
    """(pid, thread) -> the ``wait`` event of the lock it is blocked on."""

    def held_by(self, pid: int, thread: int) -> list[int]:
        """The locks a thread holds, in the order of their ids."""
        return sorted(
            lock for (p, lock), owners in self.holders.items() if p == pid and thread in owners
        )

    def apply(self, event: LockEvent, kind: str) -> None:
        key = (event.pid, event.lock)
        owners = self.holders.setdefault(key, {})
        if event.action == "wait":
            self.waiting[(event.pid, event.thread)] = event
            return
        self.waiting.pop((event.pid, event.thread), None)
        if event.action == "acq":
            owners[event.thread] = owners.get(event.thread, 0) + 1
            self.held_as.setdefault((event.pid, event.lock, event.thread), event.names)
        elif event.action == "rel":
            holder = event.thread
            if holder not in owners and kind == "Lock" and owners:
                holder = next(iter(owners))  # a plain Lock may be released by any thread
            if holder in owners:
                owners[holder] -= 1
                if owners[holder] <= 0:
                    del owners[holder]
                    self.held_as.pop((event.pid, event.lock, holder), None)
