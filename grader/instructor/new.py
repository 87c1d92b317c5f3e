"""``python -m grader new exNN_name``: write the whole skeleton of a new exercise.

It appends the catalogue entry (``grader/catalogue.toml``, with placeholders to fill) and
writes the stub (``exercises/``), the solution (``solutions/``), the grader module
(``grader/exercises/``: one scenario and one check to copy), a first mistake
(``tests/fixtures/exNN_name/``) and a test file (``tests/``). The skeleton grades as it is (the
solution earns full marks, the stub none, the mistake loses its check); ``nox -s check`` then
names what is left to fill. It refuses a name that is taken. See docs/authoring.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from ..catalogue import load_catalogue
from ..formats.project import KIT_ROOT

NAME = re.compile(r"^ex(\d{2})_[a-z][a-z0-9_]*$")
PLACEHOLDER = "TODO(instructor)"
"""Marks every text of the skeleton an instructor must write; ``nox -s check`` lists them."""
FIRST_MISTAKE = "forgets_one"

CATALOGUE_ENTRY = """
[[exercise]]
id = "{id}"
title = "{placeholder}: the topic in English"
title_zh = "{placeholder}: 中文标题"
timeout = 4.0
start_methods = ["fork", "spawn", "forkserver"]
api = [
    "task(i)",
    "main(n=3)",
]

[[exercise.check]]
name = "each_task_once"
points = 10
summary = "{placeholder}: Each task i in 1..n prints 任务i完成 once, from its own child process."
hint = "{placeholder}: a first hint that names the idea, not the code."
hint2 = "{placeholder}: a second, more direct hint."
summary_zh = "{placeholder}：用中文写同一个检查。"
hint_zh = "{placeholder}：第一条提示。"
hint2_zh = "{placeholder}：第二条，更直接的提示。"
"""

STUB = '''"""Exercise {number}: {placeholder} the topic (中文主题).

{placeholder}: what the student does, in English: the lesson's idea, what the program does
now, what to change.

{placeholder}：用中文说明同样的内容。

Run the lesson's demo:  python exercises/{id}.py
Grade this exercise:    nox -s grade -- {number}
"""

from multiprocessing import Process  # noqa: F401 (yours to use 供你使用)


# Do not change the signature or the printed line. 不要修改函数签名和打印内容。
def task(i):
    print(f"任务{{i}}完成", flush=True)


# Do not change the signature. 不要修改函数签名。
def main(n=3):
    # TODO: run task(i) in its own process for every i in 1..n, all started, then all joined.
    # TODO: 为 1..n 中的每个 i 启动一个进程运行 task(i)，全部启动后再全部 join。
    raise NotImplementedError


if __name__ == "__main__":
    main()
'''

SOLUTION = '''"""Exercise {number}: {placeholder} the topic. Reference solution."""

from multiprocessing import Process


def task(i):
    print(f"任务{{i}}完成", flush=True)


def main(n=3):
    processes = [Process(target=task, args=(i,)) for i in range(1, n + 1)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()


if __name__ == "__main__":
    main()
'''

FIXTURE = '''# expect: fails each_task_once
"""Starts one process too few: task n never runs."""

from multiprocessing import Process


def task(i):
    print(f"任务{{i}}完成", flush=True)


def main(n=3):
    processes = [Process(target=task, args=(i,)) for i in range(1, n)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()


if __name__ == "__main__":
    main()
'''

GRADER_MODULE = '''"""{id}: {placeholder} what the checks see, and which lever makes
each mistake show on every run (docs/authoring.md)."""

from __future__ import annotations

import re

from ..authoring import Call, Checks, Failure, Runs, Scenario, t, timeline

CASES = {{"three": 3, "five": 5}}
"""Scenario name: the n main is called with (more than one, so nothing right by accident)."""

_DONE = re.compile(r"^任务(\\d+)完成$")

checks = Checks()


def scenarios() -> list[Scenario]:
    return [Scenario(name, (Call("main", {{"n": n}}),)) for name, n in CASES.items()]


@checks("each_task_once", *CASES)
def each_task_once(runs: Runs) -> Failure | None:
    for name, run in runs.items():
        n = CASES[name]
        done = sorted(
            (int(match[1]), line.pid)
            for line in run.trace.out()
            if (match := _DONE.match(line.text.strip()))
        )
        children = {{p.pid for p in run.trace.children("task")}}
        wanted = list(range(1, n + 1))
        if [i for i, _ in done] != wanted or not {{pid for _, pid in done}} <= children:
            return Failure(
                observed=t(
                    "main(n={{n}}) printed 任务i完成 for: {{tasks}}",
                    n=n,
                    tasks=", ".join(str(i) for i, _ in done) or "-",
                ),
                expected=t(
                    "任务i完成 once for every i in 1..{{n}}, each from a child process running task",
                    n=n,
                ),
                evidence=timeline(run),
            )
    return None
'''

TRANSLATIONS = """# Chinese (中文) for the messages of grader/exercises/{id}.py: each key is the whole
# English template the module passes to t("...", field=value); fields in {{braces}} stay as they
# are. `nox -s check` names a message without its Chinese.

["{id}"]
"main(n={{n}}) printed 任务i完成 for: {{tasks}}" = "main(n={{n}}) 打印了这些任务的 任务i完成：{{tasks}}"
"任务i完成 once for every i in 1..{{n}}, each from a child process running task" = "1..{{n}} 里的每个 i 都打印一次 任务i完成，各自来自运行 task 的子进程"
"""

TEST = '''"""{id}: {placeholder} the behaviour these tests pin down."""

from __future__ import annotations

from tests.conftest import GradeVariant, assert_loses_points, failed_checks

EXERCISE = "{id}"


def test_solution_earns_full_marks(grade_variant: GradeVariant) -> None:
    """The reference solution earns every point under every start method."""
    result = grade_variant(EXERCISE, "solution")
    assert failed_checks(result) == set(), [c.message for c in result.checks]


def test_stub_scores_nothing(grade_variant: GradeVariant) -> None:
    """The untouched stub earns 0."""
    assert grade_variant(EXERCISE, "stub").score == 0


def test_{mistake}_loses_its_check(grade_variant: GradeVariant) -> None:
    """A program that starts one process too few fails each_task_once."""
    assert_loses_points(grade_variant(EXERCISE, "{mistake}", ["fork"]), {{"each_task_once"}})
'''


def paths(exercise_id: str, root: Path = KIT_ROOT) -> dict[str, Path]:
    """What ``new`` writes, by what it is."""
    return {
        "stub": root / "exercises" / f"{exercise_id}.py",
        "solution": root / "solutions" / f"{exercise_id}.py",
        "grader module": root / "grader" / "exercises" / f"{exercise_id}.py",
        "first mistake": root / "tests" / "fixtures" / exercise_id / f"{FIRST_MISTAKE}.py",
        "test file": root / "tests" / f"test_{exercise_id}.py",
        "translations": root / "grader" / "translations" / f"{exercise_id}.zh.toml",
    }


def refusal(exercise_id: str, root: Path = KIT_ROOT) -> str | None:
    """Why ``exercise_id`` cannot be created, or None."""
    match = NAME.match(exercise_id)
    if match is None:
        return f"{exercise_id!r} is not an exercise id: exNN_name, e.g. ex13_semaphore"
    catalogue = root / "grader" / "catalogue.toml"
    for exercise in load_catalogue(catalogue):
        if exercise.id == exercise_id:
            return f"{exercise_id} is already in {catalogue.relative_to(root)}"
        if exercise.number == match[1]:
            return f"number {match[1]} is taken by {exercise.id}"
    taken = [p for p in paths(exercise_id, root).values() if p.exists()]
    if (root / "tests" / "fixtures" / exercise_id).exists():
        taken.append(root / "tests" / "fixtures" / exercise_id)
    if taken:
        return f"{exercise_id} exists already: {', '.join(str(p.relative_to(root)) for p in taken)}"
    return None


def create(exercise_id: str, root: Path = KIT_ROOT) -> list[Path]:
    """Write the skeleton; returns what it wrote (the catalogue first)."""
    problem = refusal(exercise_id, root)
    if problem:
        raise ValueError(problem)
    fields = {
        "id": exercise_id,
        "number": exercise_id[2:4],
        "placeholder": PLACEHOLDER,
        "mistake": FIRST_MISTAKE,
    }
    catalogue = root / "grader" / "catalogue.toml"
    with open(catalogue, "a", encoding="utf-8") as file:
        file.write(CATALOGUE_ENTRY.format(**fields))
    load_catalogue.cache_clear()
    texts = dict(
        zip(
            paths(exercise_id, root),
            (STUB, SOLUTION, GRADER_MODULE, FIXTURE, TEST, TRANSLATIONS),
            strict=True,
        )
    )
    written = [catalogue]
    for what, path in paths(exercise_id, root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[what].format(**fields), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str]) -> int:
    cli = argparse.ArgumentParser(
        prog="python -m grader new",
        description="Write the skeleton of a new exercise (catalogue entry, stub, solution, "
        "grader module, a first mistake, a test file). See docs/authoring.md.",
    )
    cli.add_argument("id", metavar="exNN_name", help="the new exercise's id, e.g. ex13_semaphore")
    args = cli.parse_args(argv)
    try:
        written = create(args.id)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(KIT_ROOT)}")
    print(
        f"Next: replace every {PLACEHOLDER} (the catalogue entry, the docstrings), write the "
        "exercise's real api, scenarios and checks (messages through t(), their Chinese in "
        f"grader/translations/{args.id}.zh.toml), one fixture per check, what the stub must "
        "fail in STUB_FAILS of tests/test_fixtures.py, then run "
        "`python -m grader.instructor.docs`, `python -m grader.formats.workflow > "
        f".github/workflows/classroom.yml` and `nox -s check -- {args.id[2:4]}`. "
        "Guide: docs/authoring.md."
    )
    return 0
