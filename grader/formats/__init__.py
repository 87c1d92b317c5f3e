"""The grade in the formats courses read: Gradescope, Classroom 50, JUnit, GitHub Actions.

Every format is rendered from one :class:`~grader.results.GradeResult`, so they always agree.
A fault of the grader itself is rendered too (a result whose checks are all errors, plus a note),
so a course's platform shows "the grader failed" instead of a missing file.
"""

from .fault import faulted
from .outputs import Outputs, add_format_options

__all__ = ["Outputs", "add_format_options", "faulted"]
