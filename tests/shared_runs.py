"""Expensive results the suite computes once per test session and shares between test modules and pytest-xdist workers.

computed_once(tmp_path_factory, name, key, compute) runs compute() at most once per session for (name, key): the first
caller computes under an exclusive file lock (fcntl) in the session's shared temporary folder and stores the result
there (pickled: it is the suite's own data, written and read by this session only); a caller that comes while it is
being computed waits for it, any later caller reads it. When compute() raises (a skip, a failure), nothing is stored
and the next caller computes again. key is a hash of the inputs (inputs_key), so a result is never read for other
inputs; a result never outlives its session (tests/conftest.py's SHARED_SCOPE gives the tests that read one result
one xdist scope, so that no worker waits for another).

course_class(tmp_path_factory): the real course graded once -- the reference solutions (solutions/, graded in place)
beside every crafted student of test_grade, test_grading_attacks and test_grading_attacks_course in one grade() run
(each module writes its own students: course_students(folder)). Those modules read their students' records from it;
the honest reference is graded once, beside every attack.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def session_folder(tmp_path_factory):
    """A folder shared by every worker of this test session (pytest-xdist's workers each have a basetemp of their own
    inside the session's; without xdist, the session's basetemp)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "shared_runs"
    folder.mkdir(exist_ok=True)
    return folder


def inputs_key(*paths):
    """A hash of the files under paths (names and bytes; __pycache__ left out)."""
    digest = hashlib.sha256()
    for root in map(Path, paths):
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


def computed_once(tmp_path_factory, name, key, compute):
    """compute()'s result, computed once per session for (name, key) and shared (see the module docstring)."""
    folder = session_folder(tmp_path_factory)
    target = folder / f"{name}-{key}.pickle"
    with open(folder / f"{name}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if compute() raises
        if target.exists():
            return pickle.loads(target.read_bytes())
        value = compute()
        partial = target.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        partial.replace(target)
        return value


COURSE_CLASS_TIMEOUT = 60  # seconds per cell and per verification call (the grader's default): room for a loaded machine
COURSE_CLASS_MODULES = ("test_grade", "test_grading_attacks", "test_grading_attacks_course")


def tree_hashes(*roots):
    """{root name/relative path: sha256 of the file, "dir" or "link -> target"} for everything under roots."""
    out = {}
    for root in map(Path, roots):
        for p in sorted(root.rglob("*")):
            key = f"{root.name}/{p.relative_to(root)}"
            if p.is_symlink():
                out[key] = f"link -> {os.readlink(p)}"
            elif p.is_file():
                out[key] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[key] = "dir" if p.is_dir() else "special"
    return out


def course_class(tmp_path_factory):
    """{"report": the Report, "before"/"after": tree_hashes of notebooks/ and solutions/ around the grading} of the
    course class (see the module docstring). The reference solutions' student is "solutions"."""
    from needs import sandbox_needed

    sandbox_needed()
    # its inputs: the release, the solutions and the modules that write the students (the grader is the code under
    # test: the session's own import of it)
    key = inputs_key(ROOT / "solutions", ROOT / "notebooks", *(TESTS / f"{m}.py" for m in COURSE_CLASS_MODULES))
    return computed_once(tmp_path_factory, "course_class", key, lambda: _grade_course_class(tmp_path_factory))


def _grade_course_class(tmp_path_factory):
    import importlib

    from course_utils import grade as g

    base = tmp_path_factory.mktemp("course_class")
    folders = []
    for module in COURSE_CLASS_MODULES:
        folders += importlib.import_module(module).course_students(base)
    names = [folder.name for folder in folders]
    assert len(set(names)) == len(names) and "solutions" not in names, names
    watched = (ROOT / "notebooks", ROOT / "solutions")
    before = tree_hashes(*watched)
    report = g.grade([ROOT / "solutions", *folders], jobs=2, timeout=COURSE_CLASS_TIMEOUT, require_sandbox=True)
    return {"report": report, "before": before, "after": tree_hashes(*watched)}
