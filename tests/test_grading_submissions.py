"""Tests of the grader's intake (course_utils/grading/submissions.py): nothing a submission is can crash it."""
import json
import os
import shutil
from pathlib import Path

import pytest

from course_utils.grading import release as grading_release
from course_utils.grading import submissions

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "grading"
RELEASE = grading_release.load_release(FIXTURES / "release")
NB1 = "01_compute_differences.ipynb"


def test_a_regular_notebook_is_read(tmp_path):
    data, problem = submissions.read_notebook(FIXTURES / "solutions" / NB1)
    assert problem is None and isinstance(data["cells"], list)


@pytest.mark.parametrize("make, expected", [
    (lambda p: os.mkfifo(p), "not a regular file"),
    (lambda p: p.symlink_to(FIXTURES / "solutions" / NB1), "symbolic link"),
    (lambda p: p.mkdir(), "not a regular file"),
    (lambda p: p.write_bytes(b"\xff\xfe\x00"), "not a text file"),
    (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    (lambda p: p.write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}"), "nested too deeply"),
    (lambda p: p.write_text('{"cells": "no"}'), "not an nbformat 4 notebook"),
    (lambda p: p.write_text("{"), "not valid JSON"),
    (lambda p: p.write_bytes(b" " * (submissions.MAX_BYTES + 1)), "over the limit"),
])
def test_anything_but_a_notebook_becomes_a_message_not_an_exception(tmp_path, make, expected):
    path = tmp_path / NB1
    make(path)
    data, problem = submissions.read_notebook(path)
    assert data is None and expected in problem


def test_a_symlinked_student_folder_is_not_followed(tmp_path):
    klass = tmp_path / "class"
    (klass / "honest").mkdir(parents=True)
    shutil.copy(FIXTURES / "solutions" / NB1, klass / "honest" / NB1)
    (klass / "sneaky").symlink_to(FIXTURES / "solutions")
    subs = {s.student: s for s in submissions.find_submissions([klass], RELEASE)}
    assert subs["honest"].files[NB1] == (klass / "honest" / NB1).resolve()
    assert "symbolic link" in subs["sneaky"].problem
    assert subs["sneaky"].files == {name: None for name in RELEASE.notebooks}


def test_a_symlinked_folder_inside_a_student_folder_is_not_searched(tmp_path):
    student = tmp_path / "alice"
    student.mkdir()
    (student / "linked").symlink_to(FIXTURES / "solutions")
    shutil.copy(FIXTURES / "release" / NB1, student / NB1)
    [sub] = submissions.find_submissions([student], RELEASE)
    assert sub.files[NB1] == student.resolve() / NB1
    assert sub.files["02_measure_vectors.ipynb"] is None


def test_added_cells_are_counted_without_ids_too():
    rnb = RELEASE.notebooks[NB1]
    nb = json.loads((FIXTURES / "solutions" / NB1).read_text())
    assert submissions.added_code_cells(nb, rnb) == 0
    nb["cells"].append({"cell_type": "code", "id": "mine", "source": "1", "metadata": {}, "outputs": []})
    assert submissions.added_code_cells(nb, rnb) == 1


def test_a_kernel_that_never_came_up_is_started_once_more(monkeypatch, tmp_path):
    """Nothing of the student's ran when the kernel died before its first cell (a machine under load): the
    notebook is run once more instead of costing the student its points; a second such death stands."""
    from types import SimpleNamespace

    from course_utils.grading import run

    dead = {0: {"setup": {"ok": False, "alive": False, "dead_at_start": True}}}
    good = {0: {"call": {"ok": True, "alive": True}}, 1: {"call": {"ok": True, "alive": True}}}
    for outcomes, expect_runs, expect_ok in (([dead, good], 2, True), ([dead, dead, good], 2, False)):
        calls = []

        def fake_run_all(jobs_to_run, *args, outcomes=outcomes, calls=calls, **kwargs):
            for job in jobs_to_run:
                job.rows, job.rows_error = outcomes[len(calls)], ""
            calls.append(len(jobs_to_run))

        monkeypatch.setattr(run, "run_all", fake_run_all)
        job = run.Job(sub=None, rnb=SimpleNamespace(code_ids=["a", "b"], exercises={}), file=None)
        run.run_notebooks([job], tmp_path, None, 1, 10, "split", False, [0])
        assert len(calls) == expect_runs
        assert bool(job.results[0].get("ok")) is expect_ok
