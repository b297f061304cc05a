"""Grade one Gradescope submission: run by run_autograder, with this bundle's course_utils importable.

Gradescope's autograder specification (gradescope-autograders.readthedocs.io, "Autograder
Specifications"): the bundle is unzipped to /autograder/source, setup.sh ran once when the image was
built, the student's files are in /autograder/submission, the working folder is /autograder, and
/autograder/results/results.json must exist when run_autograder ends. Its stdout is shown to
instructors only; students see results.json.

1. Find the notebooks in the submission: the folder holding most of the release's notebooks, the
   shallowest on a tie. Students may upload the .ipynb files, a zip of them, or the whole repository
   (then they are in notebooks/).
2. Run the grader on that folder against the bundle's release notebooks (source/notebooks/):
   `python -m course_utils.grade FOLDER --release source/notebooks --gradescope-results
   results/results.json`. It sandboxes every notebook with bubblewrap when the container allows it,
   grades unsandboxed when it does not, and says which in the results' output.
3. If no notebook was found, or the grader could not finish, write a results.json that says why (0
   points), so the student sees a reason instead of "The autograder failed to execute correctly".

Environment: AUTOGRADER_ROOT (default /autograder); AUTOGRADE_TIMEOUT, seconds for the whole grading
(default 1800); AUTOGRADE_CELL_TIMEOUT, seconds per cell (default: the grader's).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
SOURCE = Path(__file__).resolve().parent
RELEASE = SOURCE / "notebooks"
SKIP = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git"}


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


def write_message(target, text):
    """A results.json with no points and `text` for the student."""
    results = {"score": 0, "output": text, "output_format": "text", "visibility": "visible",
               "stdout_visibility": "hidden", "tests": []}
    target.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def valid_results(target):
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and ("score" in data or "tests" in data)


def main():
    results = ROOT / "results"
    results.mkdir(parents=True, exist_ok=True)
    target = results / "results.json"
    if target.exists():
        target.unlink()  # never leave an earlier run's results behind
    release = sorted(p.name for p in RELEASE.glob("*.ipynb"))
    stems = [name[: -len(".ipynb")] for name in release]
    folder = notebook_folder(ROOT / "submission", stems)
    if folder is None:
        write_message(target, "No notebook of the course was found in your submission. Upload the .ipynb files "
                              "from notebooks/ with their names unchanged (" + ", ".join(release[:2]) + ", ...), "
                              "or the whole repository.")
        print("no release notebook in the submission; wrote a results.json saying so")
        return 0
    command = [sys.executable, "-m", "course_utils.grade", str(folder), "--release", str(RELEASE),
               "--gradescope-results", str(target)]
    if os.environ.get("AUTOGRADE_CELL_TIMEOUT"):
        command += ["--timeout", os.environ["AUTOGRADE_CELL_TIMEOUT"]]
    print("$ " + " ".join(command), flush=True)
    try:
        done = subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL,
                              timeout=float(os.environ.get("AUTOGRADE_TIMEOUT", "1800")))
        problem = None if done.returncode in (0, 1) else f"the grader stopped with exit status {done.returncode}"
    except subprocess.TimeoutExpired:
        problem = "grading took longer than the autograder's time limit"
    if problem is None and not valid_results(target):
        problem = "the grader wrote no results"
    if problem:
        print(f"autograde.py: {problem}; wrote a results.json saying so", flush=True)
        write_message(target, f"Your submission could not be graded: {problem}. Please tell your course staff; "
                              f"the notebooks found were in {folder.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
