"""The class roster (``--roster FILE``): who should have handed in, under which LMS id.

A roster is a CSV file with a header row: the roster a learning-management system exports, or one written by hand.
Headers are matched ignoring case, spaces and punctuation at the ends; the columns the grader reads:

    layout      recognised by             LMS id (the key)        name                      section
    Canvas      "SIS Login ID", or        ID                      Student                   Section
                "Student" and "ID"
    Moodle      "Email address"           ID number (if every     First name + Last name    Group / Groups
                                          row has one), else      (or Surname)
                                          Email address
    Gradescope  "SID", or "Email" with    SID (if every row has   Name / Full Name, or      Section / Sections
                a name column             one), else Email        First Name + Last Name
    plain       "ID" / "Student ID" /     that column             Name                      Section
                "LMS ID"

The submission folder of a student: the column "Folder" / "Submission" / "Submission folder" when there is one;
without it, a folder is matched to the student one of whose identifiers it is (case ignored): the LMS id, the login
(Canvas "SIS Login ID" / "SIS User ID", Moodle "Username", any "Login" / "Username" column), the email address or
the part of it before the @. Notebook 06's student id must be one of the student's own identifiers, or the value
of a "Capstone ID" / "Course ID" / "06 ID" column when the roster has one.

Canvas exports carry a "Points Possible" row, maybe a posting-policy row (no student, no id) and Canvas's test
student ("Student, Test"); all are skipped.
Errors name the row (its line in the file): a missing column, a row without an id or a folder, an id or a folder
that two rows share.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.grading.release import UsageError

MAX_BYTES = 10 * 2 ** 20  # a roster of 100,000 students is ~10 MB

FOLDER = ("folder", "submission", "submission folder", "submission_folder")
CAPSTONE = ("capstone id", "course id", "06 id", "notebook 06 id", "student id (06)")
LOGINS = ("sis login id", "sis user id", "integration id", "username", "login", "login id", "user name",
          "github username", "github_username")
CANVAS_SKIP = ("points possible", "student, test", "test student")


def _key(header):
    return re.sub(r"\s+", " ", str(header).strip().strip("\ufeff").strip(" :*").lower())


@dataclass(frozen=True, eq=False)
class Student:
    """One row of the roster."""

    row: int  # its line in the file (the header is line 1)
    lms_id: str
    name: str
    section: str
    folder: str  # "" when the roster has no folder column
    identifiers: tuple  # lower-case: LMS id, logins, email and its local part (what a folder or a 06 id may be)
    capstone_ids: tuple  # lower-case: the ids notebook 06 may hold (a Capstone ID column, else the identifiers)
    values: dict = field(default_factory=dict)  # header (as in the file) -> value: the LMS's identity columns


@dataclass(frozen=True)
class Roster:
    """A parsed roster: layout ("canvas", "moodle", "gradescope", "plain"), the students in file order, and the
    identity columns (headers as in the file) the gradebook CSV starts with, the LMS id's column first where the LMS
    allows (Canvas keeps its own order: Student, ID, SIS User ID, SIS Login ID, Section)."""

    path: Path
    layout: str
    id_header: str
    identity: tuple
    students: tuple

    def describe(self):
        return f"{self.path.name}: {self.layout} layout, {len(self.students)} student(s), keyed by {self.id_header!r}"


def _read_rows(path):
    path = Path(path)
    where = f"--roster FILE: {path}"
    try:
        raw = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise UsageError(f"{where} cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{where} is over {MAX_BYTES // 2 ** 20} MB; expected a class list")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text; save it as \"CSV UTF-8\"") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UsageError(f"{where} is not a CSV file ({exc})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise UsageError(f"{where} is empty; expected a header row and one row per student")
    return where, rows


def _find(headers, names):
    """The index of the first header whose key is one of names, else None."""
    keys = [_key(h) for h in headers]
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


def _layout(keys):
    if "sis login id" in keys or ("student" in keys and "id" in keys):
        return "canvas"
    if "email address" in keys:
        return "moodle"
    if "sid" in keys or ("email" in keys and any(k in keys for k in ("name", "full name", "first name"))):
        return "gradescope"
    return "plain"


def load_roster(path):
    """Parse a roster CSV (see the module docstring). Returns a Roster; raises UsageError naming the row."""
    where, rows = _read_rows(path)
    headers = [h.strip().strip("\ufeff") for h in rows[0]]
    keys = [_key(h) for h in headers]
    seen = {}
    for i, k in enumerate(keys):
        if k and k in seen:
            raise UsageError(f"{where}: two columns are called {headers[i]!r} (columns {seen[k] + 1} and {i + 1})")
        seen[k] = i
    layout = _layout(keys)
    body = [(n, row) for n, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]

    def column(names):
        return _find(headers, names)

    def filled(index):
        return index is not None and all(index < len(r) and r[index].strip() for _, r in body)

    if layout == "canvas":
        id_col, name_cols, section_col = column(("id",)), [column(("student",))], column(("section",))
        identity = [i for i in (column(("student",)), column(("id",)), column(("sis user id",)),
                                column(("sis login id",)), column(("integration id",)), section_col) if i is not None]
        def extra(row):  # Canvas's rows: "Points Possible", a posting-policy row (no name, no id), the test student
            name = _key(row[name_cols[0]]) if name_cols[0] is not None and name_cols[0] < len(row) else ""
            no_id = not (id_col is not None and id_col < len(row) and row[id_col].strip())
            return name in CANVAS_SKIP or (not name and no_id)
        body = [(n, r) for n, r in body if not extra(r)]
    elif layout == "moodle":
        number, email = column(("id number",)), column(("email address",))
        id_col = number if filled(number) else email
        name_cols = [column(("first name", "firstname")), column(("last name", "surname", "lastname"))]
        section_col = column(("groups", "group"))
        identity = [i for i in (*name_cols, number, email) if i is not None]
        identity = [id_col] + [i for i in identity if i != id_col]
    elif layout == "gradescope":
        sid, email = column(("sid", "student id")), column(("email", "email address"))
        id_col = sid if filled(sid) else email
        full = column(("name", "full name"))
        name_cols = [full] if full is not None else [column(("first name",)), column(("last name",))]
        section_col = column(("sections", "section"))
        identity = [id_col] + [i for i in (*name_cols, sid, email, section_col) if i is not None and i != id_col]
    else:
        id_col = column(("id", "student id", "lms id", "lms student id", "student number", "sis user id"))
        name_cols, section_col = [column(("name", "student name", "full name"))], column(("section", "sections"))
        identity = [i for i in (id_col, *name_cols, section_col) if i is not None]
    if id_col is None:
        raise UsageError(f"{where}: no column of student ids; expected one of: ID (Canvas), ID number or Email "
                         "address (Moodle), SID or Email (Gradescope), or ID / Student ID (a plain roster) -- "
                         f"the header row has {', '.join(repr(h) for h in headers)}")
    name_cols = [i for i in name_cols if i is not None]
    folder_col = column(FOLDER)
    login_cols = [i for i in (column((name,)) for name in LOGINS) if i is not None]
    email_cols = [i for i in (column(("email", "email address")),) if i is not None]
    capstone_col = column(CAPSTONE)
    students, by_id, by_folder = [], {}, {}
    for n, row in body:
        def cell(i, row=row):
            return row[i].strip() if i is not None and i < len(row) else ""
        lms_id = cell(id_col)
        if not lms_id:
            raise UsageError(f"{where}, row {n}: no {headers[id_col]!r} (the student id the gradebook is keyed by)")
        if lms_id.lower() in by_id:
            raise UsageError(f"{where}, rows {by_id[lms_id.lower()]} and {n}: both have the {headers[id_col]!r} "
                             f"{lms_id!r}; ids must be unique")
        by_id[lms_id.lower()] = n
        folder = cell(folder_col)
        if folder_col is not None:
            if not folder:
                raise UsageError(f"{where}, row {n}: no {headers[folder_col]!r} (the submission folder of {lms_id!r})")
            if folder.lower() in by_folder:
                raise UsageError(f"{where}, rows {by_folder[folder.lower()]} and {n}: both have the folder "
                                 f"{folder!r}; each student hands in one folder")
            by_folder[folder.lower()] = n
        identifiers = [lms_id] + [cell(i) for i in login_cols]
        for i in email_cols:
            if cell(i):
                identifiers += [cell(i), cell(i).split("@", 1)[0]]
        identifiers = tuple(dict.fromkeys(v.lower() for v in identifiers if v))
        capstone = (cell(capstone_col).lower(),) if capstone_col is not None and cell(capstone_col) else identifiers
        students.append(Student(n, lms_id, " ".join(cell(i) for i in name_cols if cell(i)), cell(section_col),
                                folder, identifiers, capstone, {headers[i]: cell(i) for i in identity}))
    if not students:
        raise UsageError(f"{where}: no students (only a header row)")
    return Roster(Path(path), layout, headers[id_col], tuple(headers[i] for i in identity), tuple(students))


# ------------------------------------------------------------------------------------------ matching
@dataclass(frozen=True)
class Flag:
    """Something about the class list an instructor must look at."""

    kind: str  # "not on roster", "no submission", "ambiguous folder", "06 id"
    student: str  # the submission folder as the report names it ("" for a roster student without one)
    lms_id: str
    message: str

    def to_dict(self):
        return dict(self.__dict__)


def _base(student):
    return Path(student).name if ("/" in student or "\\" in student) else student


def match(roster, students):
    """({report student: Student}, [Flag]) for the report's students (submission folders) against the roster."""
    by_folder = {s.folder.lower(): s for s in roster.students if s.folder}
    by_identifier = {}
    for s in roster.students:
        for ident in s.identifiers:
            by_identifier.setdefault(ident, []).append(s)
    matched, flags, taken = {}, [], {}
    for student in students:
        key = _base(student).lower()
        if by_folder:
            found = [by_folder[key]] if key in by_folder else []
        else:
            found = list(dict.fromkeys(by_identifier.get(key, [])))
        if len(found) > 1:
            flags.append(Flag("ambiguous folder", student, "", (
                f"folder {student!r} could be any of " + ", ".join(f"{s.lms_id!r} (row {s.row})" for s in found)
                + ": add a Folder column to the roster")))
        elif not found:
            flags.append(Flag("not on roster", student, "", f"folder {student!r} is not on the roster "
                                                            f"{roster.path.name}: its points are not in the gradebook"))
        elif found[0].lms_id in taken:
            flags.append(Flag("ambiguous folder", student, found[0].lms_id, (
                f"folders {taken[found[0].lms_id]!r} and {student!r} are both {found[0].lms_id!r} (row "
                f"{found[0].row}): only the first is in the gradebook")))
        else:
            matched[student] = found[0]
            taken[found[0].lms_id] = student
    for s in roster.students:
        if s.lms_id not in taken:
            where = f"folder {s.folder!r}" if s.folder else "a folder named by one of their ids"
            flags.append(Flag("no submission", "", s.lms_id, f"{s.name or s.lms_id} ({roster.id_header} {s.lms_id!r}, "
                                                             f"row {s.row}) handed in nothing: no {where} was graded"))
    return matched, flags


def id_flags(roster, matched, read_back):
    """[Flag] for every matched student whose notebook-06 id (read_back: {report student: id}) is not their own."""
    owners = {}
    for s in roster.students:
        for ident in s.capstone_ids:
            owners.setdefault(ident, s)
    flags = []
    for student, value in read_back.items():
        if student not in matched or not value:
            continue
        own = matched[student]
        key = value.strip().lower()
        if key in own.capstone_ids:
            continue
        other = owners.get(key)
        whose = (f"it is the id of {other.name or other.lms_id} ({roster.id_header} {other.lms_id!r}, row {other.row})"
                 if other is not None else "it belongs to no student on the roster")
        flags.append(Flag("06 id", student, own.lms_id, (
            f"notebook 06 of {own.name or own.lms_id} ({roster.id_header} {own.lms_id!r}) holds the student id "
            f"{value!r}, which is not theirs: {whose}")))
    return flags
