"""Skip-or-fail helpers for tests that need a system package (CI=true turns a skip into a failure)."""
import os

import pytest

from course_utils.grading import sandbox


def sandbox_needed():
    """Return when the grading sandbox (bubblewrap) works here; else skip, except in CI (CI=true): fail."""
    ok, why = sandbox.available()
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the grading sandbox is unavailable: {why}", pytrace=False)
    pytest.skip(f"the grading sandbox is unavailable here: {why}")


def project_entries_in_sandbox():
    """The entries of the project folder a sandbox shows: course_utils, and the virtual environment's folder when
    the venv lives inside the project (README: it is optional and may live anywhere)."""
    import sys
    from pathlib import Path
    root = sandbox.PACKAGE.parent
    entries = ["course_utils"]
    prefix = Path(sys.prefix).resolve()
    if root in prefix.parents:
        entries.append(prefix.relative_to(root).parts[0])
    return sorted(entries)
