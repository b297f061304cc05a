"""The feedback pages (--feedback): one self-contained HTML page per student plus index.html (Report.write_feedback).

Student-provided text -- messages hold what the student's code printed, notes name the student's files -- is
escaped; the pages carry inline CSS, no script and nothing fetched from elsewhere.
"""
from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

from course_utils.grading.formats import ran_text
from course_utils.grading.statuses import STATUS_MEANINGS, STATUSES


def feedback_file_names(report):
    """{student: file name} of the feedback pages: [A-Za-z0-9._-] only, never hidden, never index.html.

    A student id that is not already such a name (or clashes, ignoring case, with another) gets a
    cleaned name plus 8 hex digits of its SHA-256, so "../x" becomes "x-<hash>.html".
    """
    out, taken = {}, {"index"}
    reserved = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}
    for student in report.students():
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._-")[:60] or "student"
        name = base
        if name != student or name.lower() in taken or name.lower() in reserved:
            digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()
            name, n = f"{base}-{digest[:8]}", 2
            while name.lower() in taken:
                name, n = f"{base}-{digest[:8]}-{n}", n + 1
        taken.add(name.lower())
        out[student] = name + ".html"
    return out


def feedback_html(report, student):
    """One student's feedback page: a self-contained HTML document (inline CSS, no script, no links out)."""
    student = report.one_student(student, "feedback_html")
    records = report.student_records(student)
    points, max_points = report.totals().get(student, (0, 0))
    order = report.notebook_order()
    by_nb = {}
    for r in records:
        by_nb.setdefault(r.notebook, []).append(r)
    nb_info = {nb["notebook"]: nb for nb in report.notebooks if nb["student"] == student}
    names = [n for n in order if n in by_nb or n in nb_info]
    names += [n for n in list(by_nb) + list(nb_info) if n not in names]
    counts = {s: sum(1 for r in records if r.status == s) for s in STATUSES}
    e = _esc
    parts = [f"<h1>Feedback for {e(student)}</h1>",
             '<div class="summary">',
             f'<p class="score"><span class="total">{points}</span> / {max_points} points</p>',
             "<p>" + ", ".join(f'<span class="badge {s}">{n} {s}</span>' for s, n in counts.items() if n)
             + "</p>"]
    if names:
        parts.append('<table class="notebooks"><thead><tr><th>Notebook</th><th>Points</th></tr></thead><tbody>')
        for n in names:
            rs = by_nb.get(n, [])
            parts.append(f'<tr><td><a href="#{e(_anchor(n))}">{e(n)}</a></td>'
                         f'<td>{sum(r.points for r in rs)} / {sum(r.max_points for r in rs)}</td></tr>')
        parts.append("</tbody></table>")
    parts.append(f'<p class="ran"><strong>How your code ran:</strong> {e(ran_text(report))}</p>')
    flagged = counts["flagged"]
    if flagged:
        parts.append(f'<p class="review">{flagged} exercise(s) are flagged: they count 0 points until a '
                     "person has reviewed them; their points may change.</p>")
    parts.append("</div>")
    for n in names:
        rs = by_nb.get(n, [])
        info = nb_info.get(n, {})
        parts.append(f'<section class="notebook" id="{e(_anchor(n))}">'
                     f"<h2>{e(n)} <small>{sum(r.points for r in rs)} / {sum(r.max_points for r in rs)} "
                     "points</small></h2>")
        if info.get("status") not in (None, "graded"):
            parts.append(f'<p class="nbstatus">This notebook was not graded: {e(info["status"])}.</p>')
        if info.get("notes"):
            parts.append('<ul class="nbnotes">' + "".join(f"<li>{_pre_line(x)}</li>" for x in info["notes"])
                         + "</ul>")
        for r in rs:
            parts.append(_exercise_html(r))
        parts.append("</section>")
    parts.append("<footer><p>Statuses: " + "; ".join(
        f'<span class="badge {s}">{s}</span> {e(m)}' for s, m in STATUS_MEANINGS.items()) + ".</p>"
        f"<p>Release: {e(Path(report.release).name)}.</p></footer>")
    return _page(f"Feedback for {student}: {points} / {max_points} points", "\n".join(parts))


def _exercise_html(r):
    e = _esc
    out = [f'<article class="exercise {e(r.status)}" data-status="{e(r.status)}">',
           f'<h3><span class="name">{e(r.exercise)}</span>'
           f'<span class="right"><span class="badge {e(r.status)}">{e(r.status)}</span> '
           f'<span class="points">{r.points} / {r.max_points} points</span></span></h3>']
    if r.message:
        out.append(f'<pre class="message">{e(_clean(r.message))}</pre>')
    if r.flags:
        out.append('<p class="label">Flagged for review:</p><ul class="flags">'
                   + "".join(f"<li>{_pre_line(f)}</li>" for f in r.flags) + "</ul>")
    if r.run_status is not None:
        out.append(f'<p class="label">Before review the run gave: {e(r.run_status)} '
                   f"({e(str(r.run_points))} points).</p>")
    if r.notes:
        out.append('<ul class="notes">' + "".join(f"<li>Note: {_pre_line(n)}</li>" for n in r.notes) + "</ul>")
    out.append(f'<p class="cell">Exercise cell <code>{e(r.cell_id)}</code> in {e(r.notebook)}</p></article>')
    return "\n".join(out)


def feedback_index_html(report, files=None):
    """index.html: every student with points and a link to the page (files: feedback_file_names())."""
    files = files or feedback_file_names(report)
    totals = report.totals()
    e = _esc
    rows = []
    for student in report.students():
        p, m = totals.get(student, (0, 0))
        flagged = sum(1 for r in report.student_records(student) if r.status == "flagged")
        rows.append(f'<tr><td><a href="{e(files[student])}">{e(student)}</a></td><td>{p} / {m}</td>'
                    f'<td>{f"{flagged} flagged" if flagged else ""}</td></tr>')
    body = (f"<h1>Feedback: {len(rows)} student(s)</h1>"
            f'<p class="ran"><strong>How student code ran:</strong> {e(ran_text(report))}</p>'
            '<table class="students"><thead><tr><th>Student</th><th>Points</th><th>Review</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")
    return _page("Feedback: all students", body)


def write_feedback(report, folder):
    """Write one page per student and index.html into folder (created); returns {student: Path}.

    The pages are written only inside folder, under feedback_file_names(); nothing else is touched.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = feedback_file_names(report)
    out = {}
    for student, name in files.items():
        target = folder / name
        target.write_text(feedback_html(report, student), encoding="utf-8", errors="replace")
        out[student] = target
    (folder / "index.html").write_text(feedback_index_html(report, files), encoding="utf-8", errors="replace")
    return out


# ------------------------------------------------------------------------------------ HTML pieces
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text):
    """Text fit for a page: terminal color codes dropped, other control characters shown as U+FFFD."""
    return _CONTROL.sub("\ufffd", _ANSI.sub("", str(text)))


def _esc(text):
    return html.escape(_clean(text), quote=True)


def _pre_line(text):
    """An escaped note or flag whose line breaks are kept."""
    return _esc(text).replace("\n", "<br>")


def _anchor(name):
    return "nb-" + re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name).stem)


_CSS = """
:root{color-scheme:light}
body{margin:0;background:#f6f8fa;color:#1f2328;
  font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:58rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
h1{font-size:1.6rem;margin:.25rem 0 1rem}
h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-bottom:.3rem;border-bottom:1px solid #d0d7de}
h2 small{font-weight:400;color:#59636e;font-size:.95rem;margin-left:.5rem}
h3{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;margin:0;font-size:1.05rem}
.summary{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:.9rem 1.25rem}
.score{font-size:1.9rem;font-weight:700;margin:0 0 .4rem}
table{border-collapse:collapse;margin:.6rem 0;background:#fff}
th,td{text-align:left;padding:.3rem .9rem .3rem 0;border-bottom:1px solid #d8dee4}
.exercise{background:#fff;border:1px solid #d0d7de;border-left:6px solid var(--c);border-radius:6px;
  padding:.7rem 1rem;margin:.7rem 0}
.badge{display:inline-block;padding:0 .55rem;border-radius:999px;font-size:.82rem;font-weight:600;color:#fff;
  background:var(--c);white-space:nowrap}
.points{font-weight:600;white-space:nowrap}
pre.message{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;border:1px solid #d8dee4;
  border-radius:6px;padding:.55rem .8rem;margin:.55rem 0 0;
  font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
ul{margin:.4rem 0;padding-left:1.3rem}
.label{margin:.5rem 0 0;font-weight:600}
.cell{margin:.45rem 0 0;color:#59636e;font-size:.85rem}
.ran,.review,.nbstatus{margin:.5rem 0 0}
footer{margin-top:2.5rem;color:#59636e;font-size:.85rem}
.passed{--c:#1a7f37}.failed{--c:#cf222e}.error{--c:#bc4c00}.timeout{--c:#9a6700}.missing{--c:#6e7781}
.flagged{--c:#8250df}
"""


def _page(title, body):
    """A whole HTML document: inline CSS, a policy that forbids scripts and anything fetched from elsewhere."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            "</body>\n</html>\n")
