"""The records' printed lines held against what reached each process's own output file: right
programs pass however their writes interleave or whenever they were stopped; a forged line
makes the run ungradable; a line whose stream failed, or went elsewhere, was not printed."""

from __future__ import annotations

from pathlib import Path

from grader.output_check import judge
from grader.trace import Line, ProcessInfo, Trace

MAIN, CHILD = 2, 3


def run_of(
    tmp_path: Path,
    lines: list[Line],
    files: dict[int, bytes],
    *,
    child_ended: float | None = 9.0,
    unflushed: int = 0,
    failed: bool = False,
    observed: bool = True,
) -> Trace:
    """A trace of a main program and one child, and their output files."""
    (tmp_path / "out").mkdir(parents=True)
    for pid, content in files.items():
        (tmp_path / "out" / str(pid)).write_bytes(content)
    trace = Trace(harness_pid=MAIN, done=True, lines=lines)
    trace.processes[CHILD] = ProcessInfo(
        CHILD, MAIN, 0.0, child=True, ended=child_ended, unflushed={"out": unflushed}
    )
    for pid in (MAIN, CHILD):
        for stream in ("out", "err"):
            trace.written.append(
                {"pid": pid, "stream": stream, "encoding": "utf-8", "errors": "strict"}
                | {"observed": observed}
            )
    if failed:
        trace.written.append({"pid": CHILD, "stream": "out", "error": "OSError: [Errno 9]"})
    return trace


def line(pid: int, text: str, thread: int = 1, time: float = 1.0) -> Line:
    return Line(pid, time, "out", text, thread)


def test_interleaved_threads_of_a_right_program_pass(tmp_path: Path) -> None:
    """Two threads' print() pieces interleaved in the file (unbuffered: text and newline are
    separate writes) are still their lines: no complaint, nothing dropped."""
    lines = [line(MAIN, "a b", 1), line(MAIN, "c d", 2)]
    trace = run_of(tmp_path, lines, {MAIN: b"ac  bd\n\n"})
    outputs = judge(tmp_path, trace, "ex09", harness_ended=True)
    assert outputs.untrue is None
    assert trace.lines == lines


def test_a_forged_line_makes_the_run_ungradable(tmp_path: Path) -> None:
    """A child that ended by itself, its line in the records but not in its file."""
    trace = run_of(tmp_path, [line(CHILD, "进程1来了")], {MAIN: b"", CHILD: b""})
    outputs = judge(tmp_path, trace, "ex01", harness_ended=True)
    assert outputs.untrue is not None
    assert "printed '进程1来了', but that line never reached its standard output" in outputs.untrue


def test_lines_still_buffered_when_a_process_was_stopped_count(tmp_path: Path) -> None:
    """A child stopped from outside (no end of its own), or whose last lines came after its
    last flush, or a main program that did not exit by itself: their missing lines stay."""
    for number, (ended, unflushed, harness_ended) in enumerate([(None, 0, True), (9.0, 1, True)]):
        folder = tmp_path / str(number)
        folder.mkdir()
        lines = [line(CHILD, "written"), line(CHILD, "still buffered")]
        trace = run_of(folder, lines, {CHILD: b"written\n"}, child_ended=ended, unflushed=unflushed)
        outputs = judge(folder, trace, "ex06", harness_ended=harness_ended)
        assert outputs.untrue is None
        assert trace.lines == lines
    folder = tmp_path / "main"
    folder.mkdir()
    trace = run_of(folder, [line(MAIN, "still buffered")], {MAIN: b""})
    assert judge(folder, trace, "ex08", harness_ended=False).untrue is None


def test_lines_of_a_failed_or_moved_stream_were_not_printed(tmp_path: Path) -> None:
    """A stream whose flush failed keeps the lines found in its file only; one whose
    descriptor was not the run's output printed nothing."""
    lines = [line(CHILD, "made it"), line(CHILD, "lost")]
    trace = run_of(tmp_path / "a", lines, {CHILD: b"made it\n"}, failed=True)
    assert judge(tmp_path / "a", trace, "ex01", harness_ended=True).untrue is None
    assert [ln.text for ln in trace.lines] == ["made it"]
    trace = run_of(tmp_path / "b", list(lines), {CHILD: b""}, observed=False)
    assert judge(tmp_path / "b", trace, "ex01", harness_ended=True).untrue is None
    assert trace.lines == []


def test_output_outside_print_is_kept_for_messages(tmp_path: Path) -> None:
    """What reached a file besides the printed lines (a traceback) is the run's output, the
    main program's last."""
    trace = run_of(
        tmp_path,
        [line(MAIN, "hello")],
        {MAIN: b"hello\nTraceback: boom\n", CHILD: b"child noise\n"},
    )
    outputs = judge(tmp_path, trace, "ex01", harness_ended=True)
    assert outputs.outside == "child noise\nTraceback: boom"
