"""The runner result GitHub Classroom's grading reporter reads (--classroom-results; Report.classroom_results)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

from course_utils.grading.formats import record_details

# GitHub Classroom's reporter counts "pass" as passed, prints the message of "error" tests and counts
# everything else as failed (console-results.js lines 24-38 of classroom-resources/autograding-grading-reporter)
CLASSROOM_STATUS = {"passed": "pass", "failed": "fail", "missing": "fail", "flagged": "fail",
                    "error": "error", "timeout": "error"}


def classroom_results(report, student=None):
    """One runner's result for GitHub Classroom's grading reporter, for one student.

    What the reporter (classroom-resources/autograding-grading-reporter, src/, commit 43c2d9f) does:
    - main.js lines 6-13: for each id in its `runners` input it reads the environment variable
      `<ID upper-cased>_RESULTS`, base64-decodes it, and JSON.parse()s it. So a workflow step with id
      `notebooks` writes classroom_results_base64() to its output `result`, and the reporter step sets
      `NOTEBOOKS_RESULTS: ${{ steps.notebooks.outputs.result }}` and `runners: notebooks` (cli.py's
      --classroom-encoding base64 writes that text), as autograding-command-grader's main.js l.77 and
      autograding-python-grader's bin/run.sh l.44 do.
    - main.js lines 19-23: a runner whose top-level status is "fail" (or else "error") fails the step.
    - notify-classroom.js lines 6-31, the points GitHub Classroom records: runners whose max_score is
      falsy are skipped; otherwise max_score is added to maxPoints and every test's score to totalPoints;
      both are posted as the notice "Points totalPoints/maxPoints" and the JSON {totalPoints, maxPoints}.
      So max_score here is the student's max points and each test's score its points: the recorded
      points are the Report's totals.
    - console-results.js lines 23-43: a test counts as passed only with status "pass"; "error" prints
      "Error: <message>"; anything else prints a red cross. line_no must be 0 (otherwise "- line N" is
      printed); test_code, when set, is printed under "Test code:". The reporter never prints the
      message of a failed test, so failed tests carry their message in test_code too, and never the
      name of an errored one, so its message starts with the name.
    - helpers/test-helpers.js lines 11-18 (the summary table in the Actions log only): a runner's
      score there is (passed tests / all tests) * max_score, which differs from the recorded points
      when exercises are worth different points. It is a log line; the notice above is what counts.
    Format (like autograding-command-grader's generateResult, main.js lines 16-33): version 1,
    status "pass"/"fail"/"error", max_score, tests[] with name "notebook stem / exercise", status
    (passed -> pass; failed, missing, flagged -> fail; error, timeout -> error), score, message (the
    whole message, flags, notes), test_code, filename (the notebook), line_no 0.
    """
    student = report.one_student(student, "classroom_results")
    records = report.sorted_records(student)
    _, max_points = report.totals().get(student, (0, 0))
    tests = []
    for r in records:
        status = CLASSROOM_STATUS.get(r.status, "fail")
        name = f"{Path(r.notebook).stem} / {r.exercise}"
        details = record_details(r)
        if status == "error":  # the reporter prints "Error: <message>" without the test's name
            details = f"{name}: {details}"
        tests.append({"name": name, "status": status, "score": int(r.points), "message": details,
                      "test_code": details if status == "fail" else "",
                      "filename": r.notebook, "line_no": 0})
    statuses = {t["status"] for t in tests}
    overall = "fail" if "fail" in statuses else ("error" if "error" in statuses else "pass")
    return {"version": 1, "status": overall, "max_score": int(max_points), "tests": tests}


def classroom_results_base64(report, student=None):
    """classroom_results() as the reporter's environment variable holds it: base64 of the JSON text."""
    text = json.dumps(classroom_results(report, student), separators=(",", ":"))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def write_classroom_results(report, path, student=None, encoding="json"):
    """Write classroom_results() to path as JSON, or (encoding="base64") as one base64 line."""
    path = Path(path)
    if encoding == "base64":
        text = classroom_results_base64(report, student)
    elif encoding == "json":
        text = json.dumps(classroom_results(report, student), indent=1)
    else:
        raise ValueError(f"encoding: expected json or base64, got {encoding!r}")
    path.write_text(text + "\n", encoding="utf-8")
    return path
