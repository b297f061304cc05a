"""Stage 7: what grading produces -- Records, the Report and its forms (JSON, the console table)."""
from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("passed", "failed", "error", "timeout", "missing", "flagged")


@dataclass
class Record:
    """One graded exercise of one student's notebook (message: the whole message)."""

    student: str
    notebook: str
    exercise: str
    points: int
    max_points: int
    status: str
    message: str
    cell_id: str
    submission: str
    notes: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    run_status: str | None = None  # flagged records: what the run gave before review
    run_points: int | None = None

    def to_dict(self):
        return dict(self.__dict__)


@dataclass
class Report:
    """What grade() found: one Record per (student, notebook, exercise), plus per-notebook notes."""

    release: str
    records: list
    notebooks: list  # dicts: student, notebook, submission, status, notes, seconds
    settings: dict
    seconds: float

    def totals(self):
        """{student: (points, max_points)} in the order students were graded."""
        out = {}
        for r in self.records:
            p, m = out.get(r.student, (0, 0))
            out[r.student] = (p + r.points, m + r.max_points)
        return out

    def to_dict(self):
        """The JSON object: release, results (one dict per record), students, notebooks, settings."""
        students = [{"student": s, "points": p, "max_points": m,
                     "flagged": sum(1 for r in self.records if r.student == s and r.status == "flagged")}
                    for s, (p, m) in self.totals().items()]
        return {"release": self.release, "results": [r.to_dict() for r in self.records],
                "students": students, "notebooks": self.notebooks, "settings": self.settings,
                "seconds": round(self.seconds, 3)}

    def write_json(self, path):
        """Write to_dict() to path as JSON; returns the Path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        return path

    def format_table(self, width=100):
        """The console table: a row per record, its message whole (wrapped, indented) below it, totals, notes."""
        header = ("student", "notebook", "exercise", "points", "status")
        rows = [(r.student, Path(r.notebook).stem, r.exercise, f"{r.points}/{r.max_points}", r.status)
                for r in self.records]
        widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(5)]
        line = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()  # noqa: E731
        lines = [line(header), "-" * min(width, len(line(header)) + 10)]
        totals = self.totals()
        last = None
        for r, row in zip(self.records, rows):
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
        counts = {s: sum(1 for r in self.records if r.status == s) for s in STATUSES}
        lines.append("")
        lines.append(f"{len(totals)} student(s), {len(self.notebooks)} notebook(s), {self.seconds:.1f} s; "
                     + ", ".join(f"{s} {n}" for s, n in counts.items() if n))
        if self.settings.get("sandbox"):
            lines.append(f"sandbox: {self.settings['sandbox']}")
        notes = [(nb["student"], nb["notebook"], n) for nb in self.notebooks for n in nb["notes"]]
        if notes:
            lines.append("notes:")
            for s, nb, n in notes:
                lines += textwrap.wrap(f"{s} / {Path(nb).stem}: {n}", width=width, initial_indent="  ",
                                       subsequent_indent="    ")
        return "\n".join(lines)
