"""The notebooks under nbval, the way the grader runs them.

(a) The perfect submission -- the release (notebooks/) with its exercise cells replaced, by cell id,
    by those of the reference solutions (solutions/) -- passes strict nbval: every exercise passes and every stored
    reference output of a demo cell is reproduced (a demo cell whose output differs is a note of the notebook).
(b) The untouched release: every exercise fails with the stub's NotImplementedError and every demo cell passes
    (demos never call the student's functions).

Both are the grader's own nbval runs: the course class (tests/shared_runs.py) grades solutions/ -- which the grader
merges into the release exactly as merge_solutions does -- and the untouched release, once for the suite; these
tests read its report, notebook by notebook. The solutions run as their own notebooks (nbval-lax) run the same code
cells (test_the_perfect_submission_runs_the_solutions_own_cells). The same perfect submission is re-run with plain
nbval in other numerical environments by authoring.portability (tests/test_portability.py).
"""

import nbformat
import pytest
import shared_runs

from authoring import build
from authoring.portability import merge_solutions

ROOT = build.ROOT
RELEASE_NOTEBOOKS = sorted(build.RELEASE.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def course_class(tmp_path_factory):
    return shared_runs.course_class(tmp_path_factory)["report"]


def graded(report, student, path):
    """(the student's records of the notebook at path, the notebook's notes) in the course class's report."""
    records = [r for r in report.records if r.student == student and r.notebook == path.name]
    (notes,) = [n["notes"] for n in report.notebooks if n["student"] == student and n["notebook"] == path.name]
    return records, notes


def nbval_view(notebook):
    """What nbval reads of a notebook to run it: the kernel it starts, and each code cell's id, source and tags
    (nbval-skip, raises-exception, ...); cell comments such as # NBVAL_SKIP are part of the source."""
    return (notebook.metadata.get("kernelspec", {}).get("name"),
            [(c.id, c.source, sorted(c.metadata.get("tags", []))) for c in notebook.cells if c.cell_type == "code"])


def same_cells_as_the_perfect_submission(path):
    """True when nbval runs the solution `path` exactly as it runs the perfect submission's notebook of that name
    (nbval_view: one kernel, the same code cells in the same order, with the same tags)."""
    release = build.RELEASE / path.name
    return release.exists() and (nbval_view(merge_solutions(release, path))
                                 == nbval_view(nbformat.read(str(path), as_version=4)))


pytestmark = pytest.mark.skipif(not RELEASE_NOTEBOOKS, reason="no release notebooks; run python -m authoring.build")


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=lambda p: p.name)
def test_perfect_submission_passes_strict_nbval(course_class, path):
    records, notes = graded(course_class, "solutions", path)
    exercises = [c for c in nbformat.read(str(path), as_version=4).cells if build.is_exercise(c)]
    assert len(records) == len(exercises) > 0, f"{path.name}: {len(records)} records for {len(exercises)} exercises"
    assert [(r.exercise, r.status, r.message[:500]) for r in records if r.status != "passed"] == []
    assert notes == [], f"{path.name}: {notes}"


@pytest.mark.parametrize("path", sorted(build.SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.name)
def test_the_perfect_submission_runs_the_solutions_own_cells(path):
    """nbval runs each solution as its perfect submission: the solutions pass lax nbval where (a) passes."""
    assert same_cells_as_the_perfect_submission(path)


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=lambda p: p.name)
def test_untouched_release_fails_exactly_at_its_exercises(course_class, path):
    records, notes = graded(course_class, "untouched", path)
    assert records, f"{path.name} has no exercise"
    for r in records:
        assert (r.status, r.points) == ("error", 0) and r.message.startswith("NotImplementedError"), \
            f"{path.name}: exercise {r.exercise!r} should fail with NotImplementedError, got {r.status}: {r.message[:500]}"
    assert notes == [], f"{path.name}: a demo cell should pass untouched: {notes}"


def test_merge_takes_exercise_cells_by_id(tmp_path):
    path = RELEASE_NOTEBOOKS[0]
    merged = merge_solutions(path, build.SOLUTIONS / path.name)
    release = nbformat.read(str(path), as_version=4)
    solution = nbformat.read(str(build.SOLUTIONS / path.name), as_version=4)
    for m, r, s in zip(merged.cells, release.cells, solution.cells):
        assert m.id == r.id == s.id
        assert m.source == (s.source if build.is_exercise(r) else r.source)
        if build.is_check(r):  # an unrun check shows nothing in the release; grading puts its reference back
            assert r.outputs == [] and r.execution_count is None and r.metadata.course.outputs
            assert m.outputs == r.metadata.course.outputs
        elif not build.is_exercise(r):
            assert m.get("outputs") == r.get("outputs")  # reference outputs stay the release's
