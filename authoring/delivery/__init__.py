"""Delivery: what each audience gets, packaged from this repository (README, "Delivering the course to a class").

    python -m authoring.build --student-release DIR   # the students' repository    (student_release.py)
    python -m authoring.build --gradescope FILE.zip    # Gradescope's autograder     (gradescope.py)

Both package the release as built (notebooks/): they never execute or rebuild a notebook, and they
refuse a release that is out of step with solutions/ (a cell added or removed, an exercise cell
that is not exactly its stub, a demo or check cell whose source differs: run the build first). Both
are deterministic: the same repository gives byte-identical output (no timestamps, sorted entries,
fixed permissions). Every generated text file comes from a template in templates/, where
``@@NAME@@`` marks a value filled in here (anything else, such as GitHub's ``${{ ... }}``, is kept).

This module holds what both share: the pins of requirements.txt, the package files that are shipped,
the release check, and the two writers (a folder tree with a manifest, a zip).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from authoring.paths import RELEASE, ROOT, SOLUTIONS

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
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time in the bundle


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


def _cells(path):
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        return nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DeliveryError(f"{path}: cannot read the notebook ({error})") from None


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def check_release(release_dir=RELEASE, solutions_dir=SOLUTIONS):
    """Refuse a release notebooks/ that is not what the build makes of solutions/ (cheaply).

    Every solution has its release notebook and no other notebook is there; the cells have the same
    ids in the same order; an exercise cell is exactly the stub of the solution's cell and has no
    outputs; every other cell has the solution's source. So the author's own solved or edited copy
    of a release notebook is never shipped, and a solution changed since the last build is noticed.
    (Outputs of demo and check cells are not compared: that needs a run, `python -m authoring.build
    --check`.) Returns the sorted release notebook paths.
    """
    from course_utils.grading import cells as contract

    release_dir, solutions_dir = Path(release_dir), Path(solutions_dir)
    solutions = sorted(solutions_dir.glob("*.ipynb"))
    if not solutions:
        raise DeliveryError(f"no solution notebooks in {solutions_dir}")
    notebooks = sorted(release_dir.glob("*.ipynb"))
    names = {p.name for p in solutions}
    extra = [p.name for p in notebooks if p.name not in names]
    if extra:
        raise DeliveryError(f"{release_dir} holds notebooks without a solution in {solutions_dir}: "
                            f"{', '.join(extra)}; remove them or add their solutions")
    rebuild = "run `python -m authoring.build` first"
    for solution in solutions:
        released = release_dir / solution.name
        if not released.is_file() or released.is_symlink():
            raise DeliveryError(f"{released} is missing; {rebuild}")
        want, have = _cells(solution), _cells(released)
        if [c.get("id") for c in want] != [c.get("id") for c in have]:
            raise DeliveryError(f"{released}: its cells are not those of {solution} (ids or order differ); {rebuild}")
        for sol, rel in zip(want, have, strict=True):
            where = f"{released.name}: cell {rel.get('id')!r}"
            if contract.role(sol) == contract.EXERCISE:
                try:
                    stub = contract.make_stub(_source(sol), where)
                except contract.ContractError as error:
                    raise DeliveryError(str(error)) from None
                if _source(rel) != stub or rel.get("outputs"):
                    raise DeliveryError(f"{where} is not the unsolved stub (a solved or edited copy?); {rebuild}")
            elif _source(rel) != _source(sol):
                raise DeliveryError(f"{where} differs from the solution's; {rebuild}")
    return [release_dir / p.name for p in solutions]


MARKER_LINE_RE = re.compile(r"^[ \t]*#[ \t]*(?:BEGIN|END) SOLUTION", re.MULTILINE)


def refuse_solution_markers(files):
    """Last guard before writing: no shipped file may hold a solution block's marker line.

    (The grader's cell contract, course_utils/grading/cells.py, names the markers in a regular
    expression and its docstrings; those are not marker *lines*.) In a notebook the cell sources
    are JSON strings, so they are checked decoded.
    """
    for rel, item in files.items():
        try:
            text = item.data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # a picture
        if rel.endswith(".ipynb"):
            try:
                text = "\n".join(_source(c) for c in json.loads(text).get("cells", []))
            except (ValueError, AttributeError):
                raise DeliveryError(f"{rel}: not a readable notebook") from None
        match = MARKER_LINE_RE.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            raise DeliveryError(f"{rel}: line {line} is a solution marker ({match.group(0).strip()!r}); "
                                "nothing shipped may contain a solution")


def release_files(release_dir=RELEASE, solutions_dir=SOLUTIONS, prefix="notebooks"):
    """{prefix/NAME.ipynb: File} of the checked release notebooks, byte for byte."""
    return {f"{prefix}/{p.name}": File(p.read_bytes()) for p in check_release(release_dir, solutions_dir)}


# ----------------------------------------------------------------------------------------------
# Writers


def _check_relative(rel):
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise DeliveryError(f"bad output path {rel!r}")
    return parts


def _refuse_source_folder(target):
    """An output inside the folders the build and the packaging read from would feed on itself."""
    resolved = Path(os.path.realpath(target))
    for folder in (PACKAGE, RELEASE, SOLUTIONS, AUTHORING, ROOT / "tests", ROOT / ".git"):
        folder = Path(os.path.realpath(folder))
        if resolved == folder or folder in resolved.parents:
            raise DeliveryError(f"{target} is inside {folder}; write the delivery somewhere else")
    if resolved == Path(os.path.realpath(ROOT)):
        raise DeliveryError(f"{target} is the course repository itself; write the delivery somewhere else")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_tree(target, files, manifest_name, generator):
    """Write `files` ({relative posix path: File}) into the folder `target`; returns the paths written.

    `target` must be missing, empty, or a folder this function wrote before (it holds `manifest_name`,
    a JSON list of the files it wrote with their SHA-256). Then files of the previous tree that are no
    longer produced are removed, files nobody asked for (e.g. `.git/`) are left alone, and a file of
    the new tree that exists but was not written before is refused rather than overwritten. Nothing is
    written outside `target`: paths are checked, and a symbolic link on the way is refused.
    """
    target = Path(target)
    _refuse_source_folder(target)
    if target.exists() and not target.is_dir():
        raise DeliveryError(f"{target} exists and is not a folder")
    manifest = target / manifest_name
    previous = {}
    if target.is_dir() and any(target.iterdir()):
        if manifest.is_symlink() or not manifest.is_file():
            raise DeliveryError(f"{target} is not empty and is not a previous {generator} (no {manifest_name}); "
                                "choose an empty or new folder")
        try:
            previous = json.loads(manifest.read_text(encoding="utf-8"))["files"]
            if not isinstance(previous, dict):
                raise TypeError("files is not an object")
        except (ValueError, KeyError, TypeError) as error:
            raise DeliveryError(f"{manifest} cannot be read ({error}); choose an empty or new folder") from None
    for rel in list(files) + list(previous):
        _check_relative(rel)
    if manifest_name in files:
        raise DeliveryError(f"{manifest_name} is reserved for the manifest")
    target.mkdir(parents=True, exist_ok=True)
    base = Path(os.path.realpath(target))

    def place(rel, create):
        """The path of `rel` under base, its folders checked (and created) one by one."""
        path = base
        for part in rel.split("/")[:-1]:
            path = path / part
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                raise DeliveryError(f"{path} is in the way (a link or a file where a folder belongs); remove it")
            if create and not path.exists():
                path.mkdir()
        path = path / rel.split("/")[-1]
        if path.is_symlink() or path.is_dir():
            raise DeliveryError(f"{path} is in the way (a link or a folder where a file belongs); remove it")
        return path

    for rel in sorted(files):
        path = place(rel, create=False)
        if rel not in previous and (path.exists() or path.is_symlink()):
            raise DeliveryError(f"{path} exists but was not written by a previous {generator}; move it away first")
    for rel in sorted(set(previous) - set(files)):  # dropped since the last build
        try:
            path = place(rel, create=False)
        except DeliveryError:
            continue
        if path.is_file():
            path.unlink()
        folder = path.parent
        while folder != base and folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    written = []
    for rel in sorted(files):
        item = files[rel]
        path = place(rel, create=True)
        if not (path.is_file() and path.read_bytes() == item.data):
            path.write_bytes(item.data)
        os.chmod(path, item.mode)
        written.append(path)
    # folders get fixed permissions too, so a second build (or another umask) gives the same tree
    for rel in sorted({"/".join(r.split("/")[:i]) for r in files for i in range(1, len(r.split("/")))}):
        os.chmod(base / rel, 0o755)
    listing = {"generator": generator, "files": {rel: sha256(files[rel].data) for rel in sorted(files)}}
    manifest.write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(manifest, 0o644)
    return written


def zip_bytes(files):
    """A deterministic zip of `files`: sorted entries, a fixed date, Unix permissions, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel in sorted(files):
            _check_relative(rel)
            info = zipfile.ZipInfo(rel, date_time=ZIP_DATE)
            info.create_system = 3  # Unix, so that unzip applies the permission bits below
            info.external_attr = (0o100000 | files[rel].mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[rel].data, compresslevel=9)
    return buffer.getvalue()


def write_zip(target, files):
    """Write zip_bytes(files) to `target` (a new or existing .zip file, replaced atomically)."""
    target = Path(target)
    if target.suffix.lower() != ".zip":
        raise DeliveryError(f"{target}: expected a file name ending in .zip")
    if target.is_dir() or target.is_symlink():
        raise DeliveryError(f"{target} is a folder or a link; expected a .zip file name")
    _refuse_source_folder(target)
    if not target.parent.is_dir():
        raise DeliveryError(f"the folder {target.parent} does not exist")
    data = zip_bytes(files)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".zip", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return target


__all__ = ["DeliveryError", "File", "render", "requirement_pins", "requirements_text", "package_files",
           "check_release", "refuse_solution_markers", "release_files", "write_tree", "zip_bytes", "write_zip"]
