"""Stage 1: the release -- the notebooks a class is graded against, parsed once into frozen records."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from course_utils.grading import cells

_ROOT = Path(__file__).resolve().parent.parent.parent
# A student release ships an untouched copy of its notebooks in .release/ (students' own notebooks/ and
# commits hold their outputs); this repository grades against notebooks/ and its git HEAD.
DEFAULT_RELEASE = _ROOT / ".release" if (_ROOT / ".release").is_dir() else _ROOT / "notebooks"
SKIP_DIRS = frozenset({".ipynb_checkpoints", "__pycache__", ".git", ".pytest_cache"})


class UsageError(ValueError):
    """Bad input to grade() or the command line; the message names the argument and what was expected."""


@dataclass(frozen=True)
class Exercise:
    """One graded exercise of a release notebook."""

    name: str
    points: int
    cell_id: str
    stub: str  # the release's source of the exercise cell
    check_ids: tuple
    verify: str  # "module:attribute" of its verification spec (verify.py)


@dataclass(frozen=True)
class ReleaseNotebook:
    """A parsed release notebook: its JSON, exercises by name (notebook order) and the role of every code cell."""

    name: str
    origin: str
    nb: dict
    exercises: dict
    code_ids: tuple  # cell id of every code cell in order: nbval's "Cell N" is code_ids[N]
    roles: dict  # cell id -> (role, exercise name or None)
    module_aliases: dict  # name -> module bound by imports in the release's other cells (for the scan)

    def code_index(self, cell_id):
        return self.code_ids.index(cell_id)

    def merged(self, sources):
        """The notebook grading runs, with `sources` ({exercise: str, or None for the stub}) put in."""
        return cells.merge(self.nb, self.roles, {n: e.stub for n, e in self.exercises.items()}, sources)


@dataclass(frozen=True)
class Release:
    """The release folder: notebooks by file name, support files (the check modules, copied beside every notebook
    run; not the verification specs) and its path; specs: the spec files the instructor named (--specs FILE), the
    only files verification specs are loaded from besides the installed course_utils.grading.specs."""

    path: Path
    notebooks: dict
    support: tuple
    specs: tuple = ()


def parse_release_notebook(name, text, origin):
    """Parse one release notebook (JSON text) into a ReleaseNotebook; raises UsageError naming the problem."""
    from course_utils.grading.scan import imported_names

    where = f"--release: {origin}"
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{where} is not valid notebook JSON ({exc})") from None
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise UsageError(f"{where}: expected an nbformat 4 notebook with a list of cells")
    exercises, roles, code_ids, seen, checks = {}, {}, [], set(), []
    for n, cell in enumerate(nb["cells"]):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not cell_id:
            raise UsageError(f"{where}: cell {n} has no id; a release must be nbformat 4.5 with cell ids "
                             "(regenerate it with python -m authoring.build)")
        if cell_id in seen:
            raise UsageError(f"{where}: two cells have the id {cell_id!r}; ids must be unique")
        seen.add(cell_id)
        kind = cells.role(cell)
        if kind is None:
            continue
        code_ids.append(cell_id)
        meta = cells.course_meta(cell)
        if kind == cells.EXERCISE:
            problem = cells.exercise_meta_problem(cell)
            if problem:
                raise UsageError(f"{where}: exercise cell {cell_id!r} {problem}")
            if meta["exercise"] in exercises:
                raise UsageError(f"{where}: two exercise cells for exercise {meta['exercise']!r}")
            exercises[meta["exercise"]] = dict(name=meta["exercise"], points=meta["points"], cell_id=cell_id,
                                               stub=cells.source(cell), check_ids=[], verify=meta["verify"])
            roles[cell_id] = (kind, meta["exercise"])
        elif kind == cells.CHECK:
            if not isinstance(meta.get("exercise"), str):
                raise UsageError(f"{where}: check cell {cell_id!r} needs metadata {{\"course\": {{\"exercise\": \"<name>\"}}}}")
            roles[cell_id] = (kind, meta["exercise"])
            checks.append((cell_id, meta["exercise"]))
        else:
            roles[cell_id] = (kind, None)
    for cell_id, ex in checks:
        if ex not in exercises:
            raise UsageError(f"{where}: check cell {cell_id!r} checks exercise {ex!r}, which has no exercise cell")
        exercises[ex]["check_ids"].append(cell_id)
    for ex in exercises.values():
        if not ex["check_ids"]:
            raise UsageError(f"{where}: exercise {ex['name']!r} has no check cell, so it could never earn points")
    aliases = {}
    for cell in nb["cells"]:
        if roles.get(cell["id"], (cells.EXERCISE,))[0] != cells.EXERCISE:
            aliases.update(imported_names(cells.source(cell)))
    frozen = {n: Exercise(**dict(e, check_ids=tuple(e["check_ids"]))) for n, e in exercises.items()}
    return ReleaseNotebook(name, origin, nb, frozen, tuple(code_ids), roles, aliases)


def load_release(path=None, specs=()):
    """Load the release folder (default: the course's notebooks/). Returns a Release; raises UsageError.

    specs -- spec files named explicitly (--specs FILE): a release's own verification specs are loaded from these
    and from nowhere else (never from the release folder, which a Classroom student controls).
    """
    path = Path(DEFAULT_RELEASE if path is None else path)
    specs = tuple(Path(f) for f in (specs or ()))
    for f in specs:
        if f.suffix != ".py" or not f.is_file():
            raise UsageError(f"--specs FILE: {f} is not a .py file of verification specs")
    if not path.is_dir():
        raise UsageError(f"--release DIR: {path} is not a folder; expected the course's released notebooks "
                         "(default: notebooks/ next to course_utils)")
    notebooks, support = {}, []
    for entry in sorted(path.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIP_DIRS:
            continue
        if entry.suffix == ".ipynb" and entry.is_file():
            notebooks[entry.name] = parse_release_notebook(entry.name, entry.read_text(encoding="utf-8"), str(entry))
        elif entry.is_file() and entry.suffix == ".py":
            support.append(entry)
    if not notebooks:
        raise UsageError(f"--release DIR: {path} holds no .ipynb notebooks")
    # the release's own verification specs hold reference answers: never copied beside a notebook run
    modules = {e.verify.partition(":")[0] + ".py" for rnb in notebooks.values() for e in rnb.exercises.values()}
    modules |= {f.name for f in specs}
    return Release(path, notebooks, tuple(p for p in support if p.name not in modules), specs)


def pristine_text(release_file):
    """The committed (git HEAD) text of release_file, or None outside a git checkout. Read-only."""
    try:
        done = subprocess.run(["git", "-C", str(release_file.parent), "show", f"HEAD:./{release_file.name}"],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8") if done.returncode == 0 else None
