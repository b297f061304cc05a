"""Stage 7: what grading produces -- Records, the Report and its forms.

The forms, each a Report method (the command line offers each as an option, cli.py):

    to_dict / write_json    everything, as JSON (--json)
    format_table            the console table, every message whole (always printed)
    write_csv               one row per student for an LMS gradebook (--csv)
    write_feedback          one self-contained HTML page per student plus index.html (--feedback)
    gradescope_results      Gradescope's results.json for one student (--gradescope-results)
    classroom_results       the runner result GitHub Classroom's grading reporter reads (--classroom-results)

Student-provided text -- messages hold what the student's code printed, notes name the student's
files -- is escaped in HTML and marked as plain text in Gradescope's JSON.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("passed", "failed", "error", "timeout", "missing", "flagged")

# what each status means, for people reading feedback
STATUS_MEANINGS = {
    "passed": "every check passed and the verification run on fresh inputs agreed",
    "failed": "a check or the verification run found a wrong answer",
    "error": "the code raised an error, or the notebook could not be read",
    "timeout": "a cell ran longer than the time limit",
    "missing": "the notebook or the exercise cell was not in the submission",
    "flagged": "held at 0 points until a person has reviewed the code",
}
# GitHub Classroom's reporter counts "pass" as passed, prints the message of "error" tests and counts
# everything else as failed (console-results.js lines 24-38 of classroom-resources/autograding-grading-reporter)
CLASSROOM_STATUS = {"passed": "pass", "failed": "fail", "missing": "fail", "flagged": "fail",
                    "error": "error", "timeout": "error"}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width =+-@
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _spreadsheet_safe(value):
    """A CSV cell that no spreadsheet runs as a formula: numbers as they are; text that starts (after any spaces) with
    =, +, -, @, a tab, CR or LF gets a leading ' (OWASP's advice for CSV injection), unless it is a plain number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    start = text.lstrip(" ")[:1]
    if start and start in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text


def write_csv_table(path, header, rows):
    """Write a CSV a spreadsheet may open: plain UTF-8 (no BOM), every text cell through _spreadsheet_safe.
    Every CSV the grader writes goes through here. Returns the Path."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", errors="replace", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([_spreadsheet_safe(c) for c in header])
        writer.writerows([_spreadsheet_safe(c) for c in row] for row in rows)
    return path


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
    facts: dict = field(default_factory=dict)  # what the grader read from the submission, e.g. the student id

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
    # the release's notebook file names in release order; None: derived from what was graded
    # (notebook_order). cli.py fills it from the release it loaded.
    release_notebooks: list | None = None
    # the class list (roster.Roster, --roster): the gradebook CSV is then keyed by the LMS id, and the table and the
    # JSON say which folders are not on it, who handed in nothing and whose notebook-06 id is not their own
    roster: object = None

    def students(self):
        """Student ids in the order they were graded (those with records first)."""
        seen = dict.fromkeys(r.student for r in self.records)
        seen.update(dict.fromkeys(nb["student"] for nb in self.notebooks))
        return list(seen)

    def notebook_order(self):
        """The release's notebook file names in release order.

        release_notebooks when set (cli.py sets it from the release). Otherwise derived from what was
        graded: grade() grades each student's notebooks in release order, so every student's sequence
        (from self.notebooks, then self.records) is a subsequence of the release order; these are
        merged, ties (two notebooks no student had both of) broken by name. A release notebook no
        student was graded on cannot be known this way -- pass the order explicitly for those.
        """
        if self.release_notebooks is not None:
            return list(self.release_notebooks)
        sequences = {}
        for student, name in ([(nb["student"], nb["notebook"]) for nb in self.notebooks]
                              + [(r.student, r.notebook) for r in self.records]):
            seq = sequences.setdefault(student, [])
            if name not in seq:
                seq.append(name)
        after = {}  # name -> names that must come after it
        before_count = {}
        for seq in sequences.values():
            for name in seq:
                after.setdefault(name, set())
                before_count.setdefault(name, 0)
            for a, b in zip(seq, seq[1:]):
                if b not in after[a]:
                    after[a].add(b)
                    before_count[b] += 1
        order, ready = [], sorted(n for n, c in before_count.items() if c == 0)
        while ready:
            name = ready.pop(0)
            order.append(name)
            for b in after[name]:
                before_count[b] -= 1
                if before_count[b] == 0:
                    ready.append(b)
            ready.sort()
        order += sorted(n for n in after if n not in order)  # inconsistent sequences (never from grade())
        return order

    def students_below(self, points):
        """[(student, points, max_points)] of every student whose total is below points."""
        return [(s, p, m) for s, (p, m) in self.totals().items() if p < points]

    def _student_records(self, student):
        return [r for r in self.records if r.student == student]

    def _one_student(self, student, form):
        students = self.students()
        if student is None:
            if len(students) != 1:
                raise ValueError(f"{form} is for one student; this report has {len(students)} "
                                 f"({', '.join(students[:5])}{', ...' if len(students) > 5 else ''})")
            return students[0]
        if student not in students:
            raise ValueError(f"{form}: no student {student!r} in this report")
        return student

    def totals(self):
        """{student: (points, max_points)} in the order students were graded."""
        out = {}
        for r in self.records:
            p, m = out.get(r.student, (0, 0))
            out[r.student] = (p + r.points, m + r.max_points)
        return out

    def to_dict(self):
        """The JSON object: release, results (one dict per record), students, notebooks, settings; with a roster also
        roster (its file, layout, id column, and flags: see roster_check) and each student's lms_id."""
        students = [{"student": s, "points": p, "max_points": m,
                     "flagged": sum(1 for r in self.records if r.student == s and r.status == "flagged")}
                    for s, (p, m) in self.totals().items()]
        out = {"release": self.release, "results": [r.to_dict() for r in self.records],
               "students": students, "notebooks": self.notebooks, "settings": self.settings,
               "seconds": round(self.seconds, 3)}
        if self.roster is not None:
            matched, flags = self.roster_check()
            for entry in students:
                entry["lms_id"] = matched[entry["student"]].lms_id if entry["student"] in matched else None
            out["roster"] = {"file": str(self.roster.path), "layout": self.roster.layout,
                             "id_column": self.roster.id_header, "students": len(self.roster.students),
                             "flags": [f.to_dict() for f in flags]}
        return out

    def roster_check(self):
        """({student: roster.Student}, [roster.Flag]) against self.roster: folders not on it or matching several
        students, roster students who handed in nothing, and notebook-06 ids that are not the student's own."""
        from course_utils.grading import roster as rosters

        matched, flags = rosters.match(self.roster, self.students())
        read_back = {}
        for r in self.records:
            for k, v in r.facts.items():
                if k.startswith("student id") and v:
                    read_back.setdefault(r.student, str(v))
        return matched, flags + rosters.id_flags(self.roster, matched, read_back)

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
        if self.roster is not None:
            _, flags = self.roster_check()
            lines.append(f"roster: {self.roster.describe()}; " + (f"{len(flags)} to look at:" if flags else "all matched"))
            for f in flags:
                lines += textwrap.wrap(f"{f.kind}: {f.message}", width=width, initial_indent="  ",
                                       subsequent_indent="    ")
        return "\n".join(lines)

    # ------------------------------------------------------------------------------- LMS gradebook
    def csv_rows(self, notebooks=None):
        """(header, rows) of the gradebook: student, one column per release notebook, total, max, then one
        column per fact the grader read back (Record.facts, e.g. notebook 06's student id; "" if none).

        notebooks -- the release's notebook file names in release order (default notebook_order()).
        A notebook column holds the student's points in it (an int), or "" when that notebook was not
        graded in this run (only some notebook files were named): an LMS import leaves such a cell alone.
        total and max add up what was graded, as totals() does.
        With a roster (self.roster): lms_rows() instead. Text cells are written through _spreadsheet_safe.
        """
        if self.roster is not None:
            return self.lms_rows(notebooks)
        names = list(self.notebook_order() if notebooks is None else notebooks)
        columns, used = [], {"student", "total", "max"}
        for name in names:
            column = Path(name).stem
            if column in used:  # a notebook called total.ipynb, or two stems alike: use the file name
                column = name
            used.add(column)
            columns.append(column)
        totals = self.totals()
        fact_names = list(dict.fromkeys(k for r in self.records for k in r.facts))
        rows = []
        for student in self.students():
            got = {}
            for r in self._student_records(student):
                got[r.notebook] = got.get(r.notebook, 0) + int(r.points)
            graded = {nb["notebook"] for nb in self.notebooks if nb["student"] == student}
            cells = [got.get(n, 0 if n in graded else "") for n in names]
            points, max_points = totals.get(student, (0, 0))
            facts = {}
            for r in self._student_records(student):
                for k, v in r.facts.items():
                    facts.setdefault(k, v)
            rows.append([student, *cells, int(points), int(max_points), *(facts.get(k, "") for k in fact_names)])
        header = ["student", *columns, "total", "max", *fact_names]
        return [_spreadsheet_safe(c) for c in header], [[_spreadsheet_safe(c) for c in row] for row in rows]

    def _notebook_columns(self, names, taken):
        columns, used = [], set(taken)
        for name in names:
            column = Path(name).stem
            if column in used:
                column = name
            used.add(column)
            columns.append(column)
        return columns

    def lms_rows(self, notebooks=None):
        """(header, rows) of the gradebook for an LMS import, with a roster: one row per roster student in roster
        order, keyed by the LMS id -- the roster's identity columns (roster.Roster.identity, e.g. Canvas's Student,
        ID, SIS User ID, SIS Login ID, Section), then one column per release notebook (points, "" when that student
        handed in nothing or the notebook was not graded: an LMS import leaves such a cell alone) and Total (not
        for Canvas, which would make it one more assignment and count every point twice). Folders not on the roster
        are not in it (roster_check says which)."""
        names = list(self.notebook_order() if notebooks is None else notebooks)
        identity = list(self.roster.identity)
        columns = self._notebook_columns(names, identity + ["Total"])
        total = [] if self.roster.layout == "canvas" else ["Total"]
        matched, _ = self.roster_check()
        folder_of = {s.lms_id: student for student, s in matched.items()}
        rows = []
        for s in self.roster.students:
            student = folder_of.get(s.lms_id)
            got, graded = {}, set()
            if student is not None:
                for r in self._student_records(student):
                    got[r.notebook] = got.get(r.notebook, 0) + int(r.points)
                graded = {nb["notebook"] for nb in self.notebooks if nb["student"] == student}
            cells = [got.get(n, 0 if n in graded else "") for n in names]
            points = sum(c for c in cells if c != "")
            rows.append([s.values.get(h, "") for h in identity] + cells
                        + ([] if not total else [points if student is not None else ""]))
        header = identity + columns + total
        return [_spreadsheet_safe(c) for c in header], [[_spreadsheet_safe(c) for c in row] for row in rows]

    def write_csv(self, path, notebooks=None):
        """Write csv_rows() to path: plain UTF-8 (no BOM), a header row, no index column; returns the Path."""
        header, rows = self.csv_rows(notebooks)
        return write_csv_table(path, header, rows)

    # ---------------------------------------------------------------------------- feedback pages
    def feedback_file_names(self):
        """{student: file name} of the feedback pages: [A-Za-z0-9._-] only, never hidden, never index.html.

        A student id that is not already such a name (or clashes, ignoring case, with another) gets a
        cleaned name plus 8 hex digits of its SHA-256, so "../x" becomes "x-<hash>.html".
        """
        out, taken = {}, {"index"}
        reserved = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}
        for student in self.students():
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

    def feedback_html(self, student):
        """One student's feedback page: a self-contained HTML document (inline CSS, no script, no links out)."""
        student = self._one_student(student, "feedback_html")
        records = self._student_records(student)
        points, max_points = self.totals().get(student, (0, 0))
        order = self.notebook_order()
        by_nb = {}
        for r in records:
            by_nb.setdefault(r.notebook, []).append(r)
        nb_info = {nb["notebook"]: nb for nb in self.notebooks if nb["student"] == student}
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
        parts.append(f'<p class="ran"><strong>How your code ran:</strong> {e(self._ran_text())}</p>')
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
                parts.append(self._exercise_html(r))
            parts.append("</section>")
        parts.append("<footer><p>Statuses: " + "; ".join(
            f'<span class="badge {s}">{s}</span> {e(m)}' for s, m in STATUS_MEANINGS.items()) + ".</p>"
            f"<p>Release: {e(Path(self.release).name)}.</p></footer>")
        return _page(f"Feedback for {student}: {points} / {max_points} points", "\n".join(parts))

    @staticmethod
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

    def _ran_text(self):
        ran = self.settings.get("sandbox") or "not recorded"
        timeout = self.settings.get("timeout")
        return f"{ran}; time limit per cell {timeout:g} s" if isinstance(timeout, (int, float)) else ran

    def feedback_index_html(self, files=None):
        """index.html: every student with points and a link to the page (files: feedback_file_names())."""
        files = files or self.feedback_file_names()
        totals = self.totals()
        e = _esc
        rows = []
        for student in self.students():
            p, m = totals.get(student, (0, 0))
            flagged = sum(1 for r in self._student_records(student) if r.status == "flagged")
            rows.append(f'<tr><td><a href="{e(files[student])}">{e(student)}</a></td><td>{p} / {m}</td>'
                        f'<td>{f"{flagged} flagged" if flagged else ""}</td></tr>')
        body = (f"<h1>Feedback: {len(rows)} student(s)</h1>"
                f'<p class="ran"><strong>How student code ran:</strong> {e(self._ran_text())}</p>'
                '<table class="students"><thead><tr><th>Student</th><th>Points</th><th>Review</th></tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")
        return _page("Feedback: all students", body)

    def write_feedback(self, folder):
        """Write one page per student and index.html into folder (created); returns {student: Path}.

        The pages are written only inside folder, under feedback_file_names(); nothing else is touched.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = self.feedback_file_names()
        out = {}
        for student, name in files.items():
            target = folder / name
            target.write_text(self.feedback_html(student), encoding="utf-8", errors="replace")
            out[student] = target
        (folder / "index.html").write_text(self.feedback_index_html(files), encoding="utf-8", errors="replace")
        return out

    # --------------------------------------------------------------------------------- Gradescope
    def _details(self, r):
        """The whole text about one record: status (unless passed), message, flags, notes."""
        lines = [] if r.status == "passed" else [f"status: {r.status} -- {STATUS_MEANINGS.get(r.status, '?')}"]
        if r.message:
            lines.append(r.message)
        lines += [f"flagged for review: {f}" for f in r.flags]
        if r.run_status is not None:
            lines.append(f"before review the run gave: {r.run_status} ({r.run_points} points)")
        lines += [f"note: {n}" for n in r.notes]
        return "\n".join(lines)

    def _summary_text(self, student):
        points, max_points = self.totals().get(student, (0, 0))
        lines = [f"Total: {points}/{max_points} points", f"How your code ran: {self._ran_text()}"]
        flagged = sum(1 for r in self._student_records(student) if r.status == "flagged")
        if flagged:
            lines.append(f"{flagged} exercise(s) flagged: 0 points until a person has reviewed them")
        for nb in self.notebooks:
            if nb["student"] == student:
                lines += [f"{Path(nb['notebook']).stem}: {n}" for n in nb["notes"]]
        return "\n".join(lines)

    def gradescope_results(self, student=None, visibility="visible", stdout_visibility="hidden"):
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
        student = self._one_student(student, "gradescope_results")
        points, _ = self.totals().get(student, (0, 0))
        tests = [{"name": f"{Path(r.notebook).stem} / {r.exercise}", "score": int(r.points),
                  "max_score": int(r.max_points), "status": "passed" if r.status == "passed" else "failed",
                  "output": self._details(r), "visibility": "visible"}
                 for r in self._sorted_records(student)]
        return {"score": int(points), "execution_time": int(round(self.seconds)),
                "output": self._summary_text(student), "output_format": "text", "test_output_format": "text",
                "test_name_format": "text", "visibility": visibility, "stdout_visibility": stdout_visibility,
                "tests": tests}

    def _sorted_records(self, student):
        rank = {n: i for i, n in enumerate(self.notebook_order())}
        return sorted(self._student_records(student), key=lambda r: rank.get(r.notebook, len(rank)))

    def write_gradescope_results(self, path, student=None):
        """Write gradescope_results() to path (Gradescope reads /autograder/results/results.json)."""
        path = Path(path)
        path.write_text(json.dumps(self.gradescope_results(student), indent=1) + "\n", encoding="utf-8")
        return path

    # ----------------------------------------------------------------------------- GitHub Classroom
    def classroom_results(self, student=None):
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
        student = self._one_student(student, "classroom_results")
        records = self._sorted_records(student)
        _, max_points = self.totals().get(student, (0, 0))
        tests = []
        for r in records:
            status = CLASSROOM_STATUS.get(r.status, "fail")
            name = f"{Path(r.notebook).stem} / {r.exercise}"
            details = self._details(r)
            if status == "error":  # the reporter prints "Error: <message>" without the test's name
                details = f"{name}: {details}"
            tests.append({"name": name, "status": status, "score": int(r.points), "message": details,
                          "test_code": details if status == "fail" else "",
                          "filename": r.notebook, "line_no": 0})
        statuses = {t["status"] for t in tests}
        overall = "fail" if "fail" in statuses else ("error" if "error" in statuses else "pass")
        return {"version": 1, "status": overall, "max_score": int(max_points), "tests": tests}

    def classroom_results_base64(self, student=None):
        """classroom_results() as the reporter's environment variable holds it: base64 of the JSON text."""
        text = json.dumps(self.classroom_results(student), separators=(",", ":"))
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    def write_classroom_results(self, path, student=None, encoding="json"):
        """Write classroom_results() to path as JSON, or (encoding="base64") as one base64 line."""
        path = Path(path)
        if encoding == "base64":
            text = self.classroom_results_base64(student)
        elif encoding == "json":
            text = json.dumps(self.classroom_results(student), indent=1)
        else:
            raise ValueError(f"encoding: expected json or base64, got {encoding!r}")
        path.write_text(text + "\n", encoding="utf-8")
        return path


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
