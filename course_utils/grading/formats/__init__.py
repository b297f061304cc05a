"""The Report's forms (grading/report.py holds the data; each form is a Report method that calls one of these):

    jsonfile.py     to_dict / write_json: everything, as JSON (--json)
    table.py        format_table: the console table, every message whole (always printed)
    gradebook.py    csv_rows / lms_rows / write_csv: one row per student for an LMS gradebook (--csv)
    csvfile.py      write_csv_table: every CSV the grader writes, safe to open in a spreadsheet
    feedback.py     write_feedback: one self-contained HTML page per student plus index.html (--feedback)
    gradescope.py   gradescope_results: Gradescope's results.json for one student (--gradescope-results)
    classroom.py    classroom_results: the runner result GitHub Classroom's grading reporter reads (--classroom-results)

Student-provided text -- messages hold what the student's code printed, notes name the student's
files -- is escaped in HTML and marked as plain text in Gradescope's JSON.

Here: the texts more than one form shares.
"""
from __future__ import annotations

from course_utils.grading.statuses import STATUS_MEANINGS


def ran_text(report):
    """How student code ran: the sandbox and the time limit per cell, from the report's settings."""
    ran = report.settings.get("sandbox") or "not recorded"
    timeout = report.settings.get("timeout")
    return f"{ran}; time limit per cell {timeout:g} s" if isinstance(timeout, (int, float)) else ran


def record_details(r):
    """The whole text about one record: status (unless passed), message, flags, notes."""
    lines = [] if r.status == "passed" else [f"status: {r.status} -- {STATUS_MEANINGS.get(r.status, '?')}"]
    if r.message:
        lines.append(r.message)
    lines += [f"flagged for review: {f}" for f in r.flags]
    if r.run_status is not None:
        lines.append(f"before review the run gave: {r.run_status} ({r.run_points} points)")
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)
