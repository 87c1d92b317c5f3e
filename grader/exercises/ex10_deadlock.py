"""ex10: the scientists eating noodles: two locks, a deadlock, and its two cures.

The eaters are held at a common start (the probe's thread rendezvous) and every ``eat1``
pauses right after each lock it takes, so two separate locks taken in opposite orders
deadlock on every run: an ``eat1`` holds the noodles while an ``eat2`` holds the fork. Who
ate when, and what each eater held, is read from the probe's lock records, not assumed: a
lock's taking is recorded while it is held and its release before it is let go, so the
recorded holding times of one lock never overlap.
"""

from __future__ import annotations

import re
from collections import Counter

from ..authoring import (
    Call,
    Checks,
    Failure,
    Levers,
    Line,
    Rendezvous,
    Run,
    Runs,
    Scenario,
    ThreadInfo,
    t,
    timeline,
)
from ..evidence import lock_name

NAMES = ("张三", "李四", "王五")
DELAY = 0.05
PAUSE = 0.03
EATERS = ("eat1", "eat2")
_ATE = re.compile(r"^(.+)吃面$")
_GRABBED = re.compile(r"^(.+)抢到了(面条|叉子)$")
_LOCK_OF = {"面条": "noodle_lock", "叉子": "fork_lock"}

checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            "main",
            (Call("main", {"names": list(NAMES), "delay": DELAY}),),
            levers=Levers(
                # An eat1 and an eat2 per name, however main waits for them.
                thread_rendezvous=Rendezvous(tuple(EATERS), 2 * len(NAMES)),
                pause_after_acquire={"eat1": PAUSE},
            ),
            # One eater at a time: eat1 sleeps once and pauses after each of its two locks,
            # eat2 sleeps twice.
            floor=len(NAMES) * (3 * DELAY + 2 * PAUSE),
        )
    ]


def meals(run: Run) -> list[tuple[Line, ThreadInfo | None]]:
    """Each ``{name}吃面`` line with the thread that printed it."""
    return printed(run, _ATE)


def printed(run: Run, pattern: re.Pattern[str]) -> list[tuple[Line, ThreadInfo | None]]:
    """Each line matching ``pattern`` with the thread that printed it."""
    found = []
    for line in run.trace.out():
        if pattern.match(line.text.strip()):
            thread = None
            if line.thread is not None:
                thread = run.trace.thread(line.pid, line.thread, line.time)
            found.append((line, thread))
    return found


def eater(thread: ThreadInfo | None, line: Line) -> str:
    if thread:
        return t("thread {thread}", thread=thread.describe())
    return t("a thread (pid {pid})", pid=line.pid)


def meal_end(run: Run, line: Line, thread: ThreadInfo | None) -> float:
    """When a meal ended: the eater's first release of a lock after its 吃面 line (it eats,
    then lets go), or the end of its thread."""
    for event in run.trace.lock_events:
        if (
            event.time > line.time
            and event.action == "rel"
            and (event.pid, event.thread) == (line.pid, line.thread)
        ):
            return event.time
    if thread is not None and thread.ended is not None:
        return thread.ended
    return float("inf")


@checks("program_ends", "main")
def program_ends(runs: Runs) -> Failure | None:
    run = runs["main"]
    call = run.trace.calls[0]
    eaters = [th for th in run.trace.student_threads() if th.role in EATERS]
    if len(eaters) != 2 * len(NAMES):
        return Failure(
            observed=t(
                "{call} started {count} threads running eat1 or eat2",
                call=call.signature(),
                count=len(eaters),
            ),
            expected=t(
                "one thread running eat1 and one running eat2 for each of the {names} names: "
                "{threads} threads",
                names=len(NAMES),
                threads=2 * len(NAMES),
            ),
        )
    running = [th for th in eaters if th.ended is None or (call.ended and th.ended > call.ended)]
    if running:
        return Failure(
            observed=t(
                "main() returned while {threads} still ran",
                threads=", ".join(th.describe() for th in running),
            ),
            expected=t("main() to join every thread it started before it returns"),
        )
    return None


@checks("each_ate_twice", "main")
def each_ate_twice(runs: Runs) -> Failure | None:
    run = runs["main"]
    wanted = Counter({(name, target): 1 for name in NAMES for target in EATERS})
    got = Counter(
        (_ATE.match(line.text.strip())[1], (thread.role if thread else None) or "?")  # type: ignore[index]
        for line, thread in meals(run)
    )
    if got != wanted:
        missing = ", ".join(
            t("{name}吃面 in {target}", name=name, target=target) for (name, target) in wanted - got
        )
        extra = ", ".join(
            t("{name}吃面 in {target}", name=name, target=target) for (name, target) in got - wanted
        )
        names = list(NAMES)
        if missing and extra:
            observed = t(
                "main(names={names!r}) printed these meals: missing: {missing}; unexpected: "
                "{extra}",
                names=names,
                missing=missing,
                extra=extra,
            )
        elif missing:
            observed = t(
                "main(names={names!r}) printed these meals: missing: {missing}",
                names=names,
                missing=missing,
            )
        else:
            observed = t(
                "main(names={names!r}) printed these meals: unexpected: {extra}",
                names=names,
                extra=extra,
            )
        return Failure(
            observed=observed,
            expected=t(
                "each name to eat exactly twice: once in its eat1 thread, once in its eat2 thread"
            ),
            evidence=timeline(run),
        )
    return None


@checks("one_eater_at_a_time", "main")
def one_eater_at_a_time(runs: Runs) -> Failure | None:
    run = runs["main"]
    eaten = meals(run)
    for line, thread in eaten:
        end = meal_end(run, line, thread)
        for other, other_thread in eaten:
            if other is line or (other.pid, other.thread) == (line.pid, line.thread):
                continue
            if line.time < other.time < end:
                fields = {
                    "other_eater": eater(other_thread, other),
                    "other_text": other.text,
                    "other_time": other.time,
                    "eater": eater(thread, line),
                    "text": line.text,
                    "time": line.time,
                }
                return Failure(
                    observed=t(
                        "{other_eater} printed {other_text} at {other_time:.3f}s, while {eater} "
                        "was still eating: it printed {text} at {time:.3f}s and let go of no "
                        "lock until {end:.3f}s",
                        **fields,
                        end=end,
                    )
                    if end < float("inf")
                    else t(
                        "{other_eater} printed {other_text} at {other_time:.3f}s, while {eater} "
                        "was still eating: it printed {text} at {time:.3f}s and let go of no "
                        "lock after that",
                        **fields,
                    ),
                    expected=t("nobody to eat while another is eating"),
                    evidence=timeline(run),
                )
    return None


@checks("held_both", "main")
def held_both(runs: Runs) -> Failure | None:
    run = runs["main"]
    for line, thread in meals(run):
        if thread is None or line.thread is None:
            return Failure(
                observed=t(
                    "{text} was printed by a thread the grader did not see start", text=line.text
                ),
                expected=t("the eaters to be threads started by main"),
            )
        state = run.trace.lock_state(line.time)
        held = set(state.held_by(line.pid, line.thread))
        needed = {
            lock for param, lock in thread.locks.items() if param in ("noodle_lock", "fork_lock")
        }
        if not needed:  # not given as arguments: every lock it takes must be held
            needed = {
                e.lock
                for e in run.trace.lock_events
                if (e.pid, e.thread) == (line.pid, line.thread) and e.action == "acq"
            }
        if not needed or not needed <= held:
            shown = t(" and ").join(
                lock_name(
                    run,
                    line.pid,
                    lock,
                    state.held_as.get((line.pid, lock, line.thread), ()),
                    made=True,
                )
                for lock in sorted(held)
            )
            wanted = t(" and ").join(
                lock_name(
                    run,
                    line.pid,
                    lock,
                    tuple(p for p, x in thread.locks.items() if x == lock),
                    made=True,
                )
                for lock in sorted(needed)
            )
            return Failure(
                observed=t(
                    "thread {thread} printed {text} holding {locks}",
                    thread=thread.describe(),
                    text=line.text,
                    locks=shown,
                )
                if shown
                else t(
                    "thread {thread} printed {text} holding no lock",
                    thread=thread.describe(),
                    text=line.text,
                ),
                expected=t(
                    "an eater to hold {locks} while it eats (from before 吃面 until after its "
                    "sleep)",
                    locks=wanted,
                )
                if wanted
                else t(
                    "an eater to hold the noodles and the fork while it eats (from before 吃面 "
                    "until after its sleep)"
                ),
                evidence=timeline(run),
            )
    return grabbed_without_the_lock(run)


def grabbed_without_the_lock(run: Run) -> Failure | None:
    """Each ``{name}抢到了面条`` / ``抢到了叉子`` line is printed holding the lock it names (the
    catalogue: a fix that changes the order of taking prints the lines in that order)."""
    for line, thread in printed(run, _GRABBED):
        match = _GRABBED.match(line.text.strip())
        if thread is None or line.thread is None or match is None:
            continue  # held_both already failed a thread the grader did not see start
        param = _LOCK_OF[match[2]]
        lock = thread.locks.get(param)
        if lock is None:
            continue  # not given as an argument: nothing to tell it by
        if lock not in run.trace.lock_state(line.time).held_by(line.pid, line.thread):
            return Failure(
                observed=t(
                    "thread {thread} printed {text} without holding {lock}",
                    thread=thread.describe(),
                    text=line.text,
                    lock=param,
                ),
                expected=t(
                    "{name}抢到了{thing} printed once the eater has taken {lock}: the two 抢到了 "
                    "lines in the order the locks are taken",
                    name=match[1],
                    thing=match[2],
                    lock=param,
                ),
                evidence=timeline(run),
            )
    return None
