"""Delivery: what each audience gets, packaged from this repository (README, "Delivering the course to a class").

    python -m authoring.build --student-release DIR   # the students' repository    (student_release.py)
    python -m authoring.build --gradescope FILE.zip    # Gradescope's autograder     (gradescope.py)

Both package the release as built (notebooks/): they never execute or rebuild a notebook, and they
refuse a release that is out of step with solutions/ (a cell added or removed, an exercise cell
that is not exactly its stub, a demo or check cell whose source differs: run the build first). Both
are deterministic: the same repository gives byte-identical output (no timestamps, sorted entries,
fixed permissions). Every generated text file comes from a template in templates/, where
``@@NAME@@`` marks a value filled in here (anything else, such as GitHub's ``${{ ... }}``, is kept).

This module holds what both share: the pins of requirements.txt and the package files that are shipped;
release_check.py holds the release check, tree.py the two writers (a folder tree with a manifest, a zip).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from authoring.paths import ROOT

PACKAGE = ROOT / "course_utils"
AUTHORING = ROOT / "authoring"
REQUIREMENTS = ROOT / "requirements.txt"
TEMPLATES = Path(__file__).resolve().parent / "templates"

# The whole course_utils package is shipped -- the notebooks import it and the grader is the students'
# self-check (its verification runs make calling the course's own implementations earn nothing). What only
# the course authors need, the reference solutions (solutions/) and this tooling (authoring/), lives
# outside it and is never packaged.
SKIPPED_NAMES = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".egg-info")

TOKEN_RE = re.compile(r"@@([A-Z][A-Z0-9_]*)@@")


class DeliveryError(Exception):
    """A delivery cannot be built; the message says what to do."""


@dataclass(frozen=True)
class File:
    """One output file: its bytes and its permission bits (0o644, or 0o755 for scripts)."""

    data: bytes
    mode: int = 0o644

    @classmethod
    def text(cls, text, mode=0o644):
        return cls(text.encode("utf-8"), mode)


# ----------------------------------------------------------------------------------------------
# Templates and requirements


def render(name, **values):
    """templates/<name> with every @@KEY@@ replaced by values[KEY]; raises DeliveryError for a token
    without a value or a value without a token (a typo either side)."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    used = set()

    def fill(match):
        key = match.group(1)
        if key not in values:
            raise DeliveryError(f"template {name}: no value for @@{key}@@")
        used.add(key)
        return str(values[key])

    out = TOKEN_RE.sub(fill, text)
    unused = set(values) - used
    if unused:
        raise DeliveryError(f"template {name}: values never used: {', '.join(sorted(unused))}")
    return out


def normalize(name):
    """A distribution name as pip compares them (PEP 503): lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(path=REQUIREMENTS):
    """{normalized name: requirement without comment} of a requirements file (the developers' pins).

    The student release and the Gradescope bundle take their version pins from here, so there is one
    place to change a pin (pyproject.toml's extras repeat them; tests/test_delivery.py checks they agree).
    """
    pins = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        if match:
            pins[normalize(match.group(0))] = re.sub(r"\s+", "", line)
    return pins


def requirements_text(header, entries, pins=None):
    """A requirements file: `header` lines as comments, then one `pin   # why` line per (name, why).

    name "-e ." is written as is (the package itself, editable); other names take their pin from
    requirements.txt (DeliveryError when it has none).
    """
    pins = requirement_pins() if pins is None else pins
    lines = [f"# {h}".rstrip() for h in header]
    for name, why in entries:
        if name.startswith("-"):
            spec = name
        else:
            spec = pins.get(normalize(name))
            if spec is None:
                raise DeliveryError(f"requirements.txt has no line for {name!r}; add it there (with its pin)")
        lines.append(f"{spec:<24} # {why}" if why else spec)
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# What is shipped


def _skipped(path):
    return path.name in SKIPPED_NAMES or path.name.startswith(".") or path.name.endswith(SKIPPED_SUFFIXES)


def package_files(package=PACKAGE, prefix="course_utils"):
    """{relative path: File} of the course_utils package as shipped.

    Only regular files are taken; a symbolic link inside the package is refused (it could point at
    anything, solutions included).
    """
    package = Path(package)
    files = {}
    for root, dirs, names in os.walk(package, followlinks=False):
        here = Path(root)
        for d in list(dirs):
            if (here / d).is_symlink():
                raise DeliveryError(f"{here / d} is a symbolic link; the package must hold real files only")
        dirs[:] = sorted(d for d in dirs if not _skipped(here / d))
        for name in sorted(names):
            path = here / name
            if _skipped(path):
                continue
            if path.is_symlink() or not path.is_file():
                raise DeliveryError(f"{path} is not a regular file; the package must hold real files only")
            rel = path.relative_to(package).as_posix()
            files[f"{prefix}/{rel}"] = File(path.read_bytes())
    if f"{prefix}/__init__.py" not in files:
        raise DeliveryError(f"{package} is not the course_utils package (no __init__.py)")
    return files


def class_files(files, class_key, for_students):
    """The package files of a class: notebook 06's teammates sealed under the class key (capstone_teammates.py);
    for students also without the generator of the teammates (course_utils/grading/teammates.py holds the correct
    pass)."""
    from course_utils.grading import teammates

    files = dict(files)
    files["course_utils/capstone_teammates.py"] = File.text(teammates.sealed_module_text(class_key))
    if for_students:
        files.pop("course_utils/grading/teammates.py", None)
    return files


__all__ = ["DeliveryError", "File", "render", "requirement_pins", "requirements_text", "package_files",
           "class_files"]
