"""Stage 2: intake -- find each student's notebooks and read them without ever trusting them.

Only regular files are read (a symlink, FIFO or device is refused without being opened for reading
through the link), at most MAX_BYTES each, and any error while reading or parsing -- RecursionError
and MemoryError included -- becomes a message for that notebook's records, never an exception.
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.grading import cells
from course_utils.grading.release import SKIP_DIRS, UsageError

MAX_BYTES = 20 * 2 ** 20  # a course notebook with outputs is ~0.3 MB


@dataclass
class Submission:
    """One student's notebooks: release name -> Path (found), list of Paths (ambiguous) or None (missing)."""

    student: str
    path: Path
    files: dict | None
    extra: list = field(default_factory=list)
    problem: str = ""  # set when the whole submission cannot be read (e.g. a symlinked folder)


def _notebooks_under(folder):
    """Every *.ipynb under folder (not following symlinked folders; hidden and cache folders skipped)."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        found += [Path(root) / f for f in sorted(files) if f.endswith(".ipynb") and not f.startswith(".")]
    return found


def _match(release_name, candidates):
    """Files for release_name: exact names first, else names starting with its stem ('-Copy1', ' (1)')."""
    exact = [p for p in candidates if p.name == release_name]
    if exact:
        return exact
    stem = release_name[: -len(".ipynb")]
    return [p for p in candidates if p.stem.startswith(stem)]


def find_submissions(paths, release):
    """Resolve SUBMISSION arguments into a list of Submission (one per student); raises UsageError.

    The arguments themselves are the instructor's and may be symlinks; inside them nothing is followed.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise UsageError("SUBMISSION: expected at least one notebook file or folder")
    students = {}
    for p in paths:
        if not p.exists():
            raise UsageError(f"SUBMISSION {p}: no such file or folder")
        if p.is_file():
            if p.suffix != ".ipynb":
                raise UsageError(f"SUBMISSION {p}: expected a .ipynb notebook, a folder of notebooks, "
                                 "or a folder of student folders")
            names = [n for n in release.notebooks if p in _match(n, [p])]
            if not names:
                raise UsageError(f"SUBMISSION {p}: the release {release.path} has no notebook of that name "
                                 f"(release notebooks: {', '.join(release.notebooks)})")
            key = p.resolve().parent
            sub = students.setdefault(key, Submission(key.name, key, {}))
            if sub.files is not None:
                sub.files.setdefault(names[0], p)
            continue
        if not p.is_dir():
            raise UsageError(f"SUBMISSION {p}: not a regular file or folder")
        direct = [c for c in sorted(p.iterdir()) if c.suffix == ".ipynb" and not c.name.startswith(".")]
        folders = [p] if direct else [c for c in sorted(p.iterdir())
                                      if (c.is_dir() or c.is_symlink()) and c.name not in SKIP_DIRS
                                      and not c.name.startswith(".")]
        if not folders or not any(f.is_symlink() or _notebooks_under(f) for f in folders):
            raise UsageError(f"SUBMISSION {p}: no submissions found; expected .ipynb files, a folder of them, "
                             "or a folder of student folders")
        for folder in folders:
            if folder is not p and folder.is_symlink():
                students[folder.absolute()] = Submission(folder.name, folder.absolute(), {}, problem=(
                    f"{folder.name} is a symbolic link; the grader does not follow links in a class folder"))
                continue
            key = folder.resolve()
            students[key] = Submission(key.name, key, None)
    result = []
    for key, sub in students.items():
        if sub.files is None:  # a whole folder: every release notebook is expected
            candidates = _notebooks_under(key)
            sub.files = {}
            for name in release.notebooks:
                matches = _match(name, candidates)
                sub.files[name] = matches[0] if len(matches) == 1 else (matches or None)
            used = {p for v in sub.files.values() if v for p in (v if isinstance(v, list) else [v])}
            sub.extra = [p for p in candidates if p not in used]
        elif sub.problem:
            sub.files = {name: None for name in release.notebooks}
        result.append(sub)
    names = [s.student for s in result]
    for sub in result:  # two folders with the same name: use the paths
        if names.count(sub.student) > 1:
            sub.student = str(sub.path)
    return result


def read_notebook(path, max_bytes=MAX_BYTES):
    """Read a submitted notebook. Returns (dict, None) or (None, message); never raises.

    Refuses anything but a regular file (checked on the open descriptor, the link itself not followed),
    files over max_bytes, non-UTF-8 text, invalid or too deeply nested JSON and non-notebooks.
    """
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if Path(path).is_symlink():
            return None, f"{name} is a symbolic link; only regular files are graded"
        return None, f"{name} could not be opened ({exc.strerror})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, f"{name} is not a regular file (a FIFO, device or folder); only regular files are graded"
        if info.st_size > max_bytes:
            return None, f"{name} is {info.st_size} bytes, over the limit of {max_bytes}; clear its outputs and save again"
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = None
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        return None, f"{name} could not be read ({exc.strerror})"
    finally:
        if fd is not None:
            os.close(fd)
    if len(raw) > max_bytes:
        return None, f"{name} is over the limit of {max_bytes} bytes"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"{name} is not a text file ({exc.reason}); expected notebook JSON"
    except RecursionError:
        return None, f"{name} is nested too deeply to be a notebook"
    except MemoryError:
        return None, f"{name} is too large to read"
    except ValueError as exc:
        return None, f"{name} is not valid JSON ({exc}); was it saved completely?"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, f"{name} is not an nbformat 4 notebook (no list of cells)"
    return data, None


@dataclass(frozen=True)
class Pick:
    """The source taken for one exercise: status None (taken), "missing" or "flagged" (ambiguous)."""

    source: str | None
    status: str | None
    message: str = ""
    how: str = "id"


def pick_exercise_cells(sub_nb, rnb):
    """Choose each exercise's source in a submitted notebook (a dict). Returns {exercise name: Pick}."""
    found = [c for c in sub_nb.get("cells", []) if isinstance(c, dict)]
    picks = {}
    for ex in rnb.exercises.values():
        by_id = [c for c in found if c.get("id") == ex.cell_id]
        how = "id"
        if not by_id:
            how = "tag"
            by_id = [c for c in found if cells.role(c) == cells.EXERCISE
                     and cells.course_meta(c).get("exercise") == ex.name]
        if len(by_id) > 1:
            what = f"have the id {ex.cell_id!r}" if how == "id" else f"are tagged as exercise {ex.name!r}"
            picks[ex.name] = Pick(None, "flagged", f"{len(by_id)} cells {what}; took none -- "
                                                  "a person must pick the one to grade")
        elif not by_id:
            picks[ex.name] = Pick(None, "missing", f"exercise cell {ex.cell_id!r} is not in the submission "
                                                   f"(no cell with that id or tagged as exercise {ex.name!r})")
        elif by_id[0].get("cell_type") != "code":
            picks[ex.name] = Pick(None, "missing", f"cell {ex.cell_id!r} is a {by_id[0].get('cell_type')} "
                                                   "cell in the submission, expected a code cell")
        else:
            try:
                picks[ex.name] = Pick(cells.source(by_id[0]), None, how=how)
            except cells.ContractError as exc:
                picks[ex.name] = Pick(None, "missing", f"exercise cell {ex.cell_id!r}: {exc}")
    return picks


def added_code_cells(sub_nb, rnb):
    """How many code cells the student added (they are not run)."""
    code = [c for c in sub_nb["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]
    with_id = [c for c in code if isinstance(c.get("id"), str)]
    added = sum(1 for c in with_id if c["id"] not in rnb.roles)
    if len(with_id) < len(code):  # no ids to tell: count what the release does not have
        ids = {c["id"] for c in with_id}
        added += max(0, len(code) - len(with_id) - sum(1 for cid in rnb.code_ids if cid not in ids))
    return added
