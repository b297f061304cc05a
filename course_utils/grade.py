"""``python -m course_utils.grade SUBMISSION...``: the grader's command line (the grader is course_utils.grading).

The grader's public names can be imported from here too (``from course_utils import grade``), as the grading
tests do.
"""
from course_utils.grading import (
    DEFAULT_RELEASE,
    DEFAULT_TIMEOUT,
    STATUSES,
    Record,
    Report,
    UsageError,
    grade,
    load_release,
)
from course_utils.grading.cli import main, run_main

__all__ = ["DEFAULT_RELEASE", "DEFAULT_TIMEOUT", "STATUSES", "Record", "Report", "UsageError", "grade",
           "load_release", "main", "run_main"]

if __name__ == "__main__":
    run_main()
