"""The report as JSON (--json): everything, one dict per record (Report.to_dict, write_json)."""
from __future__ import annotations

import json
from pathlib import Path


def to_dict(report):
    """The JSON object: release, results (one dict per record), students, notebooks, settings; with a roster also
    roster (its file, layout, id column, and flags: see roster_check) and each student's lms_id."""
    students = [{"student": s, "points": p, "max_points": m,
                 "flagged": sum(1 for r in report.records if r.student == s and r.status == "flagged")}
                for s, (p, m) in report.totals().items()]
    out = {"release": report.release, "results": [r.to_dict() for r in report.records],
           "students": students, "notebooks": report.notebooks, "settings": report.settings,
           "seconds": round(report.seconds, 3)}
    if report.roster is not None:
        matched, flags = report.roster_check()
        for entry in students:
            entry["lms_id"] = matched[entry["student"]].lms_id if entry["student"] in matched else None
        out["roster"] = {"file": str(report.roster.path), "layout": report.roster.layout,
                         "id_column": report.roster.id_header, "students": len(report.roster.students),
                         "flags": [f.to_dict() for f in flags]}
    return out


def write_json(report, path):
    """Write to_dict() to path as JSON; returns the Path."""
    path = Path(path)
    path.write_text(json.dumps(to_dict(report), indent=1) + "\n", encoding="utf-8")
    return path
