"""The sandbox a graded run starts in: limits, a PID namespace, and an honest exit status.

Started by the runner as ``python -I -S launcher.py STATUS_FD SETUP_JSON PROGRAM ARG...``, a
fresh interpreter leading the run's own session; ``SETUP_JSON`` is ``{"rlimits": {name: value},
"read_only": [folder, ...], "namespaces": bool}``. It applies the resource limits (inherited
by every process of the run), then, where the system allows it (root, or unprivileged user
namespaces), moves the run into a new PID namespace: the processes of the submission see only
each other, so a signal to "every process it can see" (``kill(-1)``), to its parent or to a
process group can reach nothing outside the run, and every escapee dies with the namespace. In
a mount namespace of its own, the ``read_only`` folders (the kit, the submission) are mounted
read-only for the run.

The program (the harness) is then started as a child, never as the grader's own child; when it
ends, its exit status goes down ``STATUS_FD`` as ``exit CODE``. In a namespace the launcher's
child is the namespace's init (``pid 1``, unkillable from inside): it starts the harness, reaps
orphans, and stays until the grader has looked for leftovers and ends the run. Without one, the
launcher itself is a child subreaper: orphans of the run (a double fork) come back to it, and
it stays while any is left. The first line on ``STATUS_FD`` is ``launched PID NS``: the PID (as
the grader sees it) of the process that waits for the harness, and 1 if a namespace holds the
run, 0 if not. On macOS (no ``PR_SET_PDEATHSIG``) a thread of the launcher watches for the
grader's end instead, and ends the run's process group.

``launcher.py spawn STATUS_FILE SETUP_JSON PROGRAM ARG...`` is the same sandbox where there is
no ``fork`` (Windows, and ``LOCKSTEP_BACKEND=portable``): the harness is started with
``subprocess``, and the two status lines are appended to ``STATUS_FILE``.

Only the standard library is used, and no ``site``: this runs before the probe, outside it.
It imports on every platform; ``resource``, ``fork`` and the signals are used where they exist.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def _ignore(signum: int, frame: object) -> None:
    """A handler, not ``SIG_IGN``: handlers are reset by ``exec``, so the harness is not
    left ignoring the grader's ``SIGUSR1`` (a request for a stack dump)."""


def apply_limits(limits: dict[str, int]) -> None:
    """``{"RLIMIT_AS": bytes, ...}``: each soft and hard limit, lowered only, never raised
    (where there is no ``setrlimit``, Windows, the run's Job Object holds the limits)."""
    if sys.platform == "win32":
        return
    import resource

    for name, value in limits.items():
        which = getattr(resource, name, None)
        if which is None:
            continue
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            continue


def _libc(function: str, *args: object) -> bool:
    try:
        return bool(getattr(ctypes.CDLL(None, use_errno=True), function)(*args) == 0)
    except (OSError, AttributeError, ctypes.ArgumentError):
        return False


def _unshare(flags: int) -> bool:
    return _libc("unshare", flags)


def read_only(folders: list[str]) -> None:
    """Mount each folder read-only, in this mount namespace only (best effort)."""
    if not _libc("mount", None, b"/", None, _MS_REC | _MS_PRIVATE, None):
        return
    for folder in folders:
        path = os.fsencode(folder)
        if _libc("mount", path, path, None, _MS_BIND | _MS_REC, None):
            _libc("mount", None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY, None)


def _write(path: str, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


def new_pid_namespace() -> bool:
    """Make the next child the init of a new PID namespace; False where the system says no."""
    if not sys.platform.startswith("linux"):
        return False
    if _unshare(_CLONE_NEWPID | _CLONE_NEWNS) or _unshare(_CLONE_NEWPID):
        return True
    # Not root: a user namespace of our own grants the right (where the distribution allows
    # unprivileged user namespaces), with the same user and group mapped onto themselves.
    uid, gid = os.getuid(), os.getgid()
    if not _unshare(_CLONE_NEWUSER | _CLONE_NEWPID | _CLONE_NEWNS):
        return False
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError:
        return False
    return True


def die_with_parent() -> None:
    """Be killed when the parent ends (Linux): a grader that is itself killed (an interrupt, a
    test timeout) takes its runs with it instead of leaving them running."""
    if sys.platform.startswith("linux"):
        parent = os.getppid()
        _libc("prctl", _PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # it ended before the request was in place
            os._exit(1)


def end_group_with_parent(parent: int) -> None:
    """Where there is no ``PR_SET_PDEATHSIG`` (macOS; the portable layer on any POSIX system):
    a thread that ends this process group once the grader has ended (this process is then
    reparented, so its parent PID changes). Started after the last ``fork``: a process with
    threads must not fork. Windows needs none: the run's Job Object ends with the grader."""
    if sys.platform == "win32":
        return
    import threading  # only here: the Linux launcher starts no thread

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.1)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def _exec(program: list[str]) -> None:
    if sys.platform == "win32":
        raise OSError("no exec")
    # Ignored until the probe installs its handler: a stack-dump request that comes while a
    # process is still starting must not kill it. (Ignoring survives exec and fork.)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    try:
        os.execv(program[0], program)
    finally:
        os._exit(127)


def _report(status_fd: int, text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(status_fd, f"{text}\n".encode())


def _namespace_init(status_fd: int, program: list[str]) -> None:
    """PID 1 of the run's namespace: start the harness, report its end, reap, wait."""
    if sys.platform == "win32":
        raise OSError("no PID namespace")
    harness = os.fork()
    if harness == 0:
        _exec(program)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            signal.pause()  # nothing left to reap: wait to be ended with the namespace
            continue
        if pid == harness:
            _report(status_fd, f"exit {os.waitstatus_to_exitcode(status)}")


def spawn_main(status_path: str, setup: dict[str, object], program: list[str]) -> None:
    """The sandbox without ``fork``: limits where ``setrlimit`` exists, the harness started
    with ``subprocess`` (it inherits this process's group, output and environment), its PID
    and exit status appended to ``status_path``; then wait to be ended with the run, so that
    the run's processes stay its descendants until the grader has looked for leftovers. A
    grader that ends takes the run with it: on Windows through the run's Job Object, on POSIX
    through ``end_group_with_parent`` (which ends the harness too: it has no parent-death
    signal of its own here)."""
    import subprocess  # only here: the Linux launcher forks, which is quicker

    parent = os.getppid()
    rlimits = setup.get("rlimits", {})
    apply_limits(rlimits if isinstance(rlimits, dict) else {})
    if sys.platform.startswith("linux"):
        # Stands in, on Linux, for what the Job Object does on Windows: a process of the run
        # that leaves its parent (a double fork) stays a descendant of the launcher.
        _libc("prctl", _PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    harness = subprocess.Popen(program, stdin=subprocess.DEVNULL)
    _append(status_path, f"launched {harness.pid} 0")
    end_group_with_parent(parent)
    _append(status_path, f"exit {harness.wait()}")
    while True:
        if sys.platform != "win32":  # reap the orphans that came back to this subreaper
            with contextlib.suppress(ChildProcessError):
                os.waitpid(-1, 0)
                continue
        time.sleep(3600)


def _append(path: str, line: str) -> None:
    with open(path, "a", encoding="ascii") as status:
        status.write(f"{line}\n")


def main() -> None:
    if sys.argv[1] == "spawn":
        spawn_main(sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:])
    if sys.platform == "win32":
        raise SystemExit("the launcher needs fork: use `launcher.py spawn` on Windows")
    status_fd, setup, program = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3:]
    parent = os.getppid()
    die_with_parent()
    os.set_inheritable(status_fd, False)  # closed in the harness by its exec
    signal.signal(signal.SIGUSR1, _ignore)
    apply_limits(setup.get("rlimits", {}))
    in_namespace = bool(setup.get("namespaces", True)) and new_pid_namespace()
    if in_namespace:
        read_only(setup.get("read_only", []))
    elif sys.platform.startswith("linux"):  # orphans of the run come back here, not to init
        _libc("prctl", _PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    child = os.fork()
    if child == 0:
        die_with_parent()
        if in_namespace:
            _namespace_init(status_fd, program)
        _exec(program)
    _report(status_fd, f"launched {child} {int(in_namespace)}")
    if not sys.platform.startswith("linux"):
        end_group_with_parent(parent)
    # Reap until nothing is left: orphans of the run stay descendants of this process (and
    # so findable) until the grader has looked for leftovers.
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(0)
        if pid == child:
            if in_namespace:  # the namespace's init has gone, and everything in it
                os._exit(0)
            _report(status_fd, f"exit {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
