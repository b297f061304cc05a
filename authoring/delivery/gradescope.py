"""The Gradescope autograder: ``python -m authoring.build --gradescope FILE.zip``.

Gradescope's autograder specification (gradescope-autograders.readthedocs.io/en/latest/specs/; source
gradescope/autograder_samples, docs/specs.md): a zip with `setup.sh` and `run_autograder` at its root.
Gradescope unzips it to /autograder/source, runs setup.sh once when it builds the image (Ubuntu,
as root), copies run_autograder to /autograder/run_autograder and runs it per submission, with the
working folder /autograder, the submission in /autograder/submission, and expects
/autograder/results/results.json when it ends.

    setup.sh          apt: python3, venv, pip, bubblewrap (if it can); pip: requirements.txt into
                      /autograder/venv; checks that the grader starts
    run_autograder    the time limit (TIME_LIMIT, the bundle's one setting); picks the Python, puts the
                      bundle on PYTHONPATH, runs autograde.py
    autograde.py      finds the submission's notebooks, runs the grader with a time budget under the
                      limit, kills what student code left running, writes results.json once, atomically
                      (saying why if there is nothing to grade)
    requirements.txt  what grading needs (no JupyterLab), pins from this repository's requirements.txt
    README.md         for the instructor uploading it
    notebooks/        the release, byte for byte as built: the submissions are graded against it
    course_utils/     the package and its grader (never the reference solutions, solutions/, nor the
                      author tooling, authoring/)
    class_key.txt     the class key: run_autograder grades notebook 06's capstone codes with it (students never
                      see the bundle)

The zip is deterministic: entries sorted, one fixed date, permissions 0644 (0755 for the scripts).
"""
from __future__ import annotations

from pathlib import Path

from authoring.delivery import (
    File,
    class_files,
    package_files,
    render,
    requirement_pins,
    requirements_text,
)
from authoring.delivery.release_check import refuse_solution_markers, release_files
from authoring.delivery.student_release import BASE, GRADE
from authoring.delivery.tree import write_zip
from authoring.paths import RELEASE, ROOT, SOLUTIONS
from course_utils.grading import FINGERPRINT_FILE
from course_utils.grading.teammates import DEMO_KEY, fingerprint

GRADER_REQUIREMENTS = BASE + [("ipykernel", "the kernel every notebook runs in")] + GRADE


def _total_points(notebooks):
    import json

    from course_utils.grading import cells

    total = 0
    for item in notebooks.values():
        for cell in json.loads(item.data.decode("utf-8"))["cells"]:
            if cells.role(cell) == cells.EXERCISE:
                total += int(cells.course_meta(cell).get("points", 0))
    return total


TIME_LIMIT = 600  # seconds: Gradescope's default autograder timeout (10 minutes), the bundle's setting


def gradescope_files(release_dir=RELEASE, solutions_dir=SOLUTIONS, root=ROOT, time_limit=TIME_LIMIT, class_key=None):
    """{path in the zip: File} of the Gradescope autograder (see the module docstring).

    time_limit -- the autograder timeout the assignment has on Gradescope, in seconds: run_autograder
    grades within it (autograde.py keeps a minute for writing the results); class_key -- the class key (bytes) of
    the student release (None: the public demo key, for tests only)."""
    if isinstance(time_limit, bool) or not isinstance(time_limit, int) or not 120 <= time_limit <= 2400:
        raise ValueError(f"time_limit: whole seconds from 120 to 2400 (Gradescope allows up to 40 minutes), "
                         f"got {time_limit!r}")
    pins = requirement_pins(Path(root) / "requirements.txt")
    notebooks = release_files(release_dir, solutions_dir, prefix="notebooks")
    files = dict(notebooks)
    key = class_key or DEMO_KEY
    files.update(class_files(package_files(Path(root) / "course_utils"), key, for_students=False))
    files["class_key.txt"] = File.text(key.hex() + "\n", 0o600)
    files[f"notebooks/{FINGERPRINT_FILE}"] = File.text(fingerprint(key) + "\n")  # the grader checks the key with it
    files["setup.sh"] = File.text(render("gradescope/setup.sh"), 0o755)
    files["run_autograder"] = File.text(render("gradescope/run_autograder", TIME_LIMIT=time_limit), 0o755)
    files["autograde.py"] = File.text(render("gradescope/autograde.py"))
    files["README.md"] = File.text(render("gradescope/README.md", TOTAL_POINTS=_total_points(notebooks),
                                          TIME_LIMIT=time_limit, MINUTES=f"{time_limit / 60:g}"))
    files["requirements.txt"] = File.text(requirements_text(
        ["Gradescope autograder: what grading needs (setup.sh installs it into /autograder/venv).",
         "course_utils itself is not installed: run_autograder puts /autograder/source on PYTHONPATH."],
        GRADER_REQUIREMENTS, pins))
    refuse_solution_markers(files)
    return files


def build_gradescope(target, release_dir=RELEASE, solutions_dir=SOLUTIONS, time_limit=TIME_LIMIT, class_key=None):
    """Write the Gradescope autograder zip to `target` (a .zip file name). Returns the number of entries."""
    files = gradescope_files(release_dir, solutions_dir, time_limit=time_limit, class_key=class_key)
    write_zip(target, files)
    return len(files)
