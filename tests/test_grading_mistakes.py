"""The class mistake report (course_utils.grading.mistakes) on a fabricated class: students built from the catalogs'
wrong answers -- each failing record carries the message the real check gives that wrong answer -- in known numbers.
The check's mistakes are records (course_utils.expect.mistakes), so the report counts their real ids, the ones the
checks' AssertionErrors carry.
"""
import csv
import random
import re

import pytest
import test_catalog_nb01
import test_catalog_nb03
from catalog import notebook_of, run_check

from course_utils.expect.mistakes import mistake_of
from course_utils.grading import mistakes
from course_utils.grading.report import Record

HINTED = [e for e in test_catalog_nb01.CATALOG + test_catalog_nb03.CATALOG if not e.right and e.hint]
EXERCISES = ["warm_up_square", "forward_difference", "dictionary_to_vector", "gradients_to_vector"]
REGISTERED = {"warm_up_square": "square", "forward_difference": "fd", "dictionary_to_vector": "d2v",
              "gradients_to_vector": "g2v"}


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
        if all(e.hint != other.hint for other in by_exercise[e.exercise]) and (
                "Most likely" in str(run_check(e)[0])):  # a named mistake
            by_exercise[e.exercise].append(e)
    exercises = EXERCISES
    assert all(len(by_exercise[x]) >= 4 for x in exercises), {x: len(v) for x, v in by_exercise.items()}
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
            error, _ = run_check(entry)
            mid = mistake_of(error)  # the check's own id, one of its exercise's records
            assert mid is not None and mid.startswith(REGISTERED[exercise] + "."), (entry.label, mid)
            want[mid] = (n, entry.hint)
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


def test_a_failed_verification_counts_under_the_id_its_spec_names_with_the_registered_hint():
    """A record whose check passed and whose verification run named a mistake: no hint in its message, the id in its
    facts; the report shows that mistake's hint, and counts it with the checks' failures of the same mistake."""
    entry = next(e for e in HINTED if e.exercise == "dictionary_to_vector" and e.label == "layer numbers as strings")
    message, _ = run_check(entry)
    checked = _record("a", entry, "failed", str(message))
    verified = _record("b", entry, "failed", "the notebook's check passed, but the verification run on fresh inputs "
                                             "drawn at grading time did not: dictionary_to_vector(...) returned theta "
                                             "as an array with other values")
    verified.facts = {"mistake": "d2v.layers_as_strings"}
    report = mistakes.ClassMistakes.from_records([checked, verified])
    (s,) = report.exercises.values()
    (m,) = s.ranked()
    assert m.id == "d2v.layers_as_strings" and sorted(m.students) == ["a", "b"]
    assert m.hint == mistakes.hint_of(str(message)) and "layer numbers were sorted as strings" in m.hint


def test_a_hint_with_what_the_check_measured_is_counted_under_its_id():
    entry = next(e for e in HINTED if e.exercise == "gradients_to_vector")
    hints = ["the gradient keys start with a 'd': gradients['dW1'], not gradients['W1'] (you forgot the d prefix).",
             "the gradient keys start with a 'd': gradients['db3'], not gradients['b3'] (you forgot the d prefix)."]
    records = [_record(f"s{i}", entry, "failed", f"gradients_to_vector(...) raised KeyError.\nMost likely: {h}")
               for i, h in enumerate(hints)]
    (s,) = mistakes.ClassMistakes.from_records(records).exercises.values()
    assert [(m.id, len(m.students)) for m in s.ranked()] == [("g2v.missing_d_prefix", 2)]


def test_a_students_own_error_text_names_no_mistake():
    """Only a check's AssertionError (a failed record) is read for a hint: an exception the student's code raises with
    a check's words in it ("error") counts as unexplained, not as the mistake it names."""
    entry = next(e for e in HINTED if e.exercise == "gradients_to_vector")
    hint = "the gradient keys start with a 'd': gradients['dW1'], not gradients['W1'] (you forgot the d prefix)."
    forged = _record("eve", entry, "error", f"ValueError: Most likely: {hint}")
    honest = _record("ann", entry, "failed", f"gradients_to_vector(...) raised KeyError.\nMost likely: {hint}")
    report = mistakes.ClassMistakes.from_records([forged, honest])
    (s,) = report.exercises.values()
    assert [(m.id, m.students) for m in s.ranked()] == [("g2v.missing_d_prefix", ["ann"])]
    assert report.students["eve"] == [] and report.unexplained["eve"] == 1


def test_an_id_the_grader_knows_wins_over_the_hint():
    entry = HINTED[0]
    r = _record("a", entry, "failed", "Most likely: something")
    r.facts = {"mistake": "gcn.one_sided_difference", "mistake_hint": "the one-sided difference"}
    report = mistakes.ClassMistakes.from_records([r])
    (s,) = report.exercises.values()
    assert [m.id for m in s.ranked()] == ["gcn.one_sided_difference"] and report.students["a"] == [
        "gcn.one_sided_difference"]


def _converted_hinted():
    import test_catalog_nb04
    import test_catalog_nb05
    exercises = {"forward_difference", "centered_difference", "relative_difference", "forward_propagation",
                 "backward_propagation", "gradient_check", "block_differences", "diagnose", "backward_propagation_n",
                 "cost_with_l2", "directional_check"}
    return [e for e in test_catalog_nb01.CATALOG + test_catalog_nb03.CATALOG + test_catalog_nb04.CATALOG
            + test_catalog_nb05.CATALOG if e.exercise in exercises and not e.right and e.hint]


def test_the_records_of_the_converted_exercises_carry_real_ids():
    """Notebooks 01, 02, 04 and 05: a failed record whose message names one mistake is counted under the id the check's
    AssertionError carries (a registered one), never under an id made from the hint's words and a hash."""
    counted = 0
    for entry in _converted_hinted():
        error, _ = run_check(entry)
        mid = mistake_of(error)
        if mid is None or "\n- " in str(error):  # none named, or one per gradient (backward_propagation_n)
            continue
        (s,) = mistakes.ClassMistakes.from_records([_record("a", entry, "failed", str(error))]).exercises.values()
        assert [m.id for m in s.ranked()] == [mid], (entry.exercise, entry.label)
        counted += 1
    assert counted >= 40, counted
