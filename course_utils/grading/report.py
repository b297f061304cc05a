"""Stage 7: what grading produces -- Records and the Report that holds them.

The Report's forms are Report methods (the command line offers each as an option, cli.py); each calls its
module in grading/formats/, which holds the whole form:

    to_dict / write_json    everything, as JSON (--json; formats/jsonfile.py)
    format_table            the console table, every message whole (always printed; formats/table.py)
    write_csv               one row per student for an LMS gradebook (--csv; formats/gradebook.py)
    write_feedback          one self-contained HTML page per student plus index.html (--feedback; formats/feedback.py)
    gradescope_results      Gradescope's results.json for one student (--gradescope-results; formats/gradescope.py)
    classroom_results       the runner result GitHub Classroom's grading reporter reads (--classroom-results;
                            formats/classroom.py)

Student-provided text -- messages hold what the student's code printed, notes name the student's
files -- is escaped in HTML and marked as plain text in Gradescope's JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from course_utils.grading.formats import classroom, feedback, gradebook, gradescope, jsonfile, table
from course_utils.grading.formats.classroom import CLASSROOM_STATUS
from course_utils.grading.formats.csvfile import FORMULA_STARTS, _spreadsheet_safe, write_csv_table
from course_utils.grading.statuses import STATUS_MEANINGS, STATUSES

__all__ = ["STATUSES", "STATUS_MEANINGS", "CLASSROOM_STATUS", "FORMULA_STARTS", "Record", "Report",
           "write_csv_table", "_spreadsheet_safe"]


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

    def student_records(self, student):
        """This student's records, in the order they were graded."""
        return [r for r in self.records if r.student == student]

    def one_student(self, student, form):
        """student, or the only student of the report when None; ValueError when that is not one student here."""
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

    def sorted_records(self, student):
        """This student's records in release order (notebook_order())."""
        rank = {n: i for i, n in enumerate(self.notebook_order())}
        return sorted(self.student_records(student), key=lambda r: rank.get(r.notebook, len(rank)))

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

    # ----------------------------------------------------------------------- the forms (grading/formats/)
    def to_dict(self):
        """The JSON object (formats/jsonfile.py)."""
        return jsonfile.to_dict(self)

    def write_json(self, path):
        """Write to_dict() to path as JSON; returns the Path."""
        return jsonfile.write_json(self, path)

    def format_table(self, width=100):
        """The console table (formats/table.py)."""
        return table.format_table(self, width)

    def csv_rows(self, notebooks=None):
        """(header, rows) of the LMS gradebook (formats/gradebook.py); with a roster lms_rows()."""
        return gradebook.csv_rows(self, notebooks)

    def lms_rows(self, notebooks=None):
        """(header, rows) of the gradebook keyed by the roster's LMS ids (formats/gradebook.py)."""
        return gradebook.lms_rows(self, notebooks)

    def write_csv(self, path, notebooks=None):
        """Write csv_rows() to path; returns the Path."""
        return gradebook.write_csv(self, path, notebooks)

    def feedback_file_names(self):
        """{student: file name} of the feedback pages (formats/feedback.py)."""
        return feedback.feedback_file_names(self)

    def feedback_html(self, student):
        """One student's feedback page (formats/feedback.py)."""
        return feedback.feedback_html(self, student)

    def feedback_index_html(self, files=None):
        """index.html of the feedback pages (formats/feedback.py)."""
        return feedback.feedback_index_html(self, files)

    def write_feedback(self, folder):
        """Write one page per student and index.html into folder; returns {student: Path}."""
        return feedback.write_feedback(self, folder)

    def gradescope_results(self, student=None, visibility="visible", stdout_visibility="hidden"):
        """Gradescope's results.json object for one student (formats/gradescope.py)."""
        return gradescope.gradescope_results(self, student, visibility, stdout_visibility)

    def write_gradescope_results(self, path, student=None):
        """Write gradescope_results() to path; returns the Path."""
        return gradescope.write_gradescope_results(self, path, student)

    def classroom_results(self, student=None):
        """GitHub Classroom's runner result for one student (formats/classroom.py)."""
        return classroom.classroom_results(self, student)

    def classroom_results_base64(self, student=None):
        """classroom_results() as base64 of its JSON text."""
        return classroom.classroom_results_base64(self, student)

    def write_classroom_results(self, path, student=None, encoding="json"):
        """Write classroom_results() to path as JSON, or (encoding="base64") as one base64 line."""
        return classroom.write_classroom_results(self, path, student, encoding)
