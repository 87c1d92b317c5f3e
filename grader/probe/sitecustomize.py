"""The grader's eyes inside a submission: loaded by every interpreter of a graded run.

Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``, so this module runs in the
harness, in every spawn and forkserver child and in any interpreter the submission starts; fork
children inherit it. Importing ``lockstep_probe`` (the package beside this file) installs the
probe when ``LOCKSTEP_RUN_DIR`` says this is a graded run; its docstring says what it records.
Only the standard library is used: this runs in the student's interpreter.
"""

# mypy sees this folder as grader.probe, not on the path.
import lockstep_probe  # type: ignore[import-not-found]

lockstep_probe.install()
