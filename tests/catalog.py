"""Shared machinery of the wrong-answer catalogs (tests/test_catalog_nbNN.py).

A catalog entry is a whole exercise cell a student could write: a wrong answer (it must fail the
notebook's check -- AssertionError -- with a message naming its mistake when `hint` is given, AND fail the
grader's verification run) or a right but unusual one (it must pass both). Entries run against the real
check (course_utils.checks) in a namespace like the notebook's: its Setup cell's imports and the reference
solutions of the notebook's other exercises; and against course_utils.grading.verify on fresh inputs.
"""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course_utils import checks
from course_utils.grading import cells, sandbox, verify
from course_utils.grading import release as grading_release

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
SUBTLE = ("canonical input only", "right shape wrong values", "right values wrong shape", "mutates its input",
          "ignores an argument", "returns too early", "other")


@dataclass(frozen=True)
class Entry:
    """One catalog entry: `source` is the whole exercise cell (it defines the exercise's function).

    right -- True for a right answer (unusual: loops, hand-written norms, other valid orders, ...)
    hint -- for a known mistake: a piece of the check's message that names it (None: any failure will do)
    subtle -- for a wrong answer a lazy check misses: one of SUBTLE (None for the plain known mistakes)
    """

    exercise: str
    label: str
    source: str
    right: bool = False
    hint: str | None = None
    subtle: str | None = None

    def __post_init__(self):
        assert self.subtle is None or self.subtle in SUBTLE, self.subtle
        assert not (self.right and (self.hint or self.subtle)), self.label


@lru_cache(maxsize=None)
def _solutions():
    """{exercise: (notebook file name, reference source)} and {notebook: Setup cell source}."""
    exercises, setups = {}, {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        setups[path.name] = cells.source(code[0])
        for cell in code:
            if cells.role(cell) == cells.EXERCISE:
                exercises[cells.course_meta(cell)["exercise"]] = (path.name, cells.source(cell))
    return exercises, setups


def notebook_of(exercise):
    return _solutions()[0][exercise][0]


def reference(exercise):
    """The reference solution's source of an exercise."""
    return _solutions()[0][exercise][1]


def edit(exercise, label, *pairs, **kw):
    """The reference solution of `exercise` with each (old, new) of `pairs` replaced."""
    source = reference(exercise)
    for old, new in pairs:
        assert old in source, (exercise, label, old)
        source = source.replace(old, new)
    return Entry(exercise, label, source, **kw)


def run_check(entry):
    """Run the entry's cell in a notebook-like namespace and its check. Returns (error or None, printed text)."""
    exercises, setups = _solutions()
    notebook = notebook_of(entry.exercise)
    namespace = {"__name__": "__main__"}
    exec(compile(setups[notebook], "<setup>", "exec"), namespace)  # noqa: S102
    for name, (nb, source) in exercises.items():
        if nb == notebook and name != entry.exercise:
            exec(compile(source, f"<reference {name}>", "exec"), namespace)  # noqa: S102
    exec(compile(entry.source, f"<exercise {entry.exercise}>", "exec"), namespace)  # noqa: S102
    check = getattr(checks, f"check_{entry.exercise}")
    function = namespace[verify_function(entry.exercise)]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            check(function)
    except Exception as error:  # noqa: BLE001 -- the check's verdict
        return error, printed.getvalue()
    return None, printed.getvalue()


@lru_cache(maxsize=None)
def _course_release():
    return grading_release.load_release(ROOT / "notebooks")


def verify_function(exercise):
    rnb = _course_release().notebooks[notebook_of(exercise)]
    return verify.load_spec(rnb.exercises[exercise].verify, ROOT / "notebooks").function


@lru_cache(maxsize=None)
def verification_uid():
    """The first uid of a machine-wide lease (sandbox.Lease) this test process holds until it ends: two pytest workers
    or two test sessions on one machine never share a verification uid (a fixed one let one run's cleanup, which ends
    every process of its uid, kill another's sandbox: "exit status 137")."""
    lease = sandbox.Lease()
    atexit.register(lease.release)
    return lease.uid


def run_verification(entry, workdir):
    """The grader's verification verdict (verify.Verdict) of the entry's cell alone, on fresh inputs."""
    rnb = _course_release().notebooks[notebook_of(entry.exercise)]
    os.chmod(workdir, 0o755)
    return verify.verify_notebook(rnb, {entry.exercise: entry.source}, ROOT / "notebooks", workdir,
                                  uid=verification_uid(), sandboxed=sandbox.available()[0],
                                  timeout=30)[entry.exercise]


def shared_verification(entry, tmp_path_factory):
    """run_verification's verdict of the entry, computed once per test session (tests/shared_runs.py): the catalog's
    tests and test_mistakes_engine's read the same run, whichever asks first."""
    from shared_runs import computed_once

    key = hashlib.sha256("\0".join((entry.exercise, entry.label, entry.source)).encode()).hexdigest()[:20]
    return computed_once(tmp_path_factory, "verification", key,
                         lambda: run_verification(entry, tmp_path_factory.mktemp("verification")))


def assert_check(entry, check=None):
    """The check half of the catalog's contract: a right entry passes its check; a wrong one fails it with an
    AssertionError that names its mistake where the entry has a hint. check defaults to run_check."""
    error, printed = (check or run_check)(entry)
    if entry.right:
        assert error is None, f"{entry.label}: the check rejected a right answer: {error!r}"
        return
    assert isinstance(error, AssertionError), f"{entry.label}: the check gave {error!r} (printed {printed!r})"
    if entry.hint:  # named, and alone: no other mistake's hint explains the same results
        assert entry.hint in str(error), f"{entry.label}: the message does not name the mistake: {error}"
        assert " Or: " not in str(error), f"{entry.label}: another mistake is named beside it: {error}"


def assert_verification(entry, workdir, verification=None):
    """The grader's half: the verification run (sandboxed where bubblewrap works) passes a right entry and fails a
    wrong one. verification defaults to run_verification."""
    verdict = (verification or run_verification)(entry, workdir)
    if entry.right:
        assert verdict.ok, f"{entry.label}: the verification rejected a right answer: {verdict.message}"
    else:
        assert not verdict.ok, f"{entry.label}: the verification run passed a wrong answer"
        # rejected by a judgement, not because something outside killed the run (which would hide a pass)
        assert "exit status 137" not in verdict.message, f"{entry.label}: the run was killed: {verdict.message}"


def assert_entry(entry, workdir, check=None, verification=None):
    """The catalog's contract for one entry (see the module docstring); check and verification default to
    run_check and run_verification (a notebook whose cells depend on each other brings its own)."""
    assert_check(entry, check)
    assert_verification(entry, workdir, verification)


def assert_catalog_shape(catalog, exercises):
    """At least 8 wrong (half of them subtle) and 2 right entries per exercise; unique labels."""
    for exercise in exercises:
        entries = [e for e in catalog if e.exercise == exercise]
        wrong = [e for e in entries if not e.right]
        assert len(wrong) >= 8, (exercise, len(wrong))
        assert 2 * sum(1 for e in wrong if e.subtle) >= len(wrong), exercise
        assert sum(1 for e in entries if e.right) >= 2, exercise
    labels = [(e.exercise, e.label) for e in catalog]
    assert len(labels) == len(set(labels))


def catalog_tests(catalog, exercises):
    """The tests every catalog module runs, by name: its shape, and every entry's contract in two halves: its
    check (assert_check: a hinted mistake is named, alone) and its verification run (slow).
    Use: globals().update(catalog_tests(CATALOG, EXERCISES))."""
    import pytest

    def test_the_catalog_has_its_shape():
        assert_catalog_shape(catalog, exercises)

    ids = [f"{e.exercise}-{e.label}" for e in catalog]

    @pytest.mark.parametrize("entry", catalog, ids=ids)
    def test_entry_check(entry):
        assert_check(entry)

    @pytest.mark.slow  # a verification run (in a sandbox where bubblewrap works) per entry
    @pytest.mark.parametrize("entry", catalog, ids=ids)
    def test_entry_verification(entry, tmp_path_factory):
        assert_verification(entry, None, lambda e, _: shared_verification(e, tmp_path_factory))

    return {f.__name__: f for f in (test_the_catalog_has_its_shape, test_entry_check, test_entry_verification)}
