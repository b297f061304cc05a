"""The class roster (course_utils/grading/roster.py, grade --roster FILE): the layouts Canvas, Moodle and Gradescope
export, errors that name the row, the LMS gradebook CSV keyed by the LMS id, and the flags (a folder not on the
roster, a roster student with no submission, a notebook-06 id that is not the student's own). Reports are built
from Records: no kernels run."""
import csv
import json

import pytest
from test_grading_report import (
    NB1,
    NB2,
    RELEASE,
    SOLUTIONS,
    make_report,
    read_csv,
    student_records,
)

from course_utils.grading import cli
from course_utils.grading.release import UsageError
from course_utils.grading.roster import load_roster

ID_FACT = "student id (06)"

CANVAS = ('Student,ID,SIS User ID,SIS Login ID,Section,Notebooks (1234)\n'
          ',,,,,Manual Posting\n'
          '    Points Possible,,,,,12\n'
          '"Lovelace, Ada",101,S-1,ada,Section A,\n'
          '"Babbage, Charles",102,S-2,cbabbage,Section B,\n'
          '"Hopper, Grace",103,S-3,ghopper,Section A,\n'
          '"Student, Test",999,,test01,Section A,\n')
MOODLE = ("First name,Last name,ID number,Institution,Department,Email address,Last downloaded from this course\n"
          "Ada,Lovelace,2001,,,ada@uni.example,1567713827\n"
          "Charles,Babbage,2002,,,cbabbage@uni.example,1567713827\n")
GRADESCOPE = ("First Name,Last Name,SID,Email,Sections\n"
              "Ada,Lovelace,9001,ada@uni.example,L01\n"
              "Charles,Babbage,9002,cbabbage@uni.example,L02\n")
PLAIN = "folder,id,name,section\nada_dir,u1,Ada Lovelace,A\nbob_dir,u2,Charles Babbage,B\n"


def write(tmp_path, text, name="roster.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def with_id(records, student, value):
    next(r for r in records if r.student == student).facts = {ID_FACT: value}
    return records


@pytest.mark.parametrize("text, layout, key, ids, identity", [
    (CANVAS, "canvas", "ID", ["101", "102", "103"], ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")),
    (MOODLE, "moodle", "ID number", ["2001", "2002"], ("ID number", "First name", "Last name", "Email address")),
    (GRADESCOPE, "gradescope", "SID", ["9001", "9002"], ("SID", "First Name", "Last Name", "Email", "Sections")),
    (PLAIN, "plain", "id", ["u1", "u2"], ("id", "name", "section")),
])
def test_the_layouts_lms_export_are_recognised(tmp_path, text, layout, key, ids, identity):
    roster = load_roster(write(tmp_path, text))
    assert (roster.layout, roster.id_header, roster.identity) == (layout, key, identity)
    assert [s.lms_id for s in roster.students] == ids  # Canvas: no Points Possible row, no test student


def test_a_canvas_export_with_a_byte_order_mark_and_semicolons_reads_the_same(tmp_path):
    plain = load_roster(write(tmp_path, CANVAS, "a.csv"))
    text = "\ufeff" + CANVAS.replace('"Lovelace, Ada"', "Lovelace Ada").replace('"Babbage, Charles"', "Babbage C") \
        .replace('"Hopper, Grace"', "Hopper G").replace('"Student, Test"', "Test Student").replace(",", ";")
    other = load_roster(write(tmp_path, text, "b.csv"))
    assert [s.lms_id for s in other.students] == [s.lms_id for s in plain.students]
    assert other.students[0].values["SIS Login ID"] == "ada"


def test_moodle_falls_back_to_the_email_when_an_id_number_is_missing(tmp_path):
    roster = load_roster(write(tmp_path, MOODLE.replace(",2002,", ",,")))
    assert roster.id_header == "Email address"
    assert [s.lms_id for s in roster.students] == ["ada@uni.example", "cbabbage@uni.example"]


@pytest.mark.parametrize("text, expected", [
    ("name,section\nAda,A\n", "no column of student ids"),
    ("folder,id,name\na,u1,Ada\nb,u1,Bob\n", "rows 2 and 3: both have the 'id' 'u1'"),
    ("folder,id,name\na,u1,Ada\na,u2,Bob\n", "rows 2 and 3: both have the folder 'a'"),
    ("folder,id,name\na,u1,Ada\nb,,Bob\n", "row 3: no 'id'"),
    ("folder,id,name\na,u1,Ada\n,u2,Bob\n", "row 3: no 'folder'"),
    ("id,ID,name\n1,2,x\n", "two columns are called"),
    ("folder,id\n", "no students"),
    ("", "is empty"),
])
def test_a_bad_roster_is_a_usage_error_that_names_the_row(tmp_path, text, expected):
    with pytest.raises(UsageError, match="--roster FILE") as exc:
        load_roster(write(tmp_path, text))
    assert expected in str(exc.value)


def test_a_roster_that_is_not_utf8_says_how_to_save_it(tmp_path):
    with pytest.raises(UsageError, match="CSV UTF-8"):
        load_roster(write(tmp_path, "id,name\n1,Zoë\n", encoding="utf-16"))


def test_the_gradebook_is_keyed_by_the_lms_id_and_the_flags_name_every_mismatch(tmp_path):
    """Canvas roster, folders named by login: ada (own id in 06), cbabbage (Ada's id in 06), a folder not on the
    roster, and Grace, who handed in nothing."""
    records = student_records("ada", {}) + student_records("cbabbage", {"square": ("failed", "no")})
    records += student_records("stranger", {})
    with_id(records, "ada", "Ada")  # case ignored: her login
    with_id(records, "cbabbage", "ada")
    report = make_report(records, release_notebooks=[NB1, NB2])
    report.roster = load_roster(write(tmp_path, CANVAS))
    rows = read_csv(report.write_csv(tmp_path / "grades.csv"))
    assert rows == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_compute_differences",
                     "02_measure_vectors"],
                    ["Lovelace, Ada", "101", "S-1", "ada", "Section A", "3", "3"],
                    ["Babbage, Charles", "102", "S-2", "cbabbage", "Section B", "2", "3"],
                    ["Hopper, Grace", "103", "S-3", "ghopper", "Section A", "", ""]]  # Canvas: no Total column
    matched, flags = report.roster_check()
    assert {k: v.lms_id for k, v in matched.items()} == {"ada": "101", "cbabbage": "102"}
    assert sorted((f.kind, f.student, f.lms_id) for f in flags) == [
        ("06 id", "cbabbage", "102"), ("no submission", "", "103"), ("not on roster", "stranger", "")]
    id_flag = next(f for f in flags if f.kind == "06 id")
    assert "'ada'" in id_flag.message and "Lovelace, Ada" in id_flag.message and "row 4" in id_flag.message
    table = report.format_table()
    assert "roster: roster.csv: canvas layout, 3 student(s), keyed by 'ID'; 3 to look at:" in table
    assert "not on roster: folder 'stranger' is not on the roster" in table
    data = report.to_dict()
    assert data["roster"]["id_column"] == "ID" and len(data["roster"]["flags"]) == 3
    assert {s["student"]: s["lms_id"] for s in data["students"]} == {"ada": "101", "cbabbage": "102", "stranger": None}


def test_a_plain_roster_with_a_folder_column_and_a_total(tmp_path):
    records = with_id(student_records("ada_dir", {}), "ada_dir", "someone-else")
    report = make_report(records, release_notebooks=[NB1, NB2])
    report.roster = load_roster(write(tmp_path, PLAIN))
    rows = read_csv(report.write_csv(tmp_path / "grades.csv"))
    assert rows == [["id", "name", "section", "01_compute_differences", "02_measure_vectors", "Total"],
                    ["u1", "Ada Lovelace", "A", "3", "3", "6"], ["u2", "Charles Babbage", "B", "", "", ""]]
    flags = {f.kind: f.message for f in report.roster_check()[1]}
    assert set(flags) == {"06 id", "no submission"}
    assert "it belongs to no student on the roster" in flags["06 id"]


def test_a_capstone_id_column_is_what_notebook_06_must_hold(tmp_path):
    roster = write(tmp_path, "folder,id,name,capstone id\nada_dir,u1,Ada,lovelace42\n")
    records = with_id(student_records("ada_dir", {}), "ada_dir", "u1")  # her LMS id, not the id she was given
    report = make_report(records)
    report.roster = load_roster(roster)
    assert [f.kind for f in report.roster_check()[1]] == ["06 id"]
    with_id(records, "ada_dir", "Lovelace42")
    assert report.roster_check()[1] == []


def test_a_folder_that_could_be_two_students_is_flagged_not_guessed(tmp_path):
    roster = write(tmp_path, "id,name,login\nu1,Ada,x\nx,Bob,bob\n")  # Ada's login is Bob's id
    report = make_report(student_records("x", {}))
    report.roster = load_roster(roster)
    matched, flags = report.roster_check()
    assert matched == {} and "ambiguous folder" in [f.kind for f in flags]


def test_roster_text_is_neutralised_in_the_gradebook(tmp_path):
    roster = write(tmp_path, 'folder,id,name,section\nada,u1,"=HYPERLINK(""x"")",@A\n')
    report = make_report(student_records("ada", {}))
    report.roster = load_roster(roster)
    rows = read_csv(report.write_csv(tmp_path / "grades.csv"))
    assert rows[1][:3] == ["u1", "'=HYPERLINK(\"x\")", "'@A"]


@pytest.fixture
def canned(monkeypatch):
    def fake_grade(submissions, **kwargs):
        records = student_records("ada", {}) + student_records("ghost", {})
        return make_report(with_id(records, "ada", "u2"))

    monkeypatch.setattr(cli, "grade", fake_grade)


def test_cli_roster_writes_the_lms_gradebook_and_prints_the_flags(canned, tmp_path, capsys):
    roster = write(tmp_path, "Folder,Student ID,Name,Section\nada,u1,Ada,A\nbob,u2,Bob,B\n")
    out, js = tmp_path / "grades.csv", tmp_path / "r.json"
    assert cli.main([str(SOLUTIONS), "--release", str(RELEASE), "--roster", str(roster), "--csv", str(out),
                     "--json", str(js)]) == 0
    printed = capsys.readouterr().out
    assert "not on roster: folder 'ghost'" in printed and "no submission: Bob" in printed and "06 id:" in printed
    with open(out, encoding="utf-8", newline="") as f:
        assert list(csv.reader(f))[1] == ["u1", "Ada", "A", "3", "3", "6"]
    assert [f["kind"] for f in json.loads(js.read_text())["roster"]["flags"]] == [
        "not on roster", "no submission", "06 id"]


def test_cli_bad_roster_exits_2_before_grading(canned, tmp_path, capsys):
    roster = write(tmp_path, "folder,id\na,1\nb,1\n")
    with pytest.raises(SystemExit) as exc:
        cli.main([str(SOLUTIONS), "--release", str(RELEASE), "--roster", str(roster)])
    assert exc.value.code == 2
    assert "rows 2 and 3: both have the 'id' '1'" in capsys.readouterr().err
