"""Gradescope's results.json for one student (--gradescope-results; Report.gradescope_results)."""
from __future__ import annotations

import json
from pathlib import Path

from course_utils.grading.formats import ran_text, record_details


def _summary_text(report, student):
    points, max_points = report.totals().get(student, (0, 0))
    lines = [f"Total: {points}/{max_points} points", f"How your code ran: {ran_text(report)}"]
    flagged = sum(1 for r in report.student_records(student) if r.status == "flagged")
    if flagged:
        lines.append(f"{flagged} exercise(s) flagged: 0 points until a person has reviewed them")
    for nb in report.notebooks:
        if nb["student"] == student:
            lines += [f"{Path(nb['notebook']).stem}: {n}" for n in nb["notes"]]
    return "\n".join(lines)


def gradescope_results(report, student=None, visibility="visible", stdout_visibility="hidden"):
    """The results.json object of Gradescope's autograder specification for one student.

    Specification: https://gradescope-autograders.readthedocs.io/en/latest/specs/ (source:
    gradescope/autograder_samples, docs/specs.md, sections "Output format", "Test case status",
    "Output String Formatting"). Top level: score (the student's points; it overrides the sum of the
    tests), execution_time (int seconds), output (total and how student code ran), visibility,
    stdout_visibility (the grader's console table; "hidden" = instructors only, the default there
    too). tests: one per exercise in release order: name "notebook stem / exercise", score,
    max_score, status "passed"/"failed" (flagged, missing, error and timeout are "failed"), output
    (the whole message, flags and notes), visibility "visible". The spec's default format of the
    top-level output is "simple_format", which renders HTML; the output names the student's files, so
    output_format, test_output_format and test_name_format are set to "text": nothing is rendered.
    student -- None: the only student of the report (ValueError when there are several).
    """
    student = report.one_student(student, "gradescope_results")
    points, _ = report.totals().get(student, (0, 0))
    tests = [{"name": f"{Path(r.notebook).stem} / {r.exercise}", "score": int(r.points),
              "max_score": int(r.max_points), "status": "passed" if r.status == "passed" else "failed",
              "output": record_details(r), "visibility": "visible"}
             for r in report.sorted_records(student)]
    return {"score": int(points), "execution_time": int(round(report.seconds)),
            "output": _summary_text(report, student), "output_format": "text", "test_output_format": "text",
            "test_name_format": "text", "visibility": visibility, "stdout_visibility": stdout_visibility,
            "tests": tests}


def write_gradescope_results(report, path, student=None):
    """Write gradescope_results() to path (Gradescope reads /autograder/results/results.json)."""
    path = Path(path)
    path.write_text(json.dumps(gradescope_results(report, student), indent=1) + "\n", encoding="utf-8")
    return path
