"""The notebooks under nbval, the way the grader runs them.

(a) The perfect submission -- the release (notebooks/) with its exercise cells replaced, by cell id,
    by those of the reference solutions (solutions/) -- passes strict `pytest --nbval`: every
    cell runs and every stored reference output is reproduced. The solutions themselves pass
    `--nbval-lax` (they store no outputs; every cell must run without error): their code cells are the perfect
    submission's, so where strict nbval passed every one, that run stands for the lax one (solutions_lax).
(b) The untouched release under strict nbval: every check cell fails with the stub's
    NotImplementedError and every other cell passes (demos never call the student's functions).

The merge and the nbval run are authoring.portability's, which also re-runs (a) in other numerical
environments (tests/test_portability.py).
"""

import nbformat
import pytest

from authoring import build
from authoring.portability import code_cell_ids, merge_solutions, run_nbval

ROOT = build.ROOT
RELEASE_NOTEBOOKS = sorted(build.RELEASE.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def perfect_submission(tmp_path_factory):
    folder = tmp_path_factory.mktemp("perfect")
    for path in RELEASE_NOTEBOOKS:
        nbformat.write(merge_solutions(path, build.SOLUTIONS / path.name), str(folder / path.name))
    return run_nbval(folder, "--nbval")


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


@pytest.fixture(scope="module")
def solutions_lax(perfect_submission, tmp_path_factory):
    """{notebook: {cell id: (outcome, message)}} of the solutions under `pytest --nbval-lax`.

    The perfect submission runs the solutions' own code cells (merge_solutions takes the exercise cells from the
    solutions; the build writes every other cell from them). When every solution has the same cells as its perfect
    submission (same_cells_as_the_perfect_submission) and strict nbval ran and passed every one of them, lax nbval
    -- the same cells run the same way, fewer outputs compared -- passes them too: the strict run is read. Else lax
    nbval runs on the solutions themselves."""
    solutions = sorted(build.SOLUTIONS.glob("*.ipynb"))
    if all(same_cells_as_the_perfect_submission(path) and path.name in perfect_submission
           and set(perfect_submission[path.name]) == set(code_cell_ids(path))
           and not _failures(perfect_submission[path.name]) for path in solutions):
        return {path.name: perfect_submission[path.name] for path in solutions}
    folder = tmp_path_factory.mktemp("solutions")
    for path in solutions:
        (folder / path.name).write_bytes(path.read_bytes())
    return run_nbval(folder, "--nbval-lax")


@pytest.fixture(scope="module")
def untouched_release(tmp_path_factory):
    folder = tmp_path_factory.mktemp("release")
    for path in RELEASE_NOTEBOOKS:
        (folder / path.name).write_bytes(path.read_bytes())
    return run_nbval(folder, "--nbval")


def _failures(results):
    return {cid: message[:1500] for cid, (outcome, message) in results.items() if outcome != "passed"}


pytestmark = pytest.mark.skipif(not RELEASE_NOTEBOOKS, reason="no release notebooks; run python -m authoring.build")


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=lambda p: p.name)
def test_perfect_submission_passes_strict_nbval(perfect_submission, path):
    results = perfect_submission[path.name]
    assert set(results) == set(code_cell_ids(path)), "nbval did not run every code cell"
    assert not _failures(results)


@pytest.mark.parametrize("path", sorted(build.SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.name)
def test_the_perfect_submission_runs_the_solutions_own_cells(path):
    """What lets solutions_lax read the strict run: nbval runs each solution as its perfect submission."""
    assert same_cells_as_the_perfect_submission(path)


@pytest.mark.parametrize("path", sorted(build.SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.name)
def test_solutions_pass_lax_nbval(solutions_lax, path):
    results = solutions_lax[path.name]
    assert set(results) == set(code_cell_ids(path))
    assert not _failures(results)


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=lambda p: p.name)
def test_untouched_release_fails_exactly_at_check_cells(untouched_release, path):
    nb = nbformat.read(str(path), as_version=4)
    checks = {c.id for c in nb.cells if build.is_check(c)}
    results = untouched_release[path.name]
    assert set(results) == set(code_cell_ids(path))
    assert checks, f"{path.name} has no check cell"
    for cid, (outcome, message) in results.items():
        if cid in checks:
            assert outcome == "failed" and "NotImplementedError" in message, \
                f"{path.name}: check cell {cid!r} should fail with NotImplementedError, got {outcome}: {message[:500]}"
        else:
            assert outcome == "passed", f"{path.name}: cell {cid!r} should pass untouched, got: {message[:1500]}"


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
