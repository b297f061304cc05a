"""``python -m course_utils.grade SUBMISSION...``: the grader's command line (the grader is course_utils.grading)."""
from course_utils.grading import (  # noqa: F401
    DEFAULT_RELEASE,
    DEFAULT_TIMEOUT,
    STATUSES,
    Record,
    Report,
    UsageError,
    grade,
    load_release,
)
from course_utils.grading.cli import main, run_main  # noqa: F401

if __name__ == "__main__":
    run_main()
