"""Grade student notebooks with nbval: ``python -m course_utils.grade SUBMISSION...``.

    python -m course_utils.grade SUBMISSION... [--release DIR] [--json FILE] [--jobs N] [--timeout SECONDS]

or from Python: ``grade(submissions, release=..., jobs=..., timeout=...) -> Report``.

SUBMISSION is a notebook file (only that notebook is graded), a folder with one student's notebooks
(every release notebook is expected; searched recursively, ``.ipynb_checkpoints`` skipped), or a
folder of such folders, one per student. The release defaults to the course's ``notebooks/``.

How a notebook is graded
------------------------
1. Only the student's *exercise cells* are trusted. They are found by cell id, or -- when an editor
   dropped the id -- by tag ``exercise`` plus ``metadata.course.exercise``. Two candidates: neither
   is taken (status ``flagged``, for a person to pick). Every other cell, all metadata and every
   reference output come from the release: edited or deleted check cells, edited stored outputs
   and cells the student added are simply not part of what runs.
2. The merged copy is written to a temporary folder (next to a copy of the release's support files,
   e.g. a check module) and run with ``pytest --nbval`` (strict: the text a check cell prints is
   compared with the release's reference output) in a subprocess. A tiny pytest plugin -- the hooks
   at the end of this module, loaded with ``-p course_utils.grade`` -- records per cell: error name
   and value, output differences, timeouts and whether the kernel is still alive.
3. Each check cell of the merged copy first reloads its check module from disk (``importlib.reload``)
   and then re-imports the check, so a student's ``checks.check_x = ...`` or a shadowing
   ``def check_x`` is undone before the check runs.
4. An exercise earns its points (``metadata.course.points`` of the release's exercise cell) when all
   its check cells pass; demo cells never cost points (their failures are listed as notes).

Statuses (one record per student x notebook x exercise)
--------------------------------------------------------
passed   every check cell of the exercise ran and printed the reference output;
failed   a check said no: AssertionError, or it printed something other than the reference;
error    the check could not reach a verdict: the student's code raised (NotImplementedError of an
         untouched stub, NameError of a renamed function, ...), the kernel died, or the notebook
         is not valid JSON;
timeout  a cell of the exercise ran longer than ``timeout`` seconds and was stopped;
missing  the notebook or the exercise cell is not in the submission;
flagged  needs a person: 0 points until reviewed (``run_status``/``run_points`` say what the run gave).

Flagging policy
---------------
The grader runs student code in the same kernel as the checks, so it cannot make every trick
harmless. What it does undo, it undoes and only notes (the record keeps the points its real code
earns): shadowing the check's name (the check cell re-imports it) and assigning a function of a
check module (the reload restores the module). Everything else that could change what a later check
sees is *flagged*, by a static (ast) scan of each exercise cell (IPython magics expanded first):
imports of importlib, builtins, ctypes, gc, inspect, types, subprocess, signal, threading, IPython,
pytest, nbval, ... ; ``sys`` and ``os`` beyond a few read-only names (``sys.float_info``,
``os.path``, ``os._exit`` -- a crash only hurts its author and is graded as one); eval, exec,
compile, globals, vars, setattr, delattr, ``__import__``, get_ipython (except %time/%timeit/
%matplotlib); dunder or frame attributes (``__dict__``, ``__code__``, ``f_globals``...); assigning
to an attribute of any other imported module (``np.isclose = ...``); file writes; classes that
define comparison or conversion dunders (objects that compare equal to anything). A flag on one
exercise cell also flags every exercise whose check runs after it in the same notebook.
The scan is a tripwire for review, not a sandbox: grade untrusted classes in a container.

Robustness
----------
A cell that runs longer than ``timeout`` is interrupted (nbval's ``--nbval-cell-timeout``); the
rest of the notebook still runs. A kernel that dies (``os._exit``, segfault) is noticed at once --
the plugin polls the kernel while waiting instead of waiting out the timeout -- and the notebook is
run again in a fresh kernel with the culprit exercise replaced by its stub, so later exercises get
the points their code earns. Invalid JSON, nbformat 4.4 without ids, missing notebooks or cells:
each gets a clear message, and the rest of the batch is graded.

Parallel strategy (``jobs``)
----------------------------
With ``jobs=1`` one pytest process runs every merged notebook of the batch, one after the other.
With ``jobs=N`` the default strategy, "split", starts N plain pytest processes at once and deals
the merged notebooks out to them by size (most code cells first, each to the lightest share). It was
measured against pytest-xdist (one pytest, ``-n N --dist loadscope``; a scope is one notebook) and
one pytest process per submission, N at a time (benchmarks/bench_grade.py, 10 submissions, 2 cores):

                        fixture, 2 small notebooks each (best of 3)   course, 6 notebooks each (1 run)
    --jobs 1            18.4 s   12.2 s CPU                           187.1 s  168.7 s CPU
    --jobs 2, split     10.1 s   14.0 s CPU   1.82x                    96.5 s  168.5 s CPU   1.94x
    --jobs 2, xdist     11.0 s   14.9 s CPU   1.67x                    94.6 s  162.9 s CPU   1.98x
    --jobs 2, process   13.7 s   20.3 s CPU   1.34x                    (not run: slowest on the fixture)

Every pytest process pays ~0.5 s of CPU to start (python, pytest, nbval, nbformat); "process" pays
it once per submission, xdist once per worker plus its own collection and messaging, "split" only
N times. On the course's heavier notebooks split and xdist tie (within the noise of a shared
machine); on small notebooks split is ahead, so it is the default. Its drawback: shares are fixed
up front, so a notebook that hangs until the timeout delays only its own share while the other
finishes early (xdist would rebalance); ``--strategy xdist`` / ``strategy="xdist"`` is there for
classes with many hanging submissions. The nbval runs also leave out jsonschema's rfc3987_syntax
import (about 1 s of CPU per process, used only for the "iri" format, see _clean_env).

Nothing is ever written into a submission or into the release.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_RELEASE = Path(__file__).resolve().parent.parent / "notebooks"
DEFAULT_TIMEOUT = 60.0
DEFAULT_STRATEGY = "split"
STRATEGIES = ("split", "xdist", "process")
STATUSES = ("passed", "failed", "error", "timeout", "missing", "flagged")
PLUGIN = "course_utils.grade"  # the module pytest loads with -p (this file)

_SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", ".git", ".pytest_cache"}


class UsageError(ValueError):
    """Bad input to grade() or the command line; the message names the argument and what was expected."""


# ------------------------------------------------------------------------------------------ release
@dataclass
class Exercise:
    """One graded exercise of a release notebook."""

    name: str
    points: int
    cell_id: str
    stub: str  # the release's source of the exercise cell
    check_ids: list = field(default_factory=list)


@dataclass
class ReleaseNotebook:
    """A parsed release notebook: its JSON, exercises, and the role of every code cell."""

    name: str
    origin: str
    nb: dict
    exercises: dict  # exercise name -> Exercise, in notebook order
    code_ids: list  # cell id of every code cell in order: nbval's "Cell N" is code_ids[N]
    roles: dict  # cell id -> ("exercise" | "check" | "demo", exercise name or None)
    check_modules: tuple  # modules the check cells import from (reloaded before every check)
    check_names: frozenset  # names the check cells import
    module_aliases: dict  # name -> module bound by imports in the release's code cells

    def code_index(self, cell_id):
        return self.code_ids.index(cell_id)


@dataclass
class Release:
    """The release folder: notebooks by file name, and support files copied next to merged copies."""

    path: Path
    notebooks: dict
    support: list


def _source(cell):
    src = cell.get("source", "")
    if isinstance(src, list) and all(isinstance(s, str) for s in src):
        return "".join(src)
    if isinstance(src, str):
        return src
    raise TypeError("cell source is neither a string nor a list of strings")


def _course(cell):
    meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    course = meta.get("course")
    return course if isinstance(course, dict) else {}


def _tags(cell):
    meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    tags = meta.get("tags")
    return tags if isinstance(tags, list) else []


def _python(source):
    """Source with IPython syntax (%magic, !shell) turned into Python; the source itself on failure."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 -- IPython missing or confused: scan the raw text
        return source


def _imports(source):
    """Return ({alias: module path}, [modules imported from]) for the import statements in source."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return {}, []
    aliases, modules = {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                modules.append(a.name)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.append(node.module)
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases, modules


def parse_release_notebook(name, text, origin):
    """Parse one release notebook (JSON text). Returns a ReleaseNotebook; raises UsageError if malformed."""
    where = f"--release: {origin}"
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{where} is not valid notebook JSON ({exc})") from None
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise UsageError(f"{where}: expected an nbformat 4 notebook with a list of cells")
    exercises, roles, code_ids, seen = {}, {}, [], set()
    checks = []
    for n, cell in enumerate(nb["cells"]):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not cell_id:
            raise UsageError(f"{where}: cell {n} has no id; a release must be nbformat 4.5 with cell ids "
                             "(regenerate it with python -m course_utils.build)")
        if cell_id in seen:
            raise UsageError(f"{where}: two cells have the id {cell_id!r}; ids must be unique")
        seen.add(cell_id)
        if cell.get("cell_type") != "code":
            continue
        code_ids.append(cell_id)
        tags, course = _tags(cell), _course(cell)
        if "exercise" in tags:
            ex, points = course.get("exercise"), course.get("points")
            if not isinstance(ex, str) or not isinstance(points, int) or isinstance(points, bool) or points < 0:
                raise UsageError(f"{where}: exercise cell {cell_id!r} needs metadata "
                                 '{"course": {"exercise": "<name>", "points": <int >= 0>}}')
            if ex in exercises:
                raise UsageError(f"{where}: two exercise cells for exercise {ex!r}")
            exercises[ex] = Exercise(ex, points, cell_id, _source(cell))
            roles[cell_id] = ("exercise", ex)
        elif "check" in tags:
            ex = course.get("exercise")
            if not isinstance(ex, str):
                raise UsageError(f"{where}: check cell {cell_id!r} needs metadata {{\"course\": {{\"exercise\": \"<name>\"}}}}")
            roles[cell_id] = ("check", ex)
            checks.append((cell_id, ex))
        else:
            roles[cell_id] = ("demo", None)
    for cell_id, ex in checks:
        if ex not in exercises:
            raise UsageError(f"{where}: check cell {cell_id!r} checks exercise {ex!r}, which has no exercise cell")
        exercises[ex].check_ids.append(cell_id)
    for ex in exercises.values():
        if not ex.check_ids:
            raise UsageError(f"{where}: exercise {ex.name!r} has no check cell, so it could never earn points")
    aliases, check_modules, check_names = {}, [], set()
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code" or roles[cell["id"]][0] == "exercise":
            continue
        found, modules = _imports(_source(cell))
        aliases.update(found)
        if roles[cell["id"]][0] == "check":
            check_modules += [m for m in modules if m not in check_modules]
            check_names |= set(found)
    return ReleaseNotebook(name, origin, nb, exercises, code_ids, roles, tuple(check_modules),
                           frozenset(check_names), aliases)


def load_release(path=None):
    """Load the release folder (default: the course's notebooks/). Returns a Release; raises UsageError."""
    path = Path(DEFAULT_RELEASE if path is None else path)
    if not path.is_dir():
        raise UsageError(f"--release DIR: {path} is not a folder; expected the course's released notebooks "
                         "(default: notebooks/ next to course_utils)")
    notebooks, support = {}, []
    for entry in sorted(path.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
            continue
        if entry.suffix == ".ipynb" and entry.is_file():
            notebooks[entry.name] = parse_release_notebook(entry.name, entry.read_text(encoding="utf-8"), str(entry))
        else:
            support.append(entry)
    if not notebooks:
        raise UsageError(f"--release DIR: {path} holds no .ipynb notebooks")
    return Release(path, notebooks, support)


def _pristine_text(release_file):
    """The committed (git HEAD) text of release_file, or None outside a git checkout. Read-only."""
    try:
        done = subprocess.run(["git", "-C", str(release_file.parent), "show", f"HEAD:./{release_file.name}"],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8") if done.returncode == 0 else None


# -------------------------------------------------------------------------------------- submissions
@dataclass
class Submission:
    """One student's notebooks: release name -> Path (found), list of Paths (ambiguous) or None (missing)."""

    student: str
    path: Path
    files: dict
    extra: list = field(default_factory=list)


def _notebooks_under(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
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
    """Resolve SUBMISSION arguments into a list of Submission (one per student); raises UsageError."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise UsageError("SUBMISSION: expected at least one notebook file or folder")
    students = {}  # folder -> Submission
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
        direct = [c for c in sorted(p.iterdir()) if c.suffix == ".ipynb" and c.is_file() and not c.name.startswith(".")]
        folders = [p] if direct else [c for c in sorted(p.iterdir())
                                      if c.is_dir() and c.name not in _SKIP_DIRS and not c.name.startswith(".")]
        if not folders or not any(_notebooks_under(f) for f in folders):
            raise UsageError(f"SUBMISSION {p}: no submissions found; expected .ipynb files, a folder of them, "
                             "or a folder of student folders")
        for folder in folders:
            key = folder.resolve()
            sub = Submission(key.name, key, None)
            students[key] = sub
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
        result.append(sub)
    names = [s.student for s in result]
    for sub in result:  # two folders with the same name: use the paths
        if names.count(sub.student) > 1:
            sub.student = str(sub.path)
    return result


# ---------------------------------------------------------------------------- exercise selection
@dataclass
class Pick:
    """The source taken for one exercise: status None (taken), "missing" or "flagged" (ambiguous)."""

    source: str | None
    status: str | None
    message: str = ""
    how: str = "id"


def pick_exercise_cells(sub_nb, rnb):
    """Choose each exercise's source in a submitted notebook (a dict). Returns {exercise name: Pick}."""
    cells = [c for c in sub_nb.get("cells", []) if isinstance(c, dict)]
    picks = {}
    for ex in rnb.exercises.values():
        by_id = [c for c in cells if c.get("id") == ex.cell_id]
        how = "id"
        if not by_id:
            how = "tag"
            by_id = [c for c in cells if c.get("cell_type") == "code" and "exercise" in _tags(c)
                     and _course(c).get("exercise") == ex.name]
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
                picks[ex.name] = Pick(_source(by_id[0]), None, how=how)
            except TypeError as exc:
                picks[ex.name] = Pick(None, "missing", f"exercise cell {ex.cell_id!r}: {exc}")
    return picks


# ------------------------------------------------------------------------------------ static scan
_BLOCKED_MODULES = {
    "importlib", "builtins", "__builtin__", "ctypes", "gc", "inspect", "subprocess", "shutil", "signal",
    "threading", "_thread", "multiprocessing", "concurrent", "asyncio", "pytest", "_pytest", "nbval",
    "IPython", "ipykernel", "jupyter_client", "zmq", "unittest", "mock", "types", "marshal", "pickle",
    "atexit", "faulthandler", "site", "runpy", "code", "codeop", "pty", "socket", "posix", "nt",
    "trace", "tracemalloc", "sysconfig", "course_utils.grade",
}
_PARTIAL_MODULES = {  # module -> the only attributes an exercise may use
    "sys": {"float_info", "maxsize", "version", "version_info", "byteorder", "float_repr_style"},
    "os": {"path", "getcwd", "cpu_count", "sep", "linesep", "_exit", "getpid", "name", "curdir"},
}
_FORBIDDEN_NAMES = {"eval", "exec", "compile", "globals", "locals", "vars", "setattr", "delattr",
                    "__import__", "__builtins__", "breakpoint"}
_OK_DUNDERS = {"__name__", "__doc__", "__qualname__", "__init__", "__main__", "__file__"}
_FRAME_ATTRS = {"tb_frame", "tb_next", "f_back", "f_globals", "f_locals", "f_builtins", "f_code",
                "gi_frame", "cr_frame", "ag_frame"}
_WRITE_ATTRS = {"write_text", "write_bytes", "unlink", "rmdir", "touch", "symlink_to", "hardlink_to",
                "chmod", "savetxt", "savez", "savez_compressed", "tofile"}
_SAFE_MAGICS = {"time", "timeit", "matplotlib"}
_CLASS_DUNDERS_OK = {"__init__", "__repr__", "__str__"}


def _dotted(node):
    """'a.b.c' for a chain of Attribute nodes over a Name (root name, dotted path), else (None, None)."""
    parts = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, ".".join([node.id] + parts[::-1])
    return None, None


def scan_exercise_source(source, check_modules=("course_utils.checks",), module_aliases=None, check_names=()):
    """Statically scan one exercise cell for ways to tamper with grading.

    source -- the exercise cell's text (IPython magics allowed)
    check_modules -- modules the check cells import (the grader reloads them before every check)
    module_aliases -- name -> module bound by imports in the release's other cells (e.g. {"np": "numpy"})
    check_names -- names the check cells import (shadowing them is undone by the check's re-import)
    Returns (flags, notes): flags -- reasons to hold the record for review (list of str);
    notes -- tampering the grader undoes by itself (list of str).
    """
    flags, notes = [], []
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return flags, notes  # it cannot run either; the grading run reports the SyntaxError

    def flag(node, what):
        reason = f"{what} (line {getattr(node, 'lineno', '?')})"
        if reason not in flags:
            flags.append(reason)

    aliases = dict(module_aliases or {})
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def blocked(module):
        parts = module.split(".")
        if any(".".join(parts[: i + 1]) in _BLOCKED_MODULES for i in range(len(parts))):
            return True
        return parts[0] in _PARTIAL_MODULES and len(parts) > 1 and parts[1] not in _PARTIAL_MODULES[parts[0]]

    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    safe_ipython = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("run_line_magic", "run_cell_magic")
                and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name)
                and node.func.value.func.id == "get_ipython" and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in _SAFE_MAGICS):
            safe_ipython.add(node.func.value.func)
            for arg in node.args[1:]:  # %timeit / %%time run their argument or body as code: scan it too
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    inner_flags, inner_notes = scan_exercise_source(arg.value, check_modules, module_aliases,
                                                                    check_names)
                    flags += [f for f in inner_flags if f not in flags]
                    notes += inner_notes

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if blocked(a.name):
                    flag(node, f"imports {a.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                flag(node, "uses a relative import")
            for a in node.names:
                if blocked(module) or blocked(f"{module}.{a.name}") or a.name == "*":
                    flag(node, f"imports {a.name} from {module}")
        elif isinstance(node, ast.Name):
            if node.id == "get_ipython" and node not in safe_ipython:
                flag(node, "uses get_ipython() or a shell/magic command")
            elif node.id in _FORBIDDEN_NAMES:
                flag(node, f"uses {node.id}")
            elif node.id.startswith("__") and node.id.endswith("__") and node.id not in _OK_DUNDERS:
                flag(node, f"uses {node.id}")
            elif node.id in aliases and isinstance(node.ctx, ast.Load):
                module = aliases[node.id]
                root = module.split(".")[0]
                parent = parents.get(node)
                if root in _PARTIAL_MODULES and module == root and not isinstance(parent, ast.Attribute):
                    flag(node, f"passes the {root} module around")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr.endswith("__") and node.attr not in _OK_DUNDERS:
                flag(node, f"uses the attribute {node.attr}")
            elif node.attr in _FRAME_ATTRS:
                flag(node, f"walks the call stack ({node.attr})")
            elif node.attr in _WRITE_ATTRS and isinstance(parents.get(node), ast.Call):
                flag(node, f"writes files ({node.attr})")
            root, path = _dotted(node)
            if root in aliases and isinstance(node.value, ast.Name):
                full = aliases[root] + path[len(root):]
                parts = full.split(".")
                if parts[0] in _PARTIAL_MODULES and len(parts) > 1 and parts[1] not in _PARTIAL_MODULES[parts[0]]:
                    flag(node, f"uses {parts[0]}.{parts[1]}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
                attr = node.args[1]
                if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)
                        and not attr.value.startswith("__")):
                    flag(node, "uses getattr with a computed or dunder name")
            elif isinstance(func, ast.Name) and func.id == "type" and len(node.args) == 3:
                flag(node, "builds a class with type(name, bases, dict)")
            elif isinstance(func, ast.Name) and func.id == "open":
                mode = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "mode"), None)
                if mode is not None and not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)
                                             and not set(mode.value) & set("wax+")):
                    flag(node, "opens a file for writing")
        elif isinstance(node, ast.ClassDef):
            dunders = sorted(f.name for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                             and f.name.startswith("__") and f.name not in _CLASS_DUNDERS_OK)
            if dunders:
                flag(node, f"defines class {node.name} with {', '.join(dunders)} (it could compare equal to anything)")

        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            root, path = _dotted(node)
            if root in aliases:
                full = aliases[root] + path[len(root):]
                owner = full.rsplit(".", 1)[0]
                if isinstance(node, ast.Attribute) and owner in check_modules:
                    notes.append(f"exercise cell replaces {full} (line {node.lineno}); undone: the grader "
                                 "reloads the checks before every check cell")
                else:
                    flag(node, f"changes {full}, which other code relies on")

    for node in tree.body:  # top-level names that shadow what a check cell imports
        names = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        for n in names:
            if n in check_names:
                notes.append(f"exercise cell defines {n} (line {node.lineno}), a name the check cell imports; "
                             "undone: the check cell re-imports the real one")
    return flags, notes


# ------------------------------------------------------------------------------------ merged copy
def harden_check_source(source, modules):
    """The check cell's source preceded by lines that reload its check modules from disk (str)."""
    if not modules:
        return source
    names = ", ".join(repr(m) for m in modules) + ","
    return ("import importlib as _grader_importlib, sys as _grader_sys  # added by the grader\n"
            f"for _grader_module in ({names}):  # undo changes a student made to the checks\n"
            "    if _grader_module in _grader_sys.modules:\n"
            "        _grader_importlib.reload(_grader_sys.modules[_grader_module])\n" + source)


def merge_notebook(rnb, sources):
    """The release notebook with exercise sources from `sources` ({exercise: str or None = stub}).

    Check cells get the reload prelude; exercise cells lose outputs and execution counts (so nbval
    does not compare them); everything else is the release's. Returns a notebook dict.
    """
    cells = []
    for cell in rnb.nb["cells"]:
        role = rnb.roles.get(cell.get("id"), (None, None))
        if role[0] == "exercise":
            src = sources.get(role[1])
            cell = dict(cell, source=rnb.exercises[role[1]].stub if src is None else src,
                        outputs=[], execution_count=None)
        elif role[0] == "check":
            cell = dict(cell, source=harden_check_source(_source(cell), rnb.check_modules))
        cells.append(cell)
    return dict(rnb.nb, cells=cells)


# ------------------------------------------------------------------------------------- records
@dataclass
class Record:
    """One graded exercise of one student's notebook (message: the whole failure message; the table shows line 1)."""

    student: str
    notebook: str
    exercise: str
    points: int
    max_points: int
    status: str
    message: str
    cell_id: str
    submission: str
    notes: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    run_status: str | None = None  # flagged records: what the run gave before review
    run_points: int | None = None

    def to_dict(self):
        return dict(self.__dict__)


@dataclass
class Report:
    """What grade() found: one Record per (student, notebook, exercise), plus per-notebook notes."""

    release: str
    records: list
    notebooks: list  # dicts: student, notebook, submission, status, notes, seconds
    settings: dict
    seconds: float

    def totals(self):
        """Return {student: (points, max_points)} in the order students were graded."""
        out = {}
        for r in self.records:
            p, m = out.get(r.student, (0, 0))
            out[r.student] = (p + r.points, m + r.max_points)
        return out

    def to_dict(self):
        """The JSON object: release, results (one dict per record), students, notebooks, settings."""
        students = [{"student": s, "points": p, "max_points": m,
                     "flagged": sum(1 for r in self.records if r.student == s and r.status == "flagged")}
                    for s, (p, m) in self.totals().items()]
        return {"release": self.release, "results": [r.to_dict() for r in self.records],
                "students": students, "notebooks": self.notebooks, "settings": self.settings,
                "seconds": round(self.seconds, 3)}

    def write_json(self, path):
        """Write to_dict() to path as JSON; returns the Path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        return path

    def format_table(self):
        """The terminal table: one row per record, a total row per student, then notes. Returns str."""
        header = ("student", "notebook", "exercise", "points", "status", "message")
        rows = []
        totals = self.totals()
        last = None
        for r in self.records:
            if last is not None and r.student != last:
                rows.append((last, "TOTAL", "", "{}/{}".format(*totals[last]), "", ""))
            last = r.student
            message = r.message.splitlines()[0] if r.message else ""
            if not message and r.notes:
                message = "note: " + r.notes[0]
            rows.append((r.student, Path(r.notebook).stem, r.exercise, f"{r.points}/{r.max_points}",
                         r.status, message))
        if last is not None:
            rows.append((last, "TOTAL", "", "{}/{}".format(*totals[last]), "", ""))
        widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(5)]
        lines = ["  ".join(str(c).ljust(w) for c, w in zip(header[:5], widths)) + "  " + header[5]]
        lines.append("-" * min(120, len(lines[0]) + 20))
        for row in rows:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(row[:5], widths)) + "  " + _clip(row[5], 110))
        counts = {s: sum(1 for r in self.records if r.status == s) for s in STATUSES}
        lines.append("")
        lines.append(f"{len(totals)} student(s), {len(self.notebooks)} notebook(s), {self.seconds:.1f} s; "
                     + ", ".join(f"{s} {n}" for s, n in counts.items() if n))
        notes = [(nb["student"], nb["notebook"], n) for nb in self.notebooks for n in nb["notes"]]
        if notes:
            lines.append("notes:")
            lines += [f"  {s} / {Path(nb).stem}: {n}" for s, nb, n in notes]
        return "\n".join(lines)


def _clip(text, width):
    return text if len(text) <= width else text[: width - 3] + "..."


def _first_line(text):
    lines = [ln for ln in str(text or "").splitlines() if ln.strip()]
    return lines[0].strip() if lines else ""


# --------------------------------------------------------------------------------- grading a batch
@dataclass
class _Job:
    """One (student, release notebook) pair being graded."""

    sub: Submission
    rnb: ReleaseNotebook
    file: Path | None
    problem: tuple | None = None  # (status, message) that decides every exercise of the notebook
    picks: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)  # exercise -> own reasons
    notes: dict = field(default_factory=dict)  # exercise -> notes
    nb_notes: list = field(default_factory=list)
    stubbed: set = field(default_factory=set)
    results: dict = field(default_factory=dict)  # code cell index -> row dict (final)
    crashes: dict = field(default_factory=dict)  # code cell index -> "died" | "stopped"
    seconds: float = 0.0
    run_error: str = ""
    release_support: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)  # this run's rows: {code cell index: {"setup"/"call": row}}
    rows_error: str = ""

    def sources(self):
        return {name: (None if name in self.stubbed else pick.source) for name, pick in self.picks.items()}


def _prepare(sub, rnb, file, release):
    """Read one submitted notebook and pick its exercise cells. Returns a _Job."""
    job = _Job(sub, rnb, file if isinstance(file, Path) else None)
    if file is None:
        job.problem = ("missing", f"notebook {rnb.name} is not in the submission ({sub.path.name}/)")
        return job
    if isinstance(file, list):
        job.problem = ("flagged", f"{len(file)} files could be {rnb.name} ({', '.join(p.name for p in file)}); "
                                  "took none -- rename the one to grade")
        return job
    if release is not None and (release.path / rnb.name).exists() and os.path.samefile(file, release.path / rnb.name):
        # grading the release's own file (a student checking notebooks/ in place): compare with git HEAD
        text = _pristine_text(release.path / rnb.name)
        if text is not None:
            try:
                job.rnb = rnb = parse_release_notebook(rnb.name, text, f"git HEAD:{rnb.name}")
            except UsageError:
                job.nb_notes.append("the committed release notebook could not be read; graded against the file itself")
        else:
            job.nb_notes.append("this file is the release notebook itself and no pristine copy (git HEAD) was found: "
                                "reference outputs come from your own file")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        job.problem = ("error", f"{file.name} is not a text file ({exc.reason}); expected notebook JSON")
        return job
    except ValueError as exc:
        job.problem = ("error", f"{file.name} is not valid JSON ({exc}); was it saved completely?")
        return job
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        job.problem = ("error", f"{file.name} is not an nbformat 4 notebook (no list of cells)")
        return job
    job.picks = pick_exercise_cells(data, rnb)
    for name, pick in job.picks.items():
        if pick.source is not None:
            job.flags[name], job.notes[name] = scan_exercise_source(
                pick.source, rnb.check_modules, rnb.module_aliases, rnb.check_names)
            if pick.how == "tag":
                job.notes[name].append("exercise cell found by its tag (its id was missing or changed)")
    code = [c for c in data["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]
    with_id = [c for c in code if isinstance(c.get("id"), str)]
    added = sum(1 for c in with_id if c["id"] not in rnb.roles)
    if len(with_id) < len(code):  # no ids to tell: count what the release does not have
        added += max(0, len(code) - len(with_id) - sum(1 for cid in rnb.code_ids
                                                       if cid not in {c["id"] for c in with_id}))
    if added:
        job.nb_notes.append(f"{added} code cell(s) you added were not run: only exercise cells are graded")
    return job


_NO_RFC3987 = ('raise ImportError("left out by course_utils.grade: jsonschema only uses it to check the '
               '\'iri\' format, and importing it costs a second in every pytest process")\n')


def _clean_env(workdir=None):
    """The environment of the nbval runs (and of their kernels)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k not in ("MPLBACKEND", "JPY_PARENT_PID")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # load only nbval (+ xdist): faster and reproducible
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    paths = [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH")]
    if workdir is not None:
        # nbformat -> jsonschema imports rfc3987_syntax, which builds a grammar for ~1 s of CPU in the
        # controller and in every xdist worker; jsonschema skips it on ImportError (nbval is unaffected)
        shim = Path(workdir) / "_grader_path"
        shim.mkdir(exist_ok=True)
        (shim / "rfc3987_syntax.py").write_text(_NO_RFC3987, encoding="utf-8")
        paths.insert(0, str(shim))
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def _pytest_command(notebooks, workdir, results, jobs, timeout):
    cmd = [sys.executable, "-m", "pytest", "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir),
           "-p", "no:cacheprovider", "-p", "nbval.plugin", "-p", PLUGIN, "--nbval", "--nbval-current-env",
           f"--nbval-cell-timeout={timeout:g}", f"--grader-results={results}", "-q", "--tb=no",
           "-W", "ignore::DeprecationWarning"]
    if jobs > 1:
        cmd += ["-p", "xdist.plugin", "-n", str(jobs), "--dist", "loadscope"]
    return cmd + [str(p) for p in notebooks]


_RUNNING = set()  # nbval subprocesses still running, stopped if grading is interrupted


def _stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its kernels notice their parent is gone and exit
    except ProcessLookupError:
        pass
    proc.wait()


def _run_pytest(notebooks, workdir, results, jobs, timeout, cells):
    """Run one pytest subprocess over notebooks; returns {file: {cell: {"setup"/"call": row}}}, error text."""
    log = results.with_suffix(".log")
    limit = 300 + cells * (timeout + 10)  # a backstop only: nbval enforces the per-cell timeout
    with open(log, "wb") as out:
        proc = subprocess.Popen(_pytest_command(notebooks, workdir, results, jobs, timeout), cwd=workdir,
                                env=_clean_env(workdir), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        _RUNNING.add(proc)
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            _stop(proc)
            return {}, f"the nbval run exceeded {limit:g} s and was stopped"
        finally:
            _RUNNING.discard(proc)
    if not results.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        return {}, "nbval did not run: " + " | ".join(tail)
    rows = json.loads(results.read_text(encoding="utf-8"))
    by_file = {}
    for row in rows:
        by_file.setdefault(row["file"], {}).setdefault(row["cell"], {})[row["when"]] = row
    return by_file, ""


def _run_all(jobs_to_run, workdir, jobs, timeout, strategy, tag):
    """Write merged copies of jobs_to_run under workdir/tag and run nbval on them; fills job.rows."""
    base = workdir / tag
    paths, students = {}, {}
    for job in jobs_to_run:
        folder = base / f"s{students.setdefault(id(job.sub), len(students)):03d}"  # one folder per student
        if not folder.exists():
            folder.mkdir(parents=True)
            for entry in job.release_support:
                if entry.is_dir():
                    shutil.copytree(entry, folder / entry.name, ignore=shutil.ignore_patterns(*_SKIP_DIRS))
                else:
                    shutil.copy2(entry, folder / entry.name)
        path = folder / job.rnb.name
        path.write_text(json.dumps(merge_notebook(job.rnb, job.sources())), encoding="utf-8")
        paths[id(job)] = path
    ncells = {id(j): len(j.rnb.code_ids) for j in jobs_to_run}
    by_student = {}
    for job in jobs_to_run:
        by_student.setdefault(id(job.sub), []).append(job)
    if strategy == "xdist" or jobs == 1 and strategy == "split":
        groups = [jobs_to_run]
    elif strategy == "process":  # one pytest process per submission
        groups = list(by_student.values())
    else:  # "split": `jobs` processes, notebooks dealt out by size (largest first to the lightest share)
        shares = [[] for _ in range(min(jobs, len(jobs_to_run)))]
        weight = [0] * len(shares)
        for job in sorted(jobs_to_run, key=lambda j: -ncells[id(j)]):
            k = weight.index(min(weight))
            shares[k].append(job)
            weight[k] += ncells[id(job)]
        groups = shares

    def run(n_group):
        n, group = n_group
        files = [paths[id(j)] for j in group]
        return _run_pytest(files, workdir, workdir / f"results-{tag}-{n}.json",
                           jobs if strategy == "xdist" else 1, timeout, sum(ncells[id(j)] for j in group))

    pool = ThreadPoolExecutor(max_workers=1 if strategy == "xdist" else jobs)
    try:
        outcomes = list(pool.map(run, enumerate(groups)))
    except BaseException:  # e.g. Ctrl-C: stop the runs, then let the threads finish
        for proc in list(_RUNNING):
            _stop(proc)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for group, (by_file, error) in zip(groups, outcomes):
        for job in group:
            job.rows = by_file.get(str(paths[id(job)]), {})
            job.rows_error = error


def _row(cells, index):
    """Merge the setup and call rows of one cell into one dict (ran=False when nbval never got to it)."""
    rows = cells.get(index, {})
    setup, call = rows.get("setup"), rows.get("call")
    if setup and not setup.get("ok"):
        return dict(setup, ran=True)
    if call:
        return dict(call, ran=True, duration=call.get("duration", 0) + (setup or {}).get("duration", 0))
    return {"ok": False, "ran": False, "alive": True}


def _absorb(job, start, timeout):
    """Take this run's rows for code cells >= start; return the crash cell index (or None)."""
    rows, crash = job.rows, None
    job.seconds += sum(r.get("duration", 0.0) for cell in rows.values() for r in cell.values())
    for i in range(start, len(job.rnb.code_ids)):
        row = _row(rows, i)
        job.results[i] = row
        if crash is None and row.get("ran") and not row.get("alive", True) and not row.get("dead_at_start"):
            crash = i
            job.crashes[i] = "stopped" if row.get("timeout") else "died"
        elif crash is None and row.get("dead_at_start") and i - 1 >= start:
            crash = i - 1  # the kernel died after the previous cell had replied
            job.crashes[i - 1] = "died"
    return crash


def _culprits(job, crash):
    """Exercises to replace by their stub after the kernel died at code cell `crash`."""
    role, name = job.rnb.roles[job.rnb.code_ids[crash]]
    if role in ("exercise", "check"):
        return {name} - job.stubbed
    return {n for n, ex in job.rnb.exercises.items()  # a demo cell died: every student cell before it is suspect
            if job.rnb.code_index(ex.cell_id) < crash and job.picks[n].source is not None} - job.stubbed


def _judge(job, ex, timeout):
    """(status, points, message) of exercise ex from the final cell results of a job."""
    rnb = job.rnb
    ex_index = rnb.code_index(ex.cell_id)
    check_indexes = [rnb.code_index(c) for c in ex.check_ids]
    for i in [ex_index] + check_indexes:
        if i in job.crashes:
            cid = rnb.code_ids[i]
            if job.crashes[i] == "stopped":
                return "timeout", 0, (f"cell {cid!r} ran longer than {timeout:g} s and the kernel could not be "
                                      "interrupted; the rest of the notebook was graded in a fresh kernel")
            return "error", 0, (f"the Python kernel died while running cell {cid!r} (os._exit, a crash or out of "
                                "memory); the rest of the notebook was graded in a fresh kernel without this exercise")
    for i in [ex_index] + check_indexes:
        if job.results[i].get("timeout"):
            return "timeout", 0, (f"cell {rnb.code_ids[i]!r} ran longer than {timeout:g} s and was interrupted "
                                  "(an endless loop?)")
    checks = [(i, job.results[i]) for i in check_indexes]
    if all(r.get("ok") for _, r in checks):
        return "passed", ex.points, ""
    i, r = next((i, r) for i, r in checks if not r.get("ok"))
    cid = rnb.code_ids[i]
    if not r.get("ran"):
        return "error", 0, f"check cell {cid!r} did not run: {job.run_error or 'nbval gave no result for it'}"
    if r.get("dead_at_start"):
        dead = min((k for k in job.crashes), default=None)
        where = f" in cell {rnb.code_ids[dead]!r}" if dead is not None else ""
        return "error", 0, f"not run: the kernel died earlier{where}"
    exr = job.results[ex_index]
    prefix = ""
    if exr.get("ran") and not exr.get("ok") and exr.get("ename"):
        prefix = f"exercise cell raised {exr['ename']}: {_first_line(exr.get('evalue'))}; then "
    ename, evalue = r.get("ename"), str(r.get("evalue") or "").strip()  # the whole message: hints follow line 1
    if ename == "AssertionError":
        status, message = "failed", evalue or "AssertionError (the check gave no message)"
    elif r.get("text") == "Cell outputs differ":
        expected, got = r.get("expected", ""), r.get("got", "")
        status, message = "failed", (f"check cell {cid!r} printed {_clip(got.strip(), 80)!r} but the reference "
                                     f"output is {_clip(expected.strip(), 80)!r} (does your function print?)")
    elif ename:
        status, message = "error", f"{ename}: {evalue}"
        if ename == "NameError":
            message = (f"{ename}: {_first_line(evalue)} -- define it in exercise cell {ex.cell_id!r} (only "
                       "exercise cells are graded; cells you added do not run)")
    else:
        status, message = "error", f"{r.get('exception', 'error')}: {_first_line(r.get('text'))}"
    if prefix:
        status = "error"
    return status, 0, prefix + message


def _records_for(job, timeout):
    rnb = job.rnb
    records = []
    propagated = {name: [] for name in rnb.exercises}
    for a in rnb.exercises.values():  # a flag on an exercise cell holds every check that runs after it
        reasons = job.flags.get(a.name) or []
        a_index = rnb.code_index(a.cell_id)
        for b in rnb.exercises.values():
            if reasons and any(rnb.code_index(c) > a_index for c in b.check_ids):
                propagated[b.name] += (reasons if a is b else
                                       [f"exercise cell {a.cell_id!r} ({a.name}), which runs before this check, {r}"
                                        for r in reasons])
    for ex in rnb.exercises.values():
        base = dict(student=job.sub.student, notebook=rnb.name, exercise=ex.name, max_points=ex.points,
                    cell_id=ex.cell_id, submission=str(job.file or job.sub.path))
        if job.problem:
            records.append(Record(points=0, status=job.problem[0], message=job.problem[1], **base))
            continue
        pick = job.picks[ex.name]
        if pick.status:
            records.append(Record(points=0, status=pick.status, message=pick.message, **base))
            continue
        status, points, message = _judge(job, ex, timeout)
        notes = job.notes.get(ex.name, [])
        flags = propagated[ex.name]
        if flags:
            records.append(Record(points=0, status="flagged", notes=notes, flags=flags, run_status=status,
                                  run_points=points, message=f"for review: {'; '.join(flags)} -- the run says "
                                                             f"{status} {points}/{ex.points}", **base))
        else:
            records.append(Record(points=points, status=status, message=message, notes=notes, **base))
    return records


def _notebook_notes(job):
    notes = list(job.nb_notes)
    rnb = job.rnb
    for i, cid in enumerate(rnb.code_ids):
        r = job.results.get(i)
        if rnb.roles[cid][0] == "demo" and r and r.get("ran") and not r.get("ok") and not r.get("dead_at_start") \
                and not r.get("skipped"):
            why = f"{r['ename']}: {_first_line(r.get('evalue'))}" if r.get("ename") else _first_line(r.get("text"))
            notes.append(f"demo cell {cid!r} failed ({_clip(why, 80)}); demo cells do not count for points")
    if job.run_error:
        notes.append(job.run_error)
    return notes


def grade(submissions, release=None, jobs=1, timeout=DEFAULT_TIMEOUT, strategy=None, workdir=None):
    """Grade submissions against a release with nbval.

    submissions -- a path or a list of paths: notebook files, student folders, or folders of them
    release -- the release folder (default: the course's notebooks/)
    jobs -- how many notebooks run at once (int >= 1); timeout -- seconds per cell (> 0)
    strategy -- "split" (default: `jobs` pytest processes, each a share of the batch), "xdist" (one
        pytest, -n jobs --dist loadscope) or "process" (one pytest per submission); see the module docstring
    workdir -- keep the merged notebooks in this (new or empty) folder instead of a temporary one
    Returns a Report (records in submission order). Raises UsageError for bad arguments.
    """
    start = time.perf_counter()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"--jobs N: expected a whole number >= 1, got {jobs!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise UsageError(f"--timeout SECONDS: expected a number > 0, got {timeout!r}")
    strategy = strategy or DEFAULT_STRATEGY
    if strategy not in STRATEGIES:
        raise UsageError(f"strategy: expected one of {', '.join(STRATEGIES)}, got {strategy!r}")
    rel = release if isinstance(release, Release) else load_release(release)
    subs = find_submissions(submissions, rel)
    work_jobs = []
    for sub in subs:
        for name, rnb in rel.notebooks.items():
            if name not in sub.files:
                continue  # a single file was named: grade only that notebook
            job = _prepare(sub, rnb, sub.files[name], rel)
            job.release_support = rel.support
            if sub.extra and name == next(iter(sub.files)):
                job.nb_notes.append("not graded (not release notebooks): " + ", ".join(p.name for p in sub.extra))
            work_jobs.append(job)
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="grade-")) if owned else Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        (workdir / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
        pending = [j for j in work_jobs if j.problem is None]
        starts = {id(j): 0 for j in pending}
        for attempt in range(1 + max((len(j.rnb.exercises) for j in pending), default=0)):
            if not pending:
                break
            _run_all(pending, workdir, jobs, timeout, strategy, f"run{attempt}")
            again = []
            for job in pending:
                job.run_error = job.rows_error
                crash = _absorb(job, starts[id(job)], timeout)
                if crash is None:
                    continue
                culprits = _culprits(job, crash)
                if culprits and crash + 1 < len(job.rnb.code_ids):
                    job.stubbed |= culprits
                    starts[id(job)] = crash + 1
                    again.append(job)
            pending = again
    finally:
        if owned:
            shutil.rmtree(workdir, ignore_errors=True)
    records, notebooks = [], []
    for job in work_jobs:
        records += _records_for(job, timeout)
        notebooks.append({"student": job.sub.student, "notebook": job.rnb.name,
                          "submission": str(job.file or job.sub.path),
                          "status": job.problem[0] if job.problem else "graded",
                          "notes": _notebook_notes(job), "seconds": round(job.seconds, 3)})
    settings = {"jobs": jobs, "timeout": timeout, "strategy": strategy}
    return Report(str(rel.path), records, notebooks, settings, time.perf_counter() - start)


# ------------------------------------------------------------------------------------------- CLI
def _inside(path, folder):
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def main(argv=None):
    """Command line entry point. Returns the exit status: 0 when grading ran, 2 for usage errors."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.grade",
        description="Grade notebooks with nbval: exercise cells from the submission, everything else from the release.")
    parser.add_argument("submission", nargs="+", metavar="SUBMISSION",
                        help="a notebook, a folder of one student's notebooks, or a folder of student folders")
    parser.add_argument("--release", metavar="DIR", default=None,
                        help=f"the released notebooks (default: {DEFAULT_RELEASE})")
    parser.add_argument("--json", metavar="FILE", default=None, help="also write the results as JSON to FILE")
    parser.add_argument("--jobs", metavar="N", default="1", help="notebooks graded at once (default 1)")
    parser.add_argument("--timeout", metavar="SECONDS", default=str(DEFAULT_TIMEOUT),
                        help=f"time limit per cell (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY,
                        help="how --jobs runs in parallel (default split; see the module docstring)")
    args = parser.parse_args(argv)
    try:
        jobs = int(args.jobs)
    except ValueError:
        parser.error(f"--jobs N: expected a whole number >= 1, got {args.jobs!r}")
    try:
        timeout = float(args.timeout)
    except ValueError:
        parser.error(f"--timeout SECONDS: expected a number > 0, got {args.timeout!r}")
    try:
        release = load_release(args.release)
        if args.json:
            target = Path(args.json)
            if target.is_dir():
                raise UsageError(f"--json FILE: {target} is a folder; expected a file name")
            submitted = [Path(s) if Path(s).is_dir() else Path(s).parent for s in args.submission]
            for folder in [release.path] + submitted:
                if _inside(target, folder):
                    raise UsageError(f"--json FILE: {target} is inside {folder}; the grader never writes into "
                                     "the release or a submission -- choose a file elsewhere")
        report = grade(args.submission, release=release, jobs=jobs, timeout=timeout, strategy=args.strategy)
    except UsageError as exc:
        parser.error(str(exc))
    print(report.format_table())
    if args.json:
        report.write_json(args.json)
        print(f"results written to {args.json}")
    return 0


# ----------------------------------------------------------------- pytest plugin (-p course_utils.grade)
class KernelDied(RuntimeError):
    """Raised in the nbval run when the kernel process is gone while nbval waits for a cell's reply."""


def _patch_nbval_kernel():
    """Make nbval notice a dead kernel at once instead of waiting out the cell timeout (nbval 0.11)."""
    from queue import Empty

    from nbval.kernel import RunningKernel

    if getattr(RunningKernel.await_reply, "_grader", False):
        return

    def await_reply(self, msg_id, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if wait <= 0:
                raise Empty
            try:
                msg = self.get_message(stream="shell", timeout=wait)
            except Empty:
                if not self.is_alive():
                    try:
                        self.stop()
                    except Exception:  # noqa: BLE001 -- already gone; only free the channels
                        pass
                    raise KernelDied("the kernel process died") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                if msg["content"]["status"] == "aborted":
                    raise RuntimeError("Kernel aborted execution request")
                return

    await_reply._grader = True
    RunningKernel.await_reply = await_reply


def _output_text(outputs):
    parts = []
    for out in outputs or []:
        if out.get("output_type") == "stream":
            text = out.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif out.get("output_type") in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
            parts.append(("".join(text) if isinstance(text, list) else text) + "\n")
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
    return "".join(parts)


def _describe(item, call):
    """A JSON-able row for one nbval cell item and phase."""
    row = {"file": str(item.path), "cell": item.cell_num, "when": call.when, "duration": call.duration, "ok": True}
    excinfo = call.excinfo
    if excinfo is not None:
        value = excinfo.value
        row.update(ok=False, exception=type(value).__name__, text=str(value),
                   skipped=type(value).__name__ == "Skipped")
        errors = [o for o in (getattr(item, "test_outputs", None) or []) if o.get("output_type") == "error"]
        if errors:
            row.update(ename=errors[-1].get("ename"), evalue=errors[-1].get("evalue"))
        if str(value) == "Cell outputs differ":
            from nbval.plugin import coalesce_streams

            row.update(expected=_output_text(coalesce_streams(list(item.cell.outputs))),
                       got=_output_text(item.test_outputs))
        row["dead_at_start"] = isinstance(value, RuntimeError) and str(value) == "Kernel dead on test start"
        row["timeout"] = str(value).startswith("Timeout of") or getattr(item, "_grader_timed_out", False)
    kernel = getattr(item.parent, "kernel", None)
    row["alive"] = bool(kernel is not None and kernel.is_alive())
    return row


def _plugin_class():
    import pytest

    class GraderPlugin:
        """Collects one row per nbval cell and phase; the controller writes them to a JSON file."""

        def __init__(self, config, path):
            self.path, self.rows = Path(path), []
            self.is_worker = hasattr(config, "workerinput")

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_call(self, item):
            before = getattr(item.parent, "timed_out", False)
            try:
                return (yield)
            finally:
                item._grader_timed_out = not before and getattr(item.parent, "timed_out", False)

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(self, item, call):
            report = yield
            if call.when in ("setup", "call") and hasattr(item, "cell_num"):
                try:
                    report.user_properties.append(("grader", _describe(item, call)))
                except Exception as exc:  # noqa: BLE001 -- never break the run; say what went wrong
                    report.user_properties.append(("grader", {"file": str(item.path), "cell": item.cell_num,
                                                              "when": call.when, "ok": False, "alive": True,
                                                              "exception": "GraderPluginError", "text": repr(exc)}))
            return report

        def pytest_runtest_logreport(self, report):
            if not self.is_worker:
                self.rows += [value for key, value in report.user_properties if key == "grader"]

        def pytest_sessionfinish(self, session):
            if not self.is_worker:
                tmp = self.path.with_suffix(".partial")
                tmp.write_text(json.dumps(self.rows), encoding="utf-8")
                tmp.replace(self.path)

    return GraderPlugin


def pytest_addoption(parser):
    """pytest hook: the --grader-results option of the grader's nbval runs."""
    parser.getgroup("nbval").addoption("--grader-results", default=None, metavar="FILE",
                                       help="(course_utils.grade) write per-cell results to FILE as JSON")


def pytest_configure(config):
    """pytest hook: when --grader-results is given, patch nbval and register the result collector."""
    path = config.getoption("--grader-results", default=None)
    if path:
        _patch_nbval_kernel()
        config.pluginmanager.register(_plugin_class()(config, path), "course-utils-grader")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("grading interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)
