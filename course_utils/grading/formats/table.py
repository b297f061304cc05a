"""The console table the grader always prints (Report.format_table)."""
from __future__ import annotations

import textwrap
from pathlib import Path

from course_utils.grading.statuses import STATUSES


def format_table(report, width=100):
    """The console table: a row per record, its message whole (wrapped, indented) below it, totals, notes."""
    header = ("student", "notebook", "exercise", "points", "status")
    rows = [(r.student, Path(r.notebook).stem, r.exercise, f"{r.points}/{r.max_points}", r.status)
            for r in report.records]
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(5)]
    line = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()  # noqa: E731
    lines = [line(header), "-" * min(width, len(line(header)) + 10)]
    totals = report.totals()
    last = None
    for r, row in zip(report.records, rows):
        if last is not None and r.student != last:
            lines.append(line((last, "TOTAL", "", "{}/{}".format(*totals[last]), "")))
        last = r.student
        lines.append(line(row))
        texts = [r.message] if r.message else []
        texts += [f"note: {n}" for n in r.notes]
        for text in texts:
            for paragraph in str(text).splitlines() or [""]:
                lines += textwrap.wrap(paragraph, width=width, initial_indent="    ",
                                       subsequent_indent="      ") or ["    "]
    if last is not None:
        lines.append(line((last, "TOTAL", "", "{}/{}".format(*totals[last]), "")))
    counts = {s: sum(1 for r in report.records if r.status == s) for s in STATUSES}
    lines.append("")
    lines.append(f"{len(totals)} student(s), {len(report.notebooks)} notebook(s), {report.seconds:.1f} s; "
                 + ", ".join(f"{s} {n}" for s, n in counts.items() if n))
    if report.settings.get("sandbox"):
        lines.append(f"sandbox: {report.settings['sandbox']}")
    notes = [(nb["student"], nb["notebook"], n) for nb in report.notebooks for n in nb["notes"]]
    if notes:
        lines.append("notes:")
        for s, nb, n in notes:
            lines += textwrap.wrap(f"{s} / {Path(nb).stem}: {n}", width=width, initial_indent="  ",
                                   subsequent_indent="    ")
    if report.roster is not None:
        _, flags = report.roster_check()
        lines.append(f"roster: {report.roster.describe()}; " + (f"{len(flags)} to look at:" if flags else "all matched"))
        for f in flags:
            lines += textwrap.wrap(f"{f.kind}: {f.message}", width=width, initial_indent="  ",
                                   subsequent_indent="    ")
    return "\n".join(lines)
