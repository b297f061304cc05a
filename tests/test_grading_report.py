"""The grader's outputs for a real class (course_utils/grading/report.py, cli.py): the LMS gradebook CSV,
--fail-under, HTML feedback pages, Gradescope's results.json and GitHub Classroom's runner result.

Most tests build Reports directly from Records (no kernels). One end-to-end CLI run grades the fixture
solutions (tests/fixtures/grading/) writing every output. The browser tests open feedback pages in
Debian's Chromium with Playwright; the realistic page is saved as docs/img/feedback.png with
UPDATE_SCREENSHOTS=1. Without /usr/bin/chromium they are skipped, except with CI=true (a failure).
"""
import base64
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from needs import browser_needed

from course_utils import grade as g
from course_utils.grading import cli
from course_utils.grading.report import Record, Report

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
RELEASE = FIXTURES / "release"
SPECS = [RELEASE / "fixture_specs.py"]  # named explicitly: the grader never loads specs from a release folder
SOLUTIONS = FIXTURES / "solutions"
CLASS = FIXTURES / "submissions" / "class"
NB1, NB2 = "01_compute_differences.ipynb", "02_measure_vectors.ipynb"
EXERCISES = {NB1: [("square", 1), ("forward_difference", 2)], NB2: [("norm2", 1), ("relative_difference", 2)]}
SANDBOX = "bubblewrap: every notebook and verification run in its own sandbox"
HOSTILE = ("check cell printed '<script>document.title = \"pwned\"</script></pre><b>bold</b> & <img src=x>'\n"
           "    indented line kept\n\ttab kept")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
DOCS_IMG = ROOT / "docs" / "img"


# ------------------------------------------------------------------------------ canned reports
def rec(student, notebook, exercise, status="passed", message="", points=None, **kw):
    max_points = dict(EXERCISES[notebook])[exercise]
    if points is None:
        points = max_points if status == "passed" else 0
    return Record(student, notebook, exercise, points, max_points, status, message, f"ex-{exercise}",
                  f"/class/{student}/{notebook}", **kw)


def student_records(student, outcomes):
    """outcomes: {exercise: (status, message)}; records in release order, every exercise present."""
    out = []
    for nb, exercises in EXERCISES.items():
        for name, _ in exercises:
            status, message = outcomes.get(name, ("passed", ""))
            out.append(rec(student, nb, name, status, message))
    return out


def make_report(records, notebooks=None, seconds=12.6, release_notebooks=None):
    if notebooks is None:
        seen = dict.fromkeys((r.student, r.notebook) for r in records)
        notebooks = [{"student": s, "notebook": nb, "submission": f"/class/{s}/{nb}", "status": "graded",
                      "notes": [], "seconds": 1.0} for s, nb in seen]
    settings = {"jobs": 1, "timeout": 60.0, "strategy": "split", "sandbox": SANDBOX, "sandboxed": True}
    return Report(str(RELEASE), records, notebooks, settings, seconds, release_notebooks)


def class_report():
    """Students with every kind of outcome, and ids that are not file names."""
    records = student_records("ada", {})
    records += student_records("bob", {
        "square": ("failed", HOSTILE),
        "forward_difference": ("error", "ZeroDivisionError: division by zero"),
        "norm2": ("timeout", "cell 'check-norm2' ran longer than 60 s and was interrupted (an endless loop?)"),
        "relative_difference": ("missing", "exercise cell 'ex-relative-difference' is not in the submission")})
    records += student_records("../x", {"square": ("failed", "square(3) returned 6, expected 9")})
    records += [rec("a b", NB1, "square"),
                rec("a b", NB1, "forward_difference", "flagged",
                    "for review: changes numpy.isclose -- the run says passed 2/2",
                    flags=["changes numpy.isclose, which other code relies on (line 1)"],
                    notes=["exercise cell found by its tag (its id was missing or changed)"],
                    run_status="passed", run_points=2)]
    records += student_records("index", {"norm2": ("failed", "norm2([3, 4]) returned 7, expected 5")})
    records += student_records("Ada", {})  # same as "ada" on a case-insensitive file system
    records += student_records("zoë", {"square": ("error", "NameError: name 'square' is not defined")})
    report = make_report(records)
    for nb in report.notebooks:
        if nb["student"] == "bob" and nb["notebook"] == NB1:
            nb["notes"] = ["2 code cell(s) you added were not run: only exercise cells are graded"]
    return report


def totals_of(report):
    return {s: list(t) for s, t in report.totals().items()}


# ---------------------------------------------------------------------------------------- CSV
def read_csv(path):
    raw = Path(path).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # plain UTF-8, no byte order mark
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_csv_has_one_row_per_student_with_points_per_notebook(tmp_path):
    report = class_report()
    rows = read_csv(report.write_csv(tmp_path / "grades.csv"))
    assert rows[0] == ["student", "01_compute_differences", "02_measure_vectors", "total", "max"]
    body = {row[0]: row[1:] for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == report.students()  # no index column, graded order
    for student, (points, max_points) in report.totals().items():
        nb1 = sum(r.points for r in report.records if r.student == student and r.notebook == NB1)
        nb2 = sum(r.points for r in report.records if r.student == student and r.notebook == NB2)
        expected = [str(nb1), str(nb2) if any(r.notebook == NB2 for r in report.records if r.student == student)
                    else "", str(points), str(max_points)]
        assert body[student] == expected
    assert body["ada"] == ["3", "3", "6", "6"]
    assert body["bob"] == ["0", "0", "0", "6"]
    assert body["a b"] == ["1", "", "1", "3"]  # NB2 was not graded for "a b": an empty cell, not 0
    assert body["zoë"] == ["2", "3", "5", "6"]
    for row in rows[1:]:
        for cell in row[1:]:
            assert cell == "" or re.fullmatch(r"\d+", cell)  # integers, never 3.0


def test_csv_gives_every_release_notebook_a_column_in_release_order(tmp_path):
    report = class_report()
    release = [NB1, NB2, "03_unused.ipynb"]
    rows = read_csv(report.write_csv(tmp_path / "a.csv", notebooks=release))
    assert rows[0] == ["student", "01_compute_differences", "02_measure_vectors", "03_unused", "total", "max"]
    assert all(row[3] == "" for row in rows[1:])
    report.release_notebooks = release  # what cli.py sets from the release it loaded
    assert read_csv(report.write_csv(tmp_path / "b.csv")) == rows


def test_notebook_order_is_derived_from_what_was_graded():
    # nobody had all three; each student's notebooks came in release order
    records = [rec("a", NB2, "norm2"), rec("b", NB1, "square"), rec("b", NB2, "norm2")]
    records += [Record("c", "03_x.ipynb", "e", 1, 1, "passed", "", "ex-e", "/c"),
                Record("c", "00_first.ipynb", "z", 1, 1, "passed", "", "ex-z", "/c")]
    report = make_report(records)
    report.notebooks = [nb for nb in report.notebooks if nb["student"] != "c"] + [
        {"student": "c", "notebook": n, "submission": "/c", "status": "graded", "notes": [], "seconds": 0}
        for n in ("03_x.ipynb", "00_first.ipynb")]
    order = report.notebook_order()
    assert order.index(NB1) < order.index(NB2) and order.index("03_x.ipynb") < order.index("00_first.ipynb")
    assert sorted(order) == sorted([NB1, NB2, "03_x.ipynb", "00_first.ipynb"])
    assert make_report([rec("a", NB2, "norm2"), rec("b", NB1, "square")]).notebook_order() == [NB1, NB2]
    assert make_report(records, release_notebooks=["z.ipynb"]).notebook_order() == ["z.ipynb"]


# ------------------------------------------------------------------------------- --fail-under
@pytest.fixture
def canned_cli(monkeypatch):
    """cli.main with grade() replaced by a canned report: no kernels run."""
    calls = []

    def fake_grade(submissions, **kwargs):
        calls.append((submissions, kwargs))
        return make_report(student_records("ada", {}) + student_records("bob", {"square": ("failed", "no")}))

    monkeypatch.setattr(cli, "grade", fake_grade)
    return calls


@pytest.mark.parametrize("extra, status", [
    ([], 0),
    (["--fail-under", "0"], 0),
    (["--fail-under", "5"], 0),      # bob has exactly 5
    (["--fail-under", "5.5"], 1),
    (["--fail-under", "6"], 1),      # ada has 6, bob is below
    (["--fail-under", "7"], 1),
])
def test_fail_under_exit_status(canned_cli, tmp_path, capsys, extra, status):
    out = tmp_path / "grades.csv"
    code = cli.main([str(SOLUTIONS), "--release", str(RELEASE), "--csv", str(out), *extra])
    assert code == status
    assert len(canned_cli) == 1
    assert read_csv(out)[1:] == [["ada", "3", "3", "6", "6"], ["bob", "2", "3", "5", "6"]]  # written either way
    err = capsys.readouterr().err
    assert ("bob (5/6)" in err) == (status == 1)


@pytest.mark.parametrize("value", ["-1", "abc", "nan", "inf", ""])
def test_fail_under_bad_value_is_a_usage_error(canned_cli, capsys, value):
    with pytest.raises(SystemExit) as exc:
        cli.main([str(SOLUTIONS), "--release", str(RELEASE), "--fail-under", value])
    assert exc.value.code == 2
    assert "--fail-under POINTS: expected a number >= 0" in capsys.readouterr().err
    assert canned_cli == []  # refused before grading


@pytest.mark.parametrize("make_argv, expected", [
    (lambda t: ["--csv", str(SOLUTIONS / "g.csv")], "--csv FILE: "),
    (lambda t: ["--csv", str(t / "no" / "g.csv")], "does not exist"),
    (lambda t: ["--feedback", str(RELEASE / "fb")], "never writes into"),
    (lambda t: ["--feedback", str(t / "file.txt")], "exists and is not a folder"),
    (lambda t: ["--csv", str(t / "x"), "--json", str(t / "x")], "is also the file of --json FILE"),
    (lambda t: [str(CLASS / "raises"), "--gradescope-results", str(t / "r.json")], "for exactly one student"),
    (lambda t: [str(CLASS / "raises"), "--classroom-results", str(t / "r.json")], "for exactly one student"),
    (lambda t: ["--classroom-encoding", "base64"], "only with --classroom-results"),
    (lambda t: ["--specs", str(t / "missing.py")], "--specs FILE: "),
    (lambda t: ["--specs", str(t / "file.txt")], "is not a .py file of verification specs"),
    (lambda t: ["--roster", str(t / "file.txt")], "--roster FILE: "),
])
def test_output_usage_errors_exit_2_before_grading(canned_cli, tmp_path, capsys, make_argv, expected):
    (tmp_path / "file.txt").write_text("")
    with pytest.raises(SystemExit) as exc:
        cli.main([str(SOLUTIONS), *make_argv(tmp_path), "--release", str(RELEASE)])
    assert exc.value.code == 2
    assert expected in capsys.readouterr().err
    assert canned_cli == []


def test_one_student_outputs_refuse_a_report_of_several():
    report = class_report()
    for method in (report.gradescope_results, report.classroom_results):
        with pytest.raises(ValueError, match="for one student; this report has 7"):
            method()
        with pytest.raises(ValueError, match="no student 'eve'"):
            method("eve")
    assert report.gradescope_results("bob")["score"] == 0


# ----------------------------------------------------------------------------- feedback pages
class PageParser(HTMLParser):
    """Start tags, attributes, <pre> texts and all text of a page, as a browser's parser sees them."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.pres, self.text = [], [], [], []
        self._pre = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag == "pre":
            self._pre = []

    def handle_endtag(self, tag):
        if tag == "pre" and self._pre is not None:
            self.pres.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data):
        self.text.append(data)
        if self._pre is not None:
            self._pre.append(data)


def test_feedback_pages_hold_every_record_escaped_and_whole(tmp_path):
    report = class_report()
    folder = tmp_path / "feedback"
    pages = report.write_feedback(folder)
    assert set(pages) == set(report.students())
    assert sorted(p.name for p in folder.iterdir()) == sorted([p.name for p in pages.values()] + ["index.html"])
    for student, path in pages.items():
        page = PageParser(path.read_text(encoding="utf-8"))
        text = "".join(page.text)
        records = [r for r in report.records if r.student == student]
        # every record: exercise, points, status, the whole message (whitespace kept), flags, notes
        assert page.pres == [r.message for r in records if r.message]
        for r in records:
            assert r.exercise in text and f"{r.points} / {r.max_points} points" in text and r.status in text
            for item in r.flags + r.notes:
                assert item in text
        points, max_points = report.totals()[student]
        assert f"{points} / {max_points} points" in text
        assert f"How your code ran: {SANDBOX}; time limit per cell 60 s" in text
        # self-contained: no script, nothing fetched, scripts forbidden by policy anyway
        assert not {"script", "link", "img", "iframe", "object", "embed", "base", "form"} & set(page.tags)
        assert not [a for a in page.attrs if a[1] in ("src", "srcset") or a[1].startswith("on")]
        assert all(v.startswith("#") for tag, k, v in page.attrs if k == "href")
        assert ("meta", "content", "default-src 'none'; style-src 'unsafe-inline'") in page.attrs
        assert "http://" not in path.read_text() and "https://" not in path.read_text()
    bob = PageParser(pages["bob"].read_text())
    assert HOSTILE in bob.pres  # shown as text: the <script>, </pre> and <b> are characters, not tags
    assert "b" not in bob.tags and bob.tags.count("pre") == 4
    assert "2 code cell(s) you added were not run" in "".join(bob.text)
    assert "Before review the run gave: passed (2 points)" in "".join(PageParser(pages["a b"].read_text()).text)


def test_feedback_file_names_are_safe_and_stay_inside_the_folder(tmp_path):
    report = class_report()
    folder = tmp_path / "out" / "feedback"
    pages = report.write_feedback(folder)
    names = [p.name for p in pages.values()]
    assert len({n.lower() for n in names + ["index.html"]}) == len(names) + 1  # distinct, even ignoring case
    for _student, path in pages.items():
        assert path.parent == folder and path.resolve().parent == folder.resolve()
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html", path.name), path.name
    assert pages["ada"].name == "ada.html"
    assert pages["Ada"].name.startswith("Ada-") and pages["index"].name.startswith("index-")
    assert pages["../x"].name.startswith("x-") and pages["a b"].name.startswith("a_b-")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["feedback"]  # nothing written beside it
    index = PageParser((folder / "index.html").read_text())
    hrefs = [v for tag, k, v in index.attrs if k == "href"]
    assert sorted(hrefs) == sorted(names)
    text = "".join(index.text)
    for student, (_p, _m) in report.totals().items():
        assert student in text
    assert SANDBOX in text


# -------------------------------------------------------------------------------- Gradescope
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "simple_format", "html", "md", "ansi"}


def check_gradescope_results(data, records):
    """data against Gradescope's autograder specification (gradescope/autograder_samples, docs/specs.md)."""
    json.loads(json.dumps(data))  # JSON-serialisable
    allowed = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
               "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
    assert set(data) <= allowed
    assert isinstance(data["score"], (int, float)) and not isinstance(data["score"], bool)
    assert type(data["execution_time"]) is int and data["execution_time"] >= 0
    assert isinstance(data["output"], str)
    assert data["visibility"] in VISIBILITY and data["stdout_visibility"] in VISIBILITY
    assert {data["output_format"], data["test_output_format"], data["test_name_format"]} == {"text"}
    assert len(data["tests"]) == len(records)
    for test, r in zip(data["tests"], records):
        assert set(test) <= {"score", "max_score", "status", "name", "name_format", "number", "output",
                             "output_format", "tags", "visibility", "extra_data"}
        assert test["name"] == f"{Path(r.notebook).stem} / {r.exercise}"
        assert (test["score"], test["max_score"]) == (r.points, r.max_points)
        assert all(type(test[k]) is int for k in ("score", "max_score"))
        assert test["status"] == ("passed" if r.status == "passed" else "failed")
        assert test["visibility"] == "visible"
        assert r.message in test["output"]  # whole
        for item in r.flags + r.notes:
            assert item in test["output"]
        if r.status != "passed":
            assert f"status: {r.status}" in test["output"]
    assert data["score"] == sum(t["score"] for t in data["tests"])


@pytest.mark.parametrize("student", ["ada", "bob", "a b"])
def test_gradescope_results_follow_the_specification(student):
    full = class_report()
    records = [r for r in full.records if r.student == student]
    report = make_report(records, [nb for nb in full.notebooks if nb["student"] == student], seconds=12.6)
    data = report.gradescope_results()
    check_gradescope_results(data, records)
    points, max_points = report.totals()[student]
    assert data["score"] == points and data["execution_time"] == 13
    assert f"Total: {points}/{max_points} points" in data["output"] and SANDBOX in data["output"]
    if student == "bob":  # notebook notes go to the top-level output
        assert "01_compute_differences: 2 code cell(s) you added were not run" in data["output"]
    assert data == full.gradescope_results(student)


# ---------------------------------------------------------------------------- GitHub Classroom
def reporter_reads(env_value):
    """What autograding-grading-reporter's main.js lines 10-12 do with <RUNNER>_RESULTS: base64 -> JSON."""
    return json.loads(base64.b64decode(env_value).decode("utf-8"))


def reporter_points(runner_results):
    """notify-classroom.js lines 6-19: the points posted to GitHub Classroom (None: nothing posted)."""
    total, maximum = 0, 0
    for results in runner_results:
        if not results.get("max_score"):
            continue
        maximum += results["max_score"]
        for test in results["tests"]:
            total += test["score"]
    return None if not maximum else (total, maximum)


def reporter_console_score(results):
    """helpers/test-helpers.js lines 11-18: the score in the Actions log's summary table."""
    passed = sum(1 for t in results["tests"] if t["status"] == "pass")
    return passed / len(results["tests"]) * (results.get("max_score") or 0)


def reporter_step_fails(results):
    """main.js lines 19-23."""
    return results["status"] in ("fail", "error")


@pytest.mark.parametrize("student", ["ada", "bob", "../x", "a b", "zoë"])
def test_classroom_results_give_the_reporter_the_reports_points(student):
    full = class_report()
    records = [r for r in full.records if r.student == student]
    report = make_report(records, [nb for nb in full.notebooks if nb["student"] == student])
    data = report.classroom_results()
    assert reporter_reads(report.classroom_results_base64()) == data
    assert data["version"] == 1 and type(data["max_score"]) is int
    assert len(data["tests"]) == len(records)
    for test, r in zip(data["tests"], records):
        assert test["name"] == f"{Path(r.notebook).stem} / {r.exercise}"
        assert test["status"] == {"passed": "pass", "failed": "fail", "missing": "fail", "flagged": "fail",
                                  "error": "error", "timeout": "error"}[r.status]
        assert type(test["score"]) is int and test["score"] == r.points
        assert test["line_no"] == 0  # otherwise the reporter prints "- line <n>"
        assert r.message in test["message"]
        if test["status"] == "fail":
            assert test["test_code"] == test["message"]  # the reporter prints only test_code for failures
        if test["status"] == "error":
            assert test["message"].startswith(test["name"])  # it prints "Error: <message>" without the name
    points, max_points = report.totals()[student]
    assert reporter_points([data]) == (points, max_points)
    statuses = {t["status"] for t in data["tests"]}
    assert data["status"] == ("fail" if "fail" in statuses else "error" if "error" in statuses else "pass")
    assert reporter_step_fails(data) == (points < max_points)
    if statuses == {"pass"} or "pass" not in statuses:
        assert reporter_console_score(data) == points  # the log's table agrees when all or nothing passed
    assert data == full.classroom_results(student)


def test_classroom_console_table_differs_when_exercises_weigh_differently():
    # documented in Report.classroom_results: the Actions log's table counts passed tests, Classroom adds points
    report = make_report([rec("s", NB1, "square"), rec("s", NB1, "forward_difference", "failed", "wrong")])
    data = report.classroom_results()
    assert reporter_points([data]) == (1, 3)
    assert reporter_console_score(data) == 1.5


def test_classroom_results_encodings(tmp_path):
    report = make_report(student_records("ada", {}))
    as_json = json.loads(report.write_classroom_results(tmp_path / "r.json").read_text())
    text = report.write_classroom_results(tmp_path / "r.b64", encoding="base64").read_text()
    assert text.endswith("\n") and "\n" not in text[:-1] and re.fullmatch(r"[A-Za-z0-9+/=]+", text.strip())
    assert reporter_reads(text.strip()) == as_json == report.classroom_results()
    with pytest.raises(ValueError, match="json or base64"):
        report.write_classroom_results(tmp_path / "x", encoding="yaml")


# ------------------------------------------------------------------------------- end to end
def test_cli_writes_every_output_for_the_fixture_solutions(tmp_path):
    out = {"json": tmp_path / "r.json", "csv": tmp_path / "g.csv", "feedback": tmp_path / "fb",
           "gradescope-results": tmp_path / "gs.json", "classroom-results": tmp_path / "cl.b64",
           "report": tmp_path / "mistakes"}
    argv = [sys.executable, "-m", "course_utils.grade", str(SOLUTIONS), "--release", str(RELEASE), "--timeout", "8",
            "--specs", str(SPECS[0]), "--classroom-encoding", "base64", "--fail-under", "6.5"]
    for flag, path in out.items():
        argv += [f"--{flag}", str(path)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    # 6/6 is below 6.5: exit status 1, and everything was written before
    assert done.returncode == 1, done.stderr
    assert "--fail-under 6.5: 1 student(s) below: solutions (6/6)" in done.stderr
    data = json.loads(out["json"].read_text())
    assert [s["points"] for s in data["students"]] == [6]
    assert read_csv(out["csv"]) == [["student", "01_compute_differences", "02_measure_vectors", "total", "max"],
                                    ["solutions", "3", "3", "6", "6"]]
    assert sorted(p.name for p in out["feedback"].iterdir()) == ["index.html", "solutions.html"]
    page = PageParser((out["feedback"] / "solutions.html").read_text())
    assert "6 / 6 points" in "".join(page.text) and data["settings"]["sandbox"] in "".join(page.text)
    records = [Record(**r) for r in data["results"]]
    gs = json.loads(out["gradescope-results"].read_text())
    check_gradescope_results(gs, records)
    assert gs["score"] == 6 and [t["status"] for t in gs["tests"]] == ["passed"] * 4
    cl = reporter_reads(out["classroom-results"].read_text().strip())
    assert reporter_points([cl]) == (6, 6) and cl["status"] == "pass"
    assert sorted(p.name for p in out["report"].iterdir()) == ["mistakes.csv", "report.html", "students.csv"]
    passes = {r[1]: r[3] for r in read_csv(out["report"] / "mistakes.csv")[1:] if r[2] == "(passed)"}
    assert passes == {r.exercise: "1" for r in records}  # every exercise passed by the one student


# ----------------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser():
    sync_api = browser_needed()
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
    finally:
        context.close()


def test_feedback_page_in_a_browser_shows_student_text_as_text(page, tmp_path):
    pages = class_report().write_feedback(tmp_path)
    page.goto(pages["bob"].as_uri())
    title = page.title()
    assert title == "Feedback for bob: 0 / 6 points"  # the message's script did not run
    message = page.locator("article[data-status='failed'] pre.message")
    assert message.is_visible()
    assert message.inner_text() == HOSTILE  # all of it, whitespace kept, tags as characters
    assert page.locator("main b, main img, script").count() == 0
    assert page.get_by_text("ZeroDivisionError: division by zero").is_visible()
    page.goto((tmp_path / "index.html").as_uri())
    page.get_by_role("link", name="../x").click()
    page.wait_for_url(pages["../x"].as_uri())
    assert page.get_by_text("square(3) returned 6, expected 9").is_visible()


def test_feedback_page_of_a_graded_student_reads_well(page, tmp_path):
    """A real grading run of one student with varied outcomes; its page is docs/img/feedback.png."""
    student = tmp_path / "submissions" / "jdoe"
    student.mkdir(parents=True)
    shutil.copy(CLASS / "debug_print" / NB1, student / NB1)        # passed; failed: the function prints
    shutil.copy(CLASS / "renamed_function" / NB2, student / NB2)   # error: renamed function; passed
    report = g.grade(student, release=RELEASE, timeout=8, specs=SPECS)
    assert [r.status for r in report.records] == ["passed", "failed", "error", "passed"]
    pages = report.write_feedback(tmp_path / "feedback")
    page.goto(pages["jdoe"].as_uri())
    shown = page.locator("pre.message")
    assert shown.count() == 2
    for locator, r in zip(shown.all(), [r for r in report.records if r.message]):
        assert locator.is_visible() and locator.inner_text() == r.message
    assert page.locator(".score").inner_text() == "3 / 6 points"
    shot = tmp_path / "feedback.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS_IMG / "feedback.png")


def test_csv_adds_a_column_per_fact_read_back_and_no_spreadsheet_formula(tmp_path):
    """Facts the grader read from a submission (notebook 06's student id) become gradebook columns; a value
    that a spreadsheet would run as a formula is quoted."""
    records = student_records("ada", {}) + student_records("bob", {}) + student_records("cy", {})
    for student, value in (("ada", "ada-lovelace"), ("bob", "=HYPERLINK(\"http://x\")")):
        next(r for r in records if r.student == student).facts = {"student id (06)": value}
    rows = read_csv(make_report(records).write_csv(tmp_path / "grades.csv"))
    assert rows[0] == ["student", "01_compute_differences", "02_measure_vectors", "total", "max", "student id (06)"]
    ids = {row[0]: row[-1] for row in rows[1:]}
    assert ids == {"ada": "ada-lovelace", "bob": "'=HYPERLINK(\"http://x\")", "cy": ""}
    plain = read_csv(make_report(student_records("ada", {})).write_csv(tmp_path / "plain.csv"))
    assert plain[0][-1] == "max"  # no fact, no column


def test_a_verdicts_mistake_id_is_no_gradebook_column(tmp_path):
    """The mistake a verification run named (facts["mistake"], for the class mistake report) belongs to one
    exercise's verdict, not to the student: the gradebook leaves it out and keeps the facts read back."""
    records = student_records("ada", {})
    records[0].facts = {"mistake": "gcn.one_sided_difference", "student id (06)": "ada-lovelace"}
    rows = read_csv(make_report(records).write_csv(tmp_path / "grades.csv"))
    assert rows[0][-2:] == ["max", "student id (06)"] and rows[1][-1] == "ada-lovelace"
    assert not any("gcn." in cell for row in rows for cell in row)


@pytest.mark.parametrize("folder", ['=HYPERLINK("x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1",
                                    "  =1+1", "\uff1dHYPERLINK(\"x\")"])
def test_every_text_cell_of_the_csv_is_neutralised_not_only_the_ids(tmp_path, folder):
    """A student folder (or any text the grader writes) that a spreadsheet would read as a formula starts with '."""
    records = student_records(folder, {}) + student_records("ada", {})
    records[0].facts = {"student id (06)": "@x"}
    rows = read_csv(make_report(records).write_csv(tmp_path / "grades.csv"))
    by_student = {row[0]: row for row in rows[1:]}
    assert "'" + folder in by_student and folder not in by_student
    assert by_student["'" + folder][1:] == ["3", "3", "6", "6", "'@x"]
    assert by_student["ada"][:5] == ["ada", "3", "3", "6", "6"]  # plain text and numbers as they are


def test_plain_numbers_are_not_formulas_and_stay_as_they_are():
    from course_utils.grading.report import _spreadsheet_safe

    assert [_spreadsheet_safe(v) for v in ("-5", "+3.5", "1e-3", 7, -2.5, "jdoe")] == ["-5", "+3.5", "1e-3", 7, -2.5,
                                                                                      "jdoe"]
    assert _spreadsheet_safe("-5+cmd") == "'-5+cmd"
