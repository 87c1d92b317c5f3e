"""What each process of a run really wrote, held against the lines its records say it printed.

The probe records each line when a ``print`` returns (``out``/``err``: the order printed), and
points each process's file descriptors 1 and 2 at a file of its own, ``RUN_DIR/out/<pid>``
(``lockstep_probe.outputs``), which only the kernel writes on its behalf. Here the two meet:

- A process that ended by itself (a child whose ``run()`` returned, a harness that exited) had
  written every line it recorded before its last flush: those lines' bytes must all be in its
  file. Where they are not, the records claim what did not happen (a submission shares its
  interpreter with the probe and could write records itself): the run is an error for its
  exercise. The bytes are compared as a whole (how many of each byte value), so however its
  threads' and streams' writes interleaved, a right program always passes.
- A stream whose write or flush failed (file descriptor 1 closed, say) may have lost what was
  in its buffer: its lines not found in the file were never written, so never printed, and
  leave the trace.
- A line still in a buffer when its process was stopped from outside (a daemon child
  terminated at exit, the deadline) counts as printed: nothing is asked of it.

What reached the files outside ``print`` becomes the run's ``output`` for messages, and too
much of it is a limit passed (``limits.too_much_output``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import limits
from .trace import Line, Trace

_READ_CAP = (limits.OUTPUT_MB + limits.RECORD_MB) * limits.MB
"""Bytes read from one process's file; a larger one is output past the limit in any case."""
_SEARCH_WINDOW = 64 * 1024
"""How far past the previous line a printed line is looked for when it is cut out."""
_SHOWN_CAP = 64 * 1024
"""Characters of output outside print kept for messages (the end: the main program's)."""


@dataclass(frozen=True)
class Outputs:
    untrue: str | None
    """Why the run cannot be graded: its records claim a line that was never written."""
    flood: str | None
    """Too much written outside ``print`` (a limit passed), or None."""
    outside: str
    """What reached the processes' descriptors 1 and 2 outside ``print``, the main program's
    last."""


def judge(run_dir: Path, trace: Trace, module: str, harness_ended: bool) -> Outputs:
    """Compare, drop the lines that were never written from ``trace.lines``, and say what
    else reached the output."""
    files = _read(run_dir / "out")
    encodings: dict[tuple[int, str], tuple[str, str]] = {}
    observed: set[tuple[int, str]] = set()
    failed: set[tuple[int, str]] = set()
    for record in trace.written:
        key = (_int(record.get("pid")), str(record.get("stream")))
        if "error" in record:
            failed.add(key)
        elif "encoding" in record:
            encodings[key] = (str(record.get("encoding")), str(record.get("errors")))
            if record.get("observed"):
                observed.add(key)
    by_stream: dict[tuple[int, str], list[Line]] = {}
    for line in trace.lines:
        by_stream.setdefault((line.pid, line.stream), []).append(line)

    never_written: set[int] = set()
    required: dict[int, list[bytes]] = {}
    untrue: str | None = None
    for (pid, stream), lines in by_stream.items():
        if (pid, stream) not in encodings:
            untrue = untrue or _untrue(module, trace, pid, lines[0].text)
            continue
        if (pid, stream) not in observed:
            never_written.update(id(line) for line in lines)  # they went elsewhere
            continue
        if files.get(pid, b"") is None:
            continue
        content = files.get(pid) or b""
        encoding = encodings[(pid, stream)]
        if (pid, stream) in failed:
            never_written.update(id(line) for line in _not_found(lines, content, encoding))
            continue
        required.setdefault(pid, []).extend(
            _bytes(line, encoding)
            for line in _must_have_written(trace, pid, stream, lines, harness_ended)
        )
    for pid, needed in required.items():
        if not _contains(files.get(pid) or b"", needed):
            example = _first_missing(files.get(pid) or b"", needed)
            untrue = untrue or _untrue(module, trace, pid, example)
    if never_written:
        trace.lines = [line for line in trace.lines if id(line) not in never_written]
    return Outputs(untrue, _flood(module, trace, files), _outside(trace, files, encodings))


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _read(folder: Path) -> dict[int, bytes | None]:
    """Each process's file, by PID; None for one past the read cap."""
    files: dict[int, bytes | None] = {}
    try:
        paths = list(folder.iterdir())
    except OSError:
        return files
    for path in paths:
        if not path.name.isdigit():
            continue
        try:
            with path.open("rb") as file:
                content = file.read(_READ_CAP + 1)
        except OSError:
            continue
        files[int(path.name)] = content if len(content) <= _READ_CAP else None
    return files


def _bytes(line: Line, encoding: tuple[str, str]) -> bytes:
    """The bytes a recorded line became (its newline included unless it had none)."""
    text = line.text if line.partial else line.text + "\n"
    try:
        return text.encode(*encoding)
    except (LookupError, UnicodeError, TypeError):
        return text.encode("utf-8", "surrogateescape")


def _must_have_written(
    trace: Trace, pid: int, stream: str, lines: list[Line], harness_ended: bool
) -> list[Line]:
    """The lines of a process on ``stream`` that reached its file for sure: all of them for a
    main program that made all its calls and exited by itself (Python flushes at exit, after
    stopping daemon threads; an ``os._exit`` during a call, which does not, is a crash
    reported as such); for a child that ended by itself, those recorded before its end but the last
    few it says may have stayed in its buffer; none for a process stopped from outside or one
    the probe did not see end."""
    if pid == trace.harness_pid:
        return lines if harness_ended and trace.done else []
    info = trace.processes.get(pid)
    if info is None or info.ended is None:
        return []
    ended = info.ended
    before = [line for line in lines if line.time <= ended]
    return before[: max(0, len(before) - info.unflushed.get(stream, 0))]


def _contains(content: bytes, needed: list[bytes]) -> bool:
    """Whether ``content`` holds at least as many of each byte value as ``needed`` together.
    A ``?`` does not count: a record holds one where the line had a character JSON text
    cannot (a lone surrogate), which the stream wrote otherwise."""
    wanted = Counter(b"".join(needed))
    wanted.pop(ord("?"), None)
    return all(content.count(bytes([value])) >= count for value, count in wanted.items())


def _first_missing(content: bytes, needed: list[bytes]) -> str:
    for chunk in needed:
        if chunk.strip() and chunk.strip() not in content:
            return chunk.decode("utf-8", "replace").rstrip("\n")
    return needed[-1].decode("utf-8", "replace").rstrip("\n")


def _not_found(lines: list[Line], content: bytes, encoding: tuple[str, str]) -> list[Line]:
    """The lines of a stream that failed which are not in the file, each thread's in order."""
    cursors: dict[int | None, int] = {}
    missing = []
    for line in lines:
        needle = _bytes(line, encoding).rstrip(b"\n")
        at = content.find(needle, cursors.get(line.thread, 0))
        if at < 0:
            missing.append(line)
        else:
            cursors[line.thread] = at + len(needle)
    return missing


def _untrue(module: str, trace: Trace, pid: int, text: str) -> str:
    return (
        f"{module} could not be graded: the grader's records say that {trace.who(pid)} "
        f"printed {text!r}, but that line never reached its standard output. Something other "
        "than print wrote into the grader's records; a program must leave the grader's files "
        "alone"
    )


def _flood(module: str, trace: Trace, files: dict[int, bytes | None]) -> str | None:
    """A process that wrote more than the limit outside ``print`` (its file past the read
    cap, or its bytes beyond those of its lines)."""
    if trace.capped:
        return None  # the records' own limit, which the runner reports
    printed: Counter[int] = Counter()
    for line in trace.lines:
        printed[line.pid] += len(line.text.encode("utf-8", "replace")) + 1
    for pid, content in files.items():
        if content is None or len(content) - printed[pid] > limits.OUTPUT_MB * limits.MB:
            return limits.too_much_output(module)
    return None


def _outside(
    trace: Trace, files: dict[int, bytes | None], encodings: dict[tuple[int, str], tuple[str, str]]
) -> str:
    """Each file without its printed lines (found in order; what interleaved stays), the
    main program's last; empty lines left out."""
    printed: dict[int, list[Line]] = {}
    for line in trace.lines:
        printed.setdefault(line.pid, []).append(line)
    shown: list[str] = []
    for pid in sorted(files, key=lambda pid: (pid == trace.harness_pid, pid)):
        content = files[pid]
        if content is None:
            shown.append(f"[pid {pid}: more than {_READ_CAP // limits.MB} MB of output]")
            continue
        kept, cursor = [], 0
        for line in printed.get(pid, []):
            needle = _bytes(line, encodings.get((pid, line.stream), ("utf-8", "strict")))
            at = content.find(needle, cursor, cursor + _SEARCH_WINDOW)
            if at >= 0:
                kept.append(content[cursor:at])
                cursor = at + len(needle)
        kept.append(content[cursor:])
        rest = b"".join(kept)
        text = bytes(rest).decode("utf-8", "replace")
        shown.extend(line for line in text.splitlines() if line.strip())
    return "\n".join(shown)[-_SHOWN_CAP:]
