"""ex05: the bounded queue, in one process.

Each function is called on a queue the harness makes for the call (``harness.made_object``):
empty, full, holding items put right before the call, or changing while the call waits (a
helper thread puts an item, or takes one to make room, a moment after the call has started).
Items that arrive while the call runs stand for what ``multiprocessing.Queue`` does after every
``put()``: its feeder thread sends the item through a pipe a little later, so a ``drain`` or
``take`` that trusts ``empty()`` or ``get_nowait()`` misses them on every run, not only when the
feeder happens to be slow. The harness times each call and measures the CPU it used, so a call
that gives up early, overstays its timeout or spins while it waits is seen on every run.

The exercise starts no process, so it is graded once, under the platform's default start
method: the other two would only triple the time and could not change a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..authoring import Call, CallResult, Checks, Failure, QueueArg, Run, Runs, Scenario, raised, t

WAIT = 0.4
"""The timeout of a call that must wait it out: nothing comes, no room appears."""
LONG = 0.8
"""The timeout of a call during which the item (or the room) arrives."""
SOON = 0.1
"""When that item or room arrives, seconds after the call started."""
EARLY = 0.8
"""A call that returns before this share of its timeout gave up early."""
SLACK = 0.75
"""Seconds a call may take past the moment it should return (a busy machine is slow to wake)."""
PROMPT = 0.5
"""A call waiting for an item or room that arrives at ``SOON`` must return within this."""
SPIN_SHARE = 0.05
SPIN_FLOOR = 0.01
"""A call spins when its CPU time exceeds ``SPIN_FLOOR + SPIN_SHARE * duration``. Measured: a
call that waits inside ``put()`` or ``get()`` uses 3 ms at most (ratio under 0.01), one that
polls with a 5 ms sleep 10 ms (0.02); a loop that keeps trying got at least 0.19 of a core
with the machine's load average at 25 on 2 cores, and far more on a merely busy machine."""
TRICKLE = 0.05
"""Seconds between the items a helper thread puts while ``drain`` runs."""


@dataclass(frozen=True)
class Step:
    """A call and what a right program does in it."""

    call: Call
    value: Any
    """What it returns (tuples as lists: the value comes back as JSON)."""
    at_least: float = 0.0
    """Seconds it must wait before returning (its timeout, when nothing can come)."""
    at_most: float | None = None
    """Seconds within which it must have returned."""
    why: str = ""
    """Why that is the right value and timing, for the message."""


def _offer(q: QueueArg, items: list[Any]) -> Call:
    return Call("offer_all", {"q": q, "items": items})


def steps() -> dict[str, tuple[Step, ...]]:
    """Each scenario's calls and what a right program does in each, in the current language
    (the queues' descriptions are sent with the calls, so they are made at grading time)."""
    return {
        "offer": (
            Step(
                _offer(
                    QueueArg("a", 3, t("an empty Queue(3)")),
                    ["helloworld1", 2, "helloworld3", [4, "four"], "helloworld5"],
                ),
                [[4, "four"], "helloworld5"],
                why=t("the first three fit, the last two do not"),
            ),
            Step(
                _offer(QueueArg("a", 3, t("that Queue(3), now full")), ["helloworld6"]),
                ["helloworld6"],
                why=t("the queue is full"),
            ),
            Step(
                _offer(QueueArg("b", 2, t("an empty Queue(2)")), ["x1"]),
                [],
                why=t("there is room for it"),
            ),
            Step(
                _offer(QueueArg("b", 2, t("that Queue(2), holding 1 item")), ["x2", "x3", "x4"]),
                ["x3", "x4"],
                why=t("only one more fits"),
            ),
        ),
        "fifo": (
            *(
                Step(
                    Call(
                        "take",
                        {
                            "q": QueueArg(
                                "c",
                                5,
                                t("a Queue(5) into which 'first' to 'fourth' were just put"),
                                put=("first", "second", "third", "fourth"),
                            ),
                            "timeout": LONG,
                        },
                    ),
                    item,
                    why=t(
                        "first in, first out; right after put() an item may still be on its way, "
                        "so wait for it"
                    ),
                )
                for item in ("first", "second", "third")
            ),
            Step(
                Call(
                    "put_within",
                    {"q": QueueArg("c", 5, t("that Queue(5)")), "item": "fifth", "timeout": LONG},
                ),
                True,
                why=t("there is room"),
            ),
            *(
                Step(
                    Call("take", {"q": QueueArg("c", 5, t("that Queue(5)")), "timeout": LONG}),
                    item,
                    why=t("first in, first out"),
                )
                for item in ("fourth", "fifth")
            ),
        ),
        "put_within": (
            Step(
                Call(
                    "put_within",
                    {
                        "q": QueueArg("d", 2, t("a full Queue(2)"), put=("p1", "p2")),
                        "item": "p3",
                        "timeout": WAIT,
                    },
                ),
                False,
                at_least=WAIT * EARLY,
                at_most=WAIT + SLACK,
                why=t("no room appears: it waits the whole {wait:g} s, then gives up", wait=WAIT),
            ),
            Step(
                Call(
                    "put_within",
                    {
                        "q": QueueArg("e", 2, t("a Queue(2) holding 1 item"), put=("r1",)),
                        "item": "r2",
                        "timeout": WAIT,
                    },
                ),
                True,
                at_most=WAIT + SLACK,
                why=t("there is room"),
            ),
            Step(
                Call(
                    "put_within",
                    {
                        "q": QueueArg(
                            "f",
                            1,
                            t(
                                "a full Queue(1) from which another thread takes an item after "
                                "{soon:g} s",
                                soon=SOON,
                            ),
                            put=("s1",),
                            get_after=SOON,
                        ),
                        "item": "s2",
                        "timeout": LONG,
                    },
                ),
                True,
                at_most=PROMPT,
                why=t(
                    "room appears after {soon:g} s, well within the timeout: the item goes in then",
                    soon=SOON,
                ),
            ),
        ),
        "take": (
            Step(
                Call("take", {"q": QueueArg("g", 3, t("an empty Queue(3)")), "timeout": WAIT}),
                None,
                at_least=WAIT * EARLY,
                at_most=WAIT + SLACK,
                why=t(
                    "nothing arrives: it waits the whole {wait:g} s, then returns None", wait=WAIT
                ),
            ),
            Step(
                Call(
                    "take",
                    {
                        "q": QueueArg(
                            "h",
                            3,
                            t(
                                "an empty Queue(3) into which another thread puts 't1' after "
                                "{soon:g} s",
                                soon=SOON,
                            ),
                            put=("t1",),
                            every=SOON,
                        ),
                        "timeout": LONG,
                    },
                ),
                "t1",
                at_most=PROMPT,
                why=t(
                    "'t1' arrives after {soon:g} s, well within the timeout: it returns it then",
                    soon=SOON,
                ),
            ),
            Step(
                Call(
                    "take",
                    {
                        "q": QueueArg(
                            "i",
                            3,
                            t("a Queue(3) into which 'u1', 'u2' were just put"),
                            put=("u1", "u2"),
                        ),
                        "timeout": LONG,
                    },
                ),
                "u1",
                at_most=PROMPT,
                why=t(
                    "'u1' was put first; right after put() it may still be on its way, so wait "
                    "for it"
                ),
            ),
        ),
        "drain": (
            Step(
                Call(
                    "drain",
                    {
                        "q": QueueArg(
                            "j",
                            8,
                            t("a Queue(8) into which 6 items were just put"),
                            put=("d1", "d2", "d3", "d4", "d5", "d6"),
                        )
                    },
                ),
                ["d1", "d2", "d3", "d4", "d5", "d6"],
                at_most=0.1 + SLACK,
                why=t("all six, in order: right after put() they may still be on their way"),
            ),
            Step(
                Call(
                    "drain",
                    {
                        "q": QueueArg(
                            "k",
                            8,
                            t(
                                "an empty Queue(8) into which another thread puts 'e1' to 'e4', "
                                "one every {trickle:g} s",
                                trickle=TRICKLE,
                            ),
                            put=("e1", "e2", "e3", "e4"),
                            every=TRICKLE,
                        ),
                        "timeout": 0.3,
                    },
                ),
                ["e1", "e2", "e3", "e4"],
                at_most=4 * TRICKLE + 0.3 + SLACK,
                why=t(
                    "each item comes {trickle:g} s after the one before, well within the timeout",
                    trickle=TRICKLE,
                ),
            ),
            Step(
                Call("drain", {"q": QueueArg("l", 3, t("an empty Queue(3)")), "timeout": 0.2}),
                [],
                at_least=0.2 * EARLY,
                at_most=0.2 + SLACK,
                why=t("nothing arrives: it waits 0.2 s for a first item, then stops"),
            ),
        ),
    }


checks = Checks()


def scenarios() -> list[Scenario]:
    return [
        *(
            Scenario(
                name,
                tuple(step.call for step in plan),
                floor=sum(step.at_least for step in plan),
            )
            for name, plan in steps().items()
        ),
        Scenario("demo", (Call("main"),)),
    ]


def judge(run: Run, name: str) -> Failure | None:
    """The first call of the run that returned the wrong value or at the wrong moment."""
    for step, call in zip(steps()[name], run.trace.calls, strict=False):
        failure = judge_call(step, call)
        if failure is not None:
            return failure
    return None


def judge_call(step: Step, call: CallResult) -> Failure | None:
    took = call.duration if call.duration is not None else 0.0
    fields = {"call": call.signature(), "value": call.value, "took": took}
    why = {"expected": step.value, "why": step.why}
    if call.value != step.value:
        return Failure(
            observed=t("{call} returned {value!r} after {took:.3f} s", **fields),
            expected=t("{expected!r}: {why}", **why),
        )
    if took < step.at_least:
        return Failure(
            observed=t("{call} returned {value!r} after {took:.3f} s: it gave up early", **fields),
            expected=t("{expected!r} only after waiting: {why}", **why),
        )
    if step.at_most is not None and took > step.at_most:
        return Failure(
            observed=t("{call} returned {value!r} after {took:.3f} s: it kept waiting", **fields),
            expected=t("{expected!r} within {at_most:g} s: {why}", **why, at_most=step.at_most),
        )
    return None


@checks("fifo", "fifo", "demo", expect_raise=True)
def fifo(runs: Runs) -> Failure | None:
    for call in runs["fifo"].trace.calls:
        if call.error is not None:
            return raised(runs["fifo"], call)
    demo = runs["demo"]
    call = demo.trace.calls[0]
    if call.error is not None and call.error.get("type") != "NotImplementedError":
        # qsize() raises NotImplementedError on macOS; anything else is the program's own.
        return raised(demo, call)
    return judge(runs["fifo"], "fifo")


@checks("overflow_rejected", "offer")
def overflow_rejected(runs: Runs) -> Failure | None:
    return judge(runs["offer"], "offer")


@checks("put_within_timeout", "put_within")
def put_within_timeout(runs: Runs) -> Failure | None:
    return judge(runs["put_within"], "put_within")


@checks("take_timeout", "take")
def take_timeout(runs: Runs) -> Failure | None:
    return judge(runs["take"], "take")


@checks("drain_everything", "drain")
def drain_everything(runs: Runs) -> Failure | None:
    return judge(runs["drain"], "drain")


@checks("no_busy_wait", "put_within", "take", "drain")
def no_busy_wait(runs: Runs) -> Failure | None:
    for run in runs.values():
        for call in run.trace.calls:
            if call.cpu is None or call.duration is None:
                continue
            if call.cpu > SPIN_FLOOR + SPIN_SHARE * call.duration:
                return Failure(
                    observed=t(
                        "{call} used {cpu:.3f} s of CPU time in {duration:.3f} s: it kept the "
                        "processor busy while it waited",
                        call=call.signature(),
                        cpu=call.cpu,
                        duration=call.duration,
                    ),
                    expected=t(
                        "a wait that sleeps inside put() or get() (a few ms of CPU at most)"
                    ),
                )
    return None
