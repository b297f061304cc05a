"""The student release: ``python -m authoring.build --student-release DIR [--github OWNER/NAME]``.

DIR becomes a complete, self-contained repository for students (a GitHub Classroom template, a
download, a Binder): nothing in it needs this repository, and nothing in it gives answers away.

    README.md                        set-up, the notebooks, exercise/check cells, self-check, hand-in, help
                                     (templates/student/README.md)
    requirements.txt                 only what students need: the notebooks and the self-check, and
                                     `-e .` (pins from this repository's requirements.txt)
    pyproject.toml                   the course_utils package as students install it
    .gitignore
    notebooks/*.ipynb                the release, byte for byte as built (never rebuilt here)
    .release/*.ipynb                 the same notebooks again, untouched: the reference the Classroom
                                     workflow grades against (a student's saved outputs never count)
    course_utils/**                  the package without course_utils/grading/teammates.py (the
                                     capstone's correct pass); notebook 06's teammates sealed under the
                                     class key (capstone_teammates.py)
    docs/img/*.png                   the widget pictures of the README
    binder/requirements.txt,         mybinder.org's repo2docker configuration: with a binder/ folder
    binder/runtime.txt               only the files in it are read; `-e .` makes repo2docker install
                                     the requirements after copying the repository (a local reference),
                                     runtime.txt picks the Python version
    .github/workflows/classroom.yml  GitHub Classroom: grade notebooks/ on every push and report the
                                     points per exercise through classroom-resources/
                                     autograding-grading-reporter@v1 (templates/student/classroom.yml)
    .student-release.json            what was written, with SHA-256s (so a rebuild may replace it)

Left out: the reference solutions (solutions/), the author tooling (authoring/: the build, this packaging),
tests/, benchmarks/, CI, the author docs.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from authoring.delivery import (
    DeliveryError,
    File,
    class_files,
    package_files,
    render,
    requirement_pins,
    requirements_text,
)
from authoring.delivery.release_check import refuse_solution_markers, release_files
from authoring.delivery.tree import write_tree
from authoring.paths import RELEASE, ROOT, SOLUTIONS
from course_utils.grading import DEFAULT_TIMEOUT, FINGERPRINT_FILE
from course_utils.grading.teammates import DEMO_KEY, fingerprint

MANIFEST = ".student-release.json"
GENERATOR = "student release (python -m authoring.build --student-release)"
PYTHON = "3.11"  # what CI tests with: the Classroom workflow and Binder use it
RUNNER = "notebooks"  # the Classroom workflow's grading step id; the reporter reads RUNNER.upper() + "_RESULTS"
RUNNER_ENV = f"{RUNNER.upper()}_RESULTS"
GITHUB_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
IMAGES = ("bug_lab.png", "bug_picker_1d.png", "epsilon_explorer.png")

# (requirement, why) in install order; the pins come from requirements.txt
BASE = [("numpy", "the math of every notebook"),
        ("matplotlib", "the plots"),
        ("ipywidgets", "the interactive widgets (Bug Lab, epsilon explorer, ...)")]
NOTEBOOKS = [("jupyterlab", "where you open and run the notebooks"),
             ("ipykernel", "the Python kernel the notebooks run on")]
GRADE = [("nbformat", "self-check: reading your notebooks"),
         ("nbval", "self-check: re-running them and comparing the check cells"),
         ("pytest", "self-check: nbval runs under pytest")]
PACKAGE_ITSELF = [("-e .", "course_utils, this repository's package (editable)")]
STUDENT_REQUIREMENTS = BASE + NOTEBOOKS + GRADE + PACKAGE_ITSELF
# Binder brings its own JupyterLab (installing another could fight it); the rest is the same
BINDER_REQUIREMENTS = [r for r in STUDENT_REQUIREMENTS if r[0] != "jupyterlab"]


def project_field(name, pyproject=ROOT / "pyproject.toml"):
    """A string field of [project] in this repository's pyproject.toml (version, requires-python)."""
    text = Path(pyproject).read_text(encoding="utf-8")
    section = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    match = section and re.search(rf'^{re.escape(name)}\s*=\s*"([^"]*)"', section.group(1), re.MULTILINE)
    if not match:
        raise DeliveryError(f"{pyproject}: [project] has no {name} = \"...\"")
    return match.group(1)


def _toml_list(entries, pins):
    return "[" + ", ".join(json.dumps(pins[name]) for name, _ in entries) + "]"


def _notebook_index(release_dir):
    """The README's table of notebooks: number, linked title, exercises (points), time."""
    import nbformat

    from authoring.contract import is_exercise
    from authoring.index import first_heading, reading_time
    from course_utils.grading.cells import course_meta

    rows = ["| # | Notebook | Exercises (points) | Time |", "|---|---|---|---|"]
    total_exercises = total_points = 0
    for path in sorted(Path(release_dir).glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        title = first_heading(nb) or path.stem[3:].replace("_", " ").capitalize()
        exercises = [course_meta(c) for c in nb.cells if is_exercise(c)]
        total_exercises += len(exercises)
        total_points += sum(int(e.get("points", 0)) for e in exercises)
        listed = ", ".join(f"`{e['exercise']}` ({e.get('points', 0)})" for e in exercises) or "—"
        rows.append(f"| {path.name[:2]} | [{title}](notebooks/{path.name}) | {listed} | {reading_time(nb)} |")
    return "\n".join(rows), total_exercises, total_points


def _binder_text(github):
    start = "lab/tree/notebooks/00_start_here.ipynb"
    if github:
        url = f"https://mybinder.org/v2/gh/{github}/HEAD?urlpath={start}"
        return (f"[![Binder](https://mybinder.org/badge_logo.svg)]({url}) runs the notebooks in your browser "
                "on [mybinder.org](https://mybinder.org) (free, nothing to install; your work is lost when the "
                "session ends, so download your notebooks before closing the tab).")
    return ("On [mybinder.org](https://mybinder.org), enter this repository's GitHub URL and, as \"URL to open\", "
            f"`{start}`: the notebooks run in your browser (public repositories only; your work is lost when the "
            "session ends, so download your notebooks before closing the tab).")


def student_files(release_dir=RELEASE, solutions_dir=SOLUTIONS, github=None, root=ROOT, class_key=None):
    """{relative path: File} of the student release (see the module docstring). class_key -- the class key (bytes)
    notebook 06's teammates are sealed under (None: the public demo key, for tests only)."""
    if github is not None and not GITHUB_RE.match(github):
        raise DeliveryError(f"--github {github!r}: expected OWNER/NAME of a GitHub repository")
    pins = requirement_pins(Path(root) / "requirements.txt")
    min_python = project_field("requires-python", Path(root) / "pyproject.toml").lstrip(">=~ ")
    files = {}
    notebooks = release_files(release_dir, solutions_dir, prefix="notebooks")
    files.update(notebooks)
    files.update({"/".join([".release"] + rel.split("/")[1:]): item for rel, item in notebooks.items()})
    files[".release/README.md"] = File.text(render("student/release_README.md"))
    files.update(class_files(package_files(Path(root) / "course_utils"), class_key or DEMO_KEY, for_students=True))
    files[f".release/{FINGERPRINT_FILE}"] = File.text(fingerprint(class_key or DEMO_KEY) + "\n")
    for name in IMAGES:
        image = Path(root) / "docs" / "img" / name
        if not image.is_file():
            raise DeliveryError(f"{image} is missing; the student README shows it")
        files[f"docs/img/{name}"] = File(image.read_bytes())
    index, total_exercises, total_points = _notebook_index(release_dir)
    clone = f"https://github.com/{github}.git" if github else "<the URL of your copy of this repository>"
    files["README.md"] = File.text(render(
        "student/README.md", MIN_PYTHON=min_python, PYTHON=PYTHON, CLONE_URL=clone, BINDER=_binder_text(github),
        NOTEBOOK_INDEX=index, TOTAL_EXERCISES=total_exercises, TOTAL_POINTS=total_points,
        CELL_TIMEOUT=f"{DEFAULT_TIMEOUT:g}"))
    files["requirements.txt"] = File.text(requirements_text(
        ["Gradient Checking, hands-on: what you need to work through the notebooks and check your work.",
         "Install with:  pip install -r requirements.txt"], STUDENT_REQUIREMENTS, pins))
    files["pyproject.toml"] = File.text(render(
        "student/pyproject.toml.in", VERSION=project_field("version", Path(root) / "pyproject.toml"),
        MIN_PYTHON=min_python, BASE=_toml_list(BASE, pins), NOTEBOOKS=_toml_list(NOTEBOOKS, pins),
        GRADE=_toml_list(GRADE, pins)))
    files[".gitignore"] = File.text(render("student/gitignore"))
    files["binder/requirements.txt"] = File.text(requirements_text(
        ["mybinder.org (repo2docker): the kernel's packages. The `-e .` line makes repo2docker install them",
         "after copying the repository. JupyterLab itself comes with Binder's image."], BINDER_REQUIREMENTS, pins))
    files["binder/runtime.txt"] = File.text(f"python-{PYTHON}\n")
    files[".github/workflows/classroom.yml"] = File.text(render(
        "student/classroom.yml", PYTHON=PYTHON, RUNNER=RUNNER, RUNNER_ENV=RUNNER_ENV))
    refuse_solution_markers(files)
    return files


def build_student_release(target, release_dir=RELEASE, solutions_dir=SOLUTIONS, github=None, class_key=None):
    """Write the student release into the folder `target` (see write_tree for what it accepts).

    Returns the number of files written. Raises DeliveryError.
    """
    files = student_files(release_dir, solutions_dir, github, class_key=class_key)
    write_tree(target, files, MANIFEST, GENERATOR)
    return len(files)
