"""What the command lines share: their exit codes, the start methods, the subcommands' names.

``cli.py`` (``python -m grader``), the instructors' commands (``instructor/commands.py``) and the
maintainers' tools all read these; none of them imports another's command line.
"""

EXIT_FULL_MARKS = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
"""A usage error, or a fault of the grader itself."""
EXIT_INTERRUPTED = 130
"""Ctrl+C or SIGTERM stopped a batch: its gradings were ended, no CSV written."""
START_METHODS = ("fork", "spawn", "forkserver")
SUBCOMMANDS = ("batch", "verify", "new")
"""Instructors' commands (``grader/instructor/commands.py``); never an exercise name."""
