"""The class mistake report (course_utils.grading.mistakes) on a fabricated class: students built from the catalogs'
wrong answers -- each failing record carries the message the real check gives that wrong answer -- in known numbers.
"""
import csv
import random
import re

import pytest
import test_catalog_nb01
import test_catalog_nb03
from catalog import notebook_of, run_check

from course_utils.grading import mistakes
from course_utils.grading.report import Record

HINTED = [e for e in test_catalog_nb01.CATALOG + test_catalog_nb03.CATALOG if not e.right and e.hint]


def _record(student, entry, status, message):
    return Record(student=student, notebook=notebook_of(entry.exercise), exercise=entry.exercise,
                  points=2 if status == "passed" else 0, max_points=2, status=status, message=message,
                  cell_id=f"ex-{entry.exercise}", submission=f"{student}/{notebook_of(entry.exercise)}")


@pytest.fixture(scope="module")
def fabricated():
    """300 students; on each of four exercises a known number make each of four known mistakes, some fail with an
    error no hint explains, some pass, some did not submit. Returns (records, expected)."""
    rng = random.Random(7)
    by_exercise = {}
    for e in HINTED:
        by_exercise.setdefault(e.exercise, [])
        if all(e.hint != other.hint for other in by_exercise[e.exercise]):
            by_exercise[e.exercise].append(e)
    exercises = [x for x in by_exercise if len(by_exercise[x]) >= 4][:4]
    assert len(exercises) == 4, by_exercise.keys()
    students = [f"student{i:03d}" for i in range(300)]
    records, expected = [], {}
    for exercise in exercises:
        chosen = by_exercise[exercise][:4]
        counts = [40, 25, 10, 3]
        messages = {}
        for entry in chosen:
            error, _ = run_check(entry)
            assert isinstance(error, AssertionError) and entry.hint in str(error), entry.label
            messages[entry.label] = str(error)
        order = students[:]
        rng.shuffle(order)
        at = 0
        want = {}
        for entry, n in zip(chosen, counts):
            for student in order[at:at + n]:
                records.append(_record(student, entry, "failed", messages[entry.label]))
            want[mistakes.mistake_id(exercise, mistakes.hint_of(messages[entry.label]))] = (n, entry.hint)
            at += n
        for student in order[at:at + 7]:
            records.append(_record(student, chosen[0], "error", "NotImplementedError: replace this with your code"))
        at += 7
        for student in order[at:at + 5]:
            records.append(_record(student, chosen[0], "missing", "the notebook was not submitted"))
        at += 5
        for student in order[at:]:
            records.append(_record(student, chosen[0], "passed", ""))
        expected[exercise] = {"mistakes": want, "unexplained": 7, "missing": 5, "passed": 300 - at,
                              "graded": 295}
    return records, expected


def test_counts_are_the_known_counts(fabricated):
    records, expected = fabricated
    report = mistakes.ClassMistakes.from_records(records)
    assert len(report.students) == 300
    for (_notebook, exercise), s in report.exercises.items():
        want = expected[exercise]
        assert (s.graded, s.passed, s.missing, len(s.unexplained)) == (
            want["graded"], want["passed"], want["missing"], want["unexplained"])
        got = {m.id: (len(m.students), m.hint) for m in s.ranked()}
        assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in want["mistakes"].items()}
        for mid, (_n, hint) in got.items():
            assert want["mistakes"][mid][1] in hint  # the catalog's hint is the report's hint
        assert [len(m.students) for m in s.ranked()] == sorted((v[0] for v in want["mistakes"].values()),
                                                               reverse=True)
    per_student = sum(len(ids) for ids in report.students.values())
    assert per_student == sum(n for e in expected.values() for n, _ in e["mistakes"].values())


def test_files_say_the_same_and_the_page_is_self_contained(fabricated, tmp_path):
    records, expected = fabricated
    paths = mistakes.write_report(records, tmp_path / "report")
    assert sorted(p.name for p in paths) == ["mistakes.csv", "report.html", "students.csv"]
    rows = list(csv.DictReader(open(tmp_path / "report" / "mistakes.csv", encoding="utf-8")))
    for exercise, want in expected.items():
        mine = {r["mistake"]: int(r["students"]) for r in rows if r["exercise"] == exercise}
        assert mine == {mistakes.PASSED: want["passed"], mistakes.UNEXPLAINED: want["unexplained"],
                        **{k: v[0] for k, v in want["mistakes"].items()}}
    students = list(csv.DictReader(open(tmp_path / "report" / "students.csv", encoding="utf-8")))
    assert len(students) == 300
    assert sum(int(s["unexplained failures"]) for s in students) == sum(e["unexplained"] for e in expected.values())
    erring = {r.student for r in records if r.status == "error"}
    assert {s["student"] for s in students if int(s["unexplained failures"])} == erring
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert page.count("<svg") == 1 and "Content-Security-Policy" in page
    for want in expected.values():
        for _n, hint in want["mistakes"].values():
            assert mistakes._e(hint)[:40] in page
    assert len(page) < 2_000_000  # readable at 300 students: one page of tables, not one section per student


def test_a_student_text_is_shown_as_text_and_csv_cells_cannot_be_formulas(tmp_path):
    entry = HINTED[0]
    records = [_record('=HYPERLINK("http://x")<script>', entry, "failed", "Most likely: <b>bold</b> hint")]
    mistakes.write_report(records, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;b&gt;bold" in page
    first = list(csv.reader(open(tmp_path / "students.csv", encoding="utf-8")))[1][0]
    assert first.startswith("'=")


def test_an_id_the_grader_knows_wins_over_the_hint():
    entry = HINTED[0]
    r = _record("a", entry, "failed", "Most likely: something")
    r.facts = {"mistake": "gcn.one_sided_difference", "mistake_hint": "the one-sided difference"}
    report = mistakes.ClassMistakes.from_records([r])
    (s,) = report.exercises.values()
    assert [m.id for m in s.ranked()] == ["gcn.one_sided_difference"] and report.students["a"] == [
        "gcn.one_sided_difference"]
