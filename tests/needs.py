"""What a test needs from the machine. A missing system package fails the test, here as in CI, with how to
install it -- so a developer runs the suite CI runs. Deselect by marker on a machine that cannot have it
(macOS: pytest -m "not sandbox and not browser")."""
import os
from pathlib import Path

import pytest

from course_utils.grading import sandbox

CHROMIUM = Path("/usr/bin/chromium")


def sandbox_needed():
    """Return when the grading sandbox (bubblewrap) works here; else fail, saying why and what to do."""
    ok, why = sandbox.available()
    if not ok:
        pytest.fail(f"the grading sandbox is unavailable here: {why}. Install bubblewrap (sudo apt-get install "
                    "bubblewrap), or deselect these tests: pytest -m 'not sandbox'", pytrace=False)


def browser_needed():
    """Return Playwright's sync API when Debian's Chromium and Playwright are here; else fail, saying what to do."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: sudo apt-get install chromium, or deselect these tests: "
                    "pytest -m 'not browser'", pytrace=False)
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("playwright is missing: pip install -r requirements.txt", pytrace=False)
    return sync_api


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


ROOT = Path(__file__).resolve().parent.parent  # the checkout
# Ubuntu 22.04's bubblewrap (Gradescope's default image), beside the checkout (a README lies next to it)
UBUNTU_BWRAP = ROOT.parent / "shared" / "bin" / "bwrap-0.6.1"


def ubuntu_bwrap():
    """Path of Ubuntu 22.04's bubblewrap 0.6.1: $GRADER_BWRAP_061, else <checkout>/../shared/bin/bwrap-0.6.1;
    skips (also in CI: the copy is not part of the repository) saying why when it is absent."""
    path = Path(os.environ.get("GRADER_BWRAP_061") or UBUNTU_BWRAP)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"Ubuntu 22.04's bubblewrap 0.6.1 is not at {path} (set GRADER_BWRAP_061 to its path)")
    return path


def other_bwraps():
    """Further bubblewrap binaries to test the sandbox with: $GRADER_TEST_BWRAPS (paths separated by ':'),
    e.g. Debian 11's 0.4.1 unpacked from its .deb."""
    return [p for p in os.environ.get("GRADER_TEST_BWRAPS", "").split(os.pathsep) if p]


def path_with_bwrap(binary, folder):
    """A PATH whose first folder (made here) holds `binary` as `bwrap`, as its README says to use it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    link = folder / "bwrap"
    if not link.exists():
        link.symlink_to(Path(binary).resolve())
    return os.pathsep.join([str(folder), os.environ.get("PATH", "/usr/bin:/bin")])


def path_without_bwrap(folder):
    """A PATH of one folder (made here) with every command of PATH but bwrap (as in a container without it)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    for where in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
        if not os.path.isdir(where):
            continue
        for entry in sorted(os.listdir(where)):
            if entry != "bwrap" and not (folder / entry).exists():
                (folder / entry).symlink_to(Path(where) / entry)
    return str(folder)
