"""Grade one Gradescope submission: run by run_autograder, with this bundle's course_utils importable.

Gradescope's autograder specification (gradescope-autograders.readthedocs.io, "Autograder
Specifications"): the bundle is unzipped to /autograder/source, setup.sh ran once when the image was
built, the student's files are in /autograder/submission, the working folder is /autograder, and
/autograder/results/results.json must exist when run_autograder ends. Its stdout is shown to
instructors only; students see results.json. Gradescope stops run_autograder at the assignment's
autograder timeout (10 minutes unless the instructor changes it; at most 40) and then records 0 points
with no feedback, so this script keeps its own, shorter clock.

1. Find the notebooks in the submission: the folder holding most of the release's notebooks, the
   shallowest on a tie. Students may upload the .ipynb files, a zip of them, or the whole repository
   (then they are in notebooks/).
2. Run the grader on that folder against the bundle's release notebooks (source/notebooks/), with a
   time budget of TIME_LIMIT - RESERVE seconds (--time-budget): what it cannot grade in it is
   reported as timed out. It writes its results.json into a folder only root may enter. It sandboxes
   every notebook with bubblewrap when the container allows it; where it does not, student code runs
   unsandboxed but as unprivileged uids, and the results say which.
3. Kill every process still running as a sandbox uid (however it detached), then write
   results/results.json once, atomically (a temporary file renamed onto it): the grader's, or, if no
   notebook was found or the grader could not finish, one that says why (0 points), so the student sees a
   reason instead of "The autograder failed to execute correctly". If the grader overruns its budget it
   is stopped HARD_STOP seconds before the time limit.

Environment (run_autograder sets the first from the bundle): AUTOGRADE_TIME_LIMIT, the autograder
timeout set on Gradescope, in seconds; AUTOGRADER_ROOT (default /autograder); AUTOGRADE_CELL_TIMEOUT,
seconds per cell (default: the grader's).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = time.monotonic()
ROOT = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
SOURCE = Path(__file__).resolve().parent
RELEASE = SOURCE / "notebooks"
SKIP = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git"}
RESERVE = 60.0  # seconds of the time limit kept for starting, stopping and writing the results
HARD_STOP = 20.0  # seconds before the time limit at which an overrunning grader is stopped


def time_limit():
    """The autograder timeout (seconds): AUTOGRADE_TIME_LIMIT, set by run_autograder from the bundle."""
    text = os.environ.get("AUTOGRADE_TIME_LIMIT", "600")
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 2 * RESERVE:
        print(f"autograde.py: AUTOGRADE_TIME_LIMIT={text!r} is not a number of seconds >= {2 * RESERVE:g}; "
              "using 600", flush=True)
        value = 600.0
    return value


def notebook_folder(submission, stems):
    """The folder of `submission` that holds most notebooks named like a release notebook, or None."""
    best = None
    for here, dirs, files in os.walk(submission, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.startswith("."))
        hits = sum(1 for f in files if f.endswith(".ipynb") and any(f.startswith(s) for s in stems))
        if hits:
            depth = len(Path(here).relative_to(submission).parts)
            key = (-hits, depth, here)
            if best is None or key < best[0]:
                best = (key, Path(here))
    return None if best is None else best[1]


def message(text):
    """A results.json object with no points and `text` for the student."""
    return {"score": 0, "output": text, "output_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": []}


def read_results(path):
    """The grader's results.json object, or None when it is missing or not what Gradescope reads."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and ("score" in data or "tests" in data) else None


def write_once(target, results):
    """Write results to target atomically: a temporary file beside it, renamed onto it."""
    handle, tmp = tempfile.mkstemp(prefix=".results.", suffix=".tmp", dir=target.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(results, indent=1) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def kill_student_processes():
    """SIGKILL whatever still runs as a sandbox uid of a grading run that has ended (root only); returns how many
    survived. Uids another grading run on this machine still holds are left alone."""
    if os.geteuid() != 0:
        return 0
    from course_utils.grading import sandbox

    return len(sandbox.kill_unleased())


def run_grader(command, stop_at):
    """Run the grader (its own session) until it ends or until stop_at (time.monotonic()); returns the problem
    or None."""
    proc = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        status = proc.wait(timeout=max(1.0, stop_at - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # the grader stops its runs and their sandboxes, writes nothing
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return "grading took longer than the autograder's time limit allows"
    return None if status in (0, 1) else f"the grader stopped with exit status {status}"


def main():
    limit = time_limit()
    results = ROOT / "results"
    results.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(results, 0, 0)
        os.chmod(results, 0o755)  # only this script writes here
    target = results / "results.json"
    if target.exists():
        target.unlink()  # never leave an earlier run's results behind
    release = sorted(p.name for p in RELEASE.glob("*.ipynb"))
    stems = [name[: -len(".ipynb")] for name in release]
    folder = notebook_folder(ROOT / "submission", stems)
    if folder is None:
        write_once(target, message("No notebook of the course was found in your submission. Upload the .ipynb "
                                   "files from notebooks/ with their names unchanged (" + ", ".join(release[:2]) +
                                   ", ...), or the whole repository."))
        print("no release notebook in the submission; wrote a results.json saying so")
        return 0
    private = Path(tempfile.mkdtemp(prefix="autograde-"))  # 0700: student code cannot reach the grader's file
    mine = private / "results.json"
    budget = limit - RESERVE - (time.monotonic() - START)
    command = [sys.executable, "-m", "course_utils.grade", str(folder), "--release", str(RELEASE),
               "--gradescope-results", str(mine), "--time-budget", f"{budget:.0f}"]
    if (SOURCE / "class_key.txt").is_file():  # notebook 06's capstone codes are checked with it
        command += ["--class-key", str(SOURCE / "class_key.txt")]
    if os.environ.get("AUTOGRADE_CELL_TIMEOUT"):
        command += ["--timeout", os.environ["AUTOGRADE_CELL_TIMEOUT"]]
    print(f"autograde.py: time limit {limit:g} s, grading budget {budget:.0f} s", flush=True)
    print("$ " + " ".join(command), flush=True)
    problem = run_grader(command, START + limit - HARD_STOP)
    survivors = kill_student_processes()
    if survivors:
        print(f"autograde.py: {survivors} student process(es) could not be killed", flush=True)
    graded = None if problem else read_results(mine)
    if graded is None:
        problem = problem or "the grader wrote no results"
        print(f"autograde.py: {problem}; wrote a results.json saying so", flush=True)
        graded = message(f"Your submission could not be graded: {problem}. Please tell your course staff; the "
                         f"notebooks found were in {folder.relative_to(ROOT)}.")
    write_once(target, graded)
    shutil.rmtree(private, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
