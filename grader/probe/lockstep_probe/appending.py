"""A file descriptor whose every ``write()`` lands whole at the end of the file, whichever
process writes: how records from many processes go into one file without mixing.

POSIX ``O_APPEND`` does it. On Windows the C runtime's ``O_APPEND`` moves to the end and then
writes, two steps another process can come between; a handle opened with ``FILE_APPEND_DATA``
access only (no ``FILE_WRITE_DATA``) makes the system write at the end in one step
(documented with ``WriteFile`` and ``CreateFileW``). Only the standard library is used: this
runs in the student's interpreter.
"""

from __future__ import annotations

import os
import sys

_FILE_APPEND_DATA = 0x0004
_SHARE_ALL = 0x7  # FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
_OPEN_EXISTING = 3


def open_append(path: str) -> int:
    if sys.platform == "win32":
        import _winapi
        import msvcrt

        handle = _winapi.CreateFile(path, _FILE_APPEND_DATA, _SHARE_ALL, 0, _OPEN_EXISTING, 0, 0)
        fd: int = msvcrt.open_osfhandle(handle, os.O_APPEND | os.O_BINARY | os.O_NOINHERIT)
        return fd
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
