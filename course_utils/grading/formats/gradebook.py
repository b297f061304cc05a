"""The LMS gradebook (--csv): one row per student, one column per release notebook (Report.csv_rows, write_csv)."""
from __future__ import annotations

from pathlib import Path

from course_utils.grading.formats.csvfile import _spreadsheet_safe, write_csv_table

NOT_STUDENT_FACTS = {"mistake"}  # facts of one exercise's verdict (the class mistake report's), not of the student


def csv_rows(report, notebooks=None):
    """(header, rows) of the gradebook: student, one column per release notebook, total, max, then one
    column per fact the grader read back (Record.facts, e.g. notebook 06's student id; "" if none), but for the
    facts of one exercise's verdict (NOT_STUDENT_FACTS: the mistake id verification named).

    notebooks -- the release's notebook file names in release order (default notebook_order()).
    A notebook column holds the student's points in it (an int), or "" when that notebook was not
    graded in this run (only some notebook files were named): an LMS import leaves such a cell alone.
    total and max add up what was graded, as totals() does.
    With a roster (report.roster): lms_rows() instead. Text cells are written through _spreadsheet_safe.
    """
    if report.roster is not None:
        return lms_rows(report, notebooks)
    names = list(report.notebook_order() if notebooks is None else notebooks)
    columns, used = [], {"student", "total", "max"}
    for name in names:
        column = Path(name).stem
        if column in used:  # a notebook called total.ipynb, or two stems alike: use the file name
            column = name
        used.add(column)
        columns.append(column)
    totals = report.totals()
    fact_names = list(dict.fromkeys(k for r in report.records for k in r.facts if k not in NOT_STUDENT_FACTS))
    rows = []
    for student in report.students():
        got = {}
        for r in report.student_records(student):
            got[r.notebook] = got.get(r.notebook, 0) + int(r.points)
        graded = {nb["notebook"] for nb in report.notebooks if nb["student"] == student}
        cells = [got.get(n, 0 if n in graded else "") for n in names]
        points, max_points = totals.get(student, (0, 0))
        facts = {}
        for r in report.student_records(student):
            for k, v in r.facts.items():
                facts.setdefault(k, v)
        rows.append([student, *cells, int(points), int(max_points), *(facts.get(k, "") for k in fact_names)])
    header = ["student", *columns, "total", "max", *fact_names]
    return [_spreadsheet_safe(c) for c in header], [[_spreadsheet_safe(c) for c in row] for row in rows]


def _notebook_columns(names, taken):
    columns, used = [], set(taken)
    for name in names:
        column = Path(name).stem
        if column in used:
            column = name
        used.add(column)
        columns.append(column)
    return columns


def lms_rows(report, notebooks=None):
    """(header, rows) of the gradebook for an LMS import, with a roster: one row per roster student in roster
    order, keyed by the LMS id -- the roster's identity columns (roster.Roster.identity, e.g. Canvas's Student,
    ID, SIS User ID, SIS Login ID, Section), then one column per release notebook (points, "" when that student
    handed in nothing or the notebook was not graded: an LMS import leaves such a cell alone) and Total (not
    for Canvas, which would make it one more assignment and count every point twice). Folders not on the roster
    are not in it (roster_check says which)."""
    names = list(report.notebook_order() if notebooks is None else notebooks)
    identity = list(report.roster.identity)
    columns = _notebook_columns(names, identity + ["Total"])
    total = [] if report.roster.layout == "canvas" else ["Total"]
    matched, _ = report.roster_check()
    folder_of = {s.lms_id: student for student, s in matched.items()}
    rows = []
    for s in report.roster.students:
        student = folder_of.get(s.lms_id)
        got, graded = {}, set()
        if student is not None:
            for r in report.student_records(student):
                got[r.notebook] = got.get(r.notebook, 0) + int(r.points)
            graded = {nb["notebook"] for nb in report.notebooks if nb["student"] == student}
        cells = [got.get(n, 0 if n in graded else "") for n in names]
        points = sum(c for c in cells if c != "")
        rows.append([s.values.get(h, "") for h in identity] + cells
                    + ([] if not total else [points if student is not None else ""]))
    header = identity + columns + total
    return [_spreadsheet_safe(c) for c in header], [[_spreadsheet_safe(c) for c in row] for row in rows]


def write_csv(report, path, notebooks=None):
    """Write csv_rows() to path: plain UTF-8 (no BOM), a header row, no index column; returns the Path."""
    header, rows = csv_rows(report, notebooks)
    return write_csv_table(path, header, rows)
