"""Tests of the delivery (authoring/delivery/): the student release, the Gradescope autograder and
the dependency split of pyproject.toml.

The three runs of the grader that matter are real subprocesses, as students, GitHub Classroom and
Gradescope run them: the student release's self-check with only the release on PYTHONPATH; the
release's Classroom workflow step (its bash script, decoded like the reporter does); and the
Gradescope bundle's run_autograder on the reference solutions (full marks) and on the untouched release
(zero); with Ubuntu 22.04's bubblewrap 0.6.1 and without bubblewrap: tests/test_grading_platforms.py.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from authoring import build
from authoring.delivery import requirement_pins
from authoring.delivery import student_release as sr
from authoring.delivery.release_check import MARKER_LINE_RE
from course_utils.grading import FINGERPRINT_FILE, cells, teammates

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = build.ROOT
RELEASE_NOTEBOOKS = sorted(p.name for p in build.RELEASE.glob("*.ipynb"))
SOLUTION_NOTEBOOKS = sorted(build.SOLUTIONS.glob("*.ipynb"))
TOTAL_POINTS = sum(int(cells.course_meta(c)["points"])
                   for p in build.RELEASE.glob("*.ipynb") for c in json.loads(p.read_text())["cells"]
                   if cells.role(c) == cells.EXERCISE)
GRADE_TIMEOUT = 600
TEXT_FORMATS = {"text", "html", "simple_format", "md", "ansi"}  # Gradescope spec, "Output String Formatting"
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}  # Gradescope spec, "visibility"
# what only the course authors have: never in the student release nor in the Gradescope bundle
AUTHOR_ONLY = ("solutions/", "authoring/", "tests/", "benchmarks/", ".ci/")


# ----------------------------------------------------------------------------------------------
# helpers


def tree(folder):
    """{relative posix path: (bytes, permission bits)} of every file under folder (links refused)."""
    folder = Path(folder)
    out = {}
    for path in sorted(folder.rglob("*")):
        assert not path.is_symlink(), f"{path} is a link"
        if path.is_file():
            out[path.relative_to(folder).as_posix()] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


CLASS_KEY = bytes(range(32))  #: the tests' class key (any key but the demo key)


def class_key_file(folder):
    """A class key file in `folder` holding CLASS_KEY, for --class-key."""
    path = Path(folder) / "class.key"
    path.write_text(CLASS_KEY.hex() + "\n", encoding="utf-8")
    return str(path)


KEY_FILE = class_key_file(tempfile.mkdtemp(prefix="class-key-"))


def class_solution_text(name):
    """The reference solution `name` as a student of the tests' class hands it in: notebook 06 with a capstone code
    issued under CLASS_KEY, for an id whose teammate is the one of the solution's demo code (so its answers hold)."""
    text = (build.SOLUTIONS / name).read_text(encoding="utf-8")
    if not name.startswith("06_"):
        return text
    demo = next(c for c in json.loads(text)["cells"] if c.get("id") == "ex-student-id")
    literal = re.findall(r'return "([^"]+)"', "".join(demo["source"]))[-1]  # the solution, not the hint
    number = teammates.check_code(teammates.DEMO_KEY, literal)[0].number
    student = next(f"class-student{i}" for i in range(100_000)
                   if teammates.number_for(CLASS_KEY, f"class-student{i}") == number)
    return text.replace(literal, teammates.code_for(CLASS_KEY, student))


def class_solutions(folder):
    """The reference solutions written into `folder` as class_solution_text gives them: [paths]."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    paths = []
    for path in SOLUTION_NOTEBOOKS:
        paths.append(Path(folder) / path.name)
        paths[-1].write_text(class_solution_text(path.name), encoding="utf-8")
    return paths


def repo_package_files(for_students=True):
    """The repository's course_utils files as the release ships them: the whole package (the author tooling is
    authoring/, outside it), notebook 06's teammates sealed under CLASS_KEY, and (for students) without the
    teammates' generator."""
    files = {f"course_utils/{p.relative_to(build.ROOT / 'course_utils').as_posix()}": p.read_bytes()
             for p in sorted((ROOT / "course_utils").rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    files["course_utils/capstone_teammates.py"] = teammates.sealed_module_text(CLASS_KEY).encode("utf-8")
    if for_students:
        del files["course_utils/grading/teammates.py"]
    return files


def source(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def solution_lines():
    """(every line inside a solution block, the text the course shows anyway) of solutions/.

    Shown anyway: every cell of a solution notebook but the solution blocks (the demos quote parts of
    the answers on purpose, e.g. the colleague's backward pass with its two bugs, and the exercise's
    steps in markdown), and the package's own modules, which are shipped by design.
    """
    inside_blocks, public = set(), []
    for path in SOLUTION_NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            lines = source(cell).splitlines()
            if cells.role(cell) != cells.EXERCISE:
                public += lines
                continue
            inside = False
            for line in lines:
                if re.match(r"^\s*# BEGIN SOLUTION", line):
                    inside = True
                elif re.match(r"^\s*# END SOLUTION", line):
                    inside = False
                elif inside:
                    inside_blocks.add(line.strip())
                else:
                    public.append(line)  # the stub keeps everything outside the block
    for text in repo_package_files().values():
        public.append(text.decode("utf-8"))
    return inside_blocks, "\n".join(public)


def nontrivial(line):
    return len(line) >= 12 and len(re.findall(r"[A-Za-z_]\w*", line)) >= 2


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH", "AUTOGRADER"))}
    env.update(extra)
    return env


def run(command, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", GRADE_TIMEOUT)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(command, **kwargs)


def unzip(archive, folder):
    """Unzip like Gradescope does: files with their permission bits."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            path = Path(folder) / info.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(z.read(info))
            os.chmod(path, (info.external_attr >> 16) & 0o777)


def assert_gradescope_results(results):
    """results.json as Gradescope's specification describes it (docs/specs.md, "Output format")."""
    assert isinstance(results["score"], (int, float))
    assert isinstance(results["execution_time"], int) and results["execution_time"] >= 0
    assert isinstance(results["output"], str) and results["output"]
    assert results.get("visibility", "visible") in VISIBILITIES
    assert results.get("stdout_visibility", "hidden") in VISIBILITIES
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert results.get(key, "text") in TEXT_FORMATS
    assert isinstance(results["tests"], list) and results["tests"]
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"]
        assert test.get("status", "passed") in ("passed", "failed")
        assert test.get("visibility", "visible") in VISIBILITIES
        assert isinstance(test.get("output", ""), str)
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert sum(t["max_score"] for t in results["tests"]) == TOTAL_POINTS


# ----------------------------------------------------------------------------------------------
# the student release


@pytest.fixture(scope="module")
def student_release(tmp_path_factory):
    base = tmp_path_factory.mktemp("student")
    first, second = base / "first", base / "second"
    key = ["--class-key", class_key_file(base)]
    assert build.main(["--student-release", str(first)] + key) == 0
    before = tree(first)
    assert build.main(["--student-release", str(first)] + key) == 0  # over its own earlier release
    assert build.main(["--student-release", str(second)] + key) == 0
    assert tree(first) == before
    return first, second


def test_student_release_is_reproducible(student_release):
    first, second = student_release
    assert tree(first) == tree(second)  # bytes and permission bits, file for file
    manifest = json.loads((first / sr.MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(set(tree(first)) - {sr.MANIFEST})


def test_student_release_file_list(student_release):
    files = tree(student_release[0])
    package = repo_package_files()
    expected = ({"README.md", "requirements.txt", "pyproject.toml", ".gitignore", sr.MANIFEST,
                 "binder/requirements.txt", "binder/runtime.txt", ".github/workflows/classroom.yml",
                 ".release/README.md", f".release/{FINGERPRINT_FILE}"}
                | {f"notebooks/{n}" for n in RELEASE_NOTEBOOKS} | {f".release/{n}" for n in RELEASE_NOTEBOOKS}
                | {f"docs/img/{n}" for n in sr.IMAGES} | set(package))
    assert set(files) == expected
    for name in RELEASE_NOTEBOOKS:  # copies of the built release, not rebuilt
        assert files[f"notebooks/{name}"][0] == (build.RELEASE / name).read_bytes()
        assert files[f".release/{name}"][0] == (build.RELEASE / name).read_bytes()
    for rel, data in package.items():
        assert files[rel][0] == data
    assert not any(p.startswith(AUTHOR_ONLY) or p.endswith(("build.py",)) for p in files)
    assert all(mode == 0o644 for _, mode in files.values())


def test_student_release_gives_no_solutions_away(student_release):
    blocks, public = solution_lines()
    secret = {line for line in blocks if nontrivial(line) and line not in public}
    assert len(secret) >= 20, "the solution notebooks should have plenty of lines only they hold"
    for rel, (data, _) in tree(student_release[0]).items():
        if rel.endswith(".png"):
            continue
        text = data.decode("utf-8")
        assert "BEGIN SOLUTION" not in text, rel
        assert not MARKER_LINE_RE.search(text), rel
        if rel.endswith(".ipynb"):
            nb = json.loads(text)
            text = "\n".join(source(c) for c in nb["cells"]) + "\n" + text
            for cell in nb["cells"]:
                if cells.role(cell) == cells.EXERCISE:
                    assert "raise NotImplementedError(" in source(cell) and not cell["outputs"], (rel, cell["id"])
        leaked = sorted(line for line in secret if line in text)
        assert not leaked, f"{rel} holds solution lines: {leaked[:3]}"


def test_student_requirements(student_release):
    folder = student_release[0]
    pins = requirement_pins(ROOT / "requirements.txt")

    def entries(path):
        return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()
                if line.split("#", 1)[0].strip()]

    students = entries(folder / "requirements.txt")
    assert students[-1] == "-e ."
    names = [re.match(r"[\w.-]+", e).group(0).lower() for e in students[:-1]]
    assert names == ["numpy", "matplotlib", "ipywidgets", "jupyterlab", "ipykernel", "nbformat", "nbval", "pytest"]
    assert [re.sub(r"\s", "", e) for e in students[:-1]] == [pins[n] for n in names]
    binder = entries(folder / "binder" / "requirements.txt")
    assert binder == [e for e in students if not e.startswith("jupyterlab")]
    assert re.fullmatch(r"python-3\.\d+\n", (folder / "binder" / "runtime.txt").read_text())
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == [pins[n] for n in ("numpy", "matplotlib", "ipywidgets")]
    assert set(project["optional-dependencies"]) == {"notebooks", "grade"}
    declared = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    assert sorted(declared) == sorted(re.sub(r"\s", "", e) for e in students[:-1])


def test_student_readme(student_release):
    readme = (student_release[0] / "README.md").read_text()
    assert "@@" not in readme
    for needed in ("pip install -r requirements.txt", "jupyter lab notebooks/00_start_here.ipynb",
                   "python -m course_utils.grade notebooks/", "mybinder.org", "## Getting help"):
        assert needed in readme
    for status in ("passed", "failed", "error", "timeout", "missing", "flagged"):
        assert f"| `{status}` |" in readme
    for name in RELEASE_NOTEBOOKS:
        assert f"](notebooks/{name})" in readme
    for link in re.findall(r"\]\(((?!https?:)[^)#]+)\)", readme):
        assert (student_release[0] / link).exists(), link
    assert f"{TOTAL_POINTS} points in all" in readme


def test_classroom_workflow(student_release):
    yaml = pytest.importorskip("yaml")  # pyyaml is in the test extra and requirements.txt
    text = (student_release[0] / ".github" / "workflows" / "classroom.yml").read_text()
    assert "@@" not in text
    workflow = yaml.safe_load(text)
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    assert "push" in on
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/checkout@") and any(u.startswith("actions/setup-python@") for u in uses)
    grading = next(s for s in steps if "course_utils.grade" in s.get("run", ""))
    reporter = next(s for s in steps if s.get("uses") == "classroom-resources/autograding-grading-reporter@v1")
    runner = grading["id"]
    assert reporter["with"]["runners"] == runner
    assert reporter["env"] == {f"{runner.upper()}_RESULTS": f"${{{{ steps.{runner}.outputs.result }}}}"}
    assert "python -m course_utils.grade notebooks/" in grading["run"]
    assert any("bubblewrap" in s.get("run", "") for s in steps)
    assert steps.index(reporter) > steps.index(grading)


def test_self_check_and_classroom_step_in_student_release(student_release, tmp_path):
    """The release works on its own: course_utils from DIR, untouched notebooks -> 0 points."""
    folder = student_release[0]
    env = clean_env(PYTHONPATH=str(folder))
    probe = run([sys.executable, "-c", "import course_utils; print(course_utils.__file__)"], cwd=folder, env=env)
    assert Path(probe.stdout.strip()).resolve().is_relative_to(folder.resolve()), probe.stdout + probe.stderr

    # a self-check of one notebook (the Classroom step below grades them all)
    first = RELEASE_NOTEBOOKS[0]
    points = sum(int(cells.course_meta(c)["points"]) for c in json.loads((folder / "notebooks" / first).read_text())[
        "cells"] if cells.role(c) == cells.EXERCISE)
    done = run([sys.executable, "-m", "course_utils.grade", f"notebooks/{first}"], cwd=folder, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert points > 0 and re.search(rf"TOTAL\s+0/{points}\b", done.stdout), done.stdout[-3000:]

    # the Classroom workflow's grading step, as GitHub Actions runs it (bash -e), then the reporter's decoding, on a
    # repository where the student pushed the last notebook as handed out and deleted the others (what the step
    # makes of every untouched notebook: the untouched release of every notebook earns 0 in test_grade's course class)
    yaml = pytest.importorskip("yaml")
    pushed = tmp_path / "repository"
    shutil.copytree(folder, pushed)
    last = RELEASE_NOTEBOOKS[-1]
    for notebook in RELEASE_NOTEBOOKS[:-1]:
        (pushed / "notebooks" / notebook).unlink()
    workflow = yaml.safe_load((pushed / ".github" / "workflows" / "classroom.yml").read_text())
    (job,) = workflow["jobs"].values()
    grading = next(s for s in job["steps"] if "course_utils.grade" in s.get("run", ""))
    output = tmp_path / "github_output"
    done = run(["bash", "-e", "-c", grading["run"]], cwd=pushed,
               env=clean_env(PYTHONPATH=str(pushed), RUNNER_TEMP=str(tmp_path), GITHUB_OUTPUT=str(output)))
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = output.read_text().splitlines()
    key, value = line.split("=", 1)
    assert key == "result"
    result = json.loads(base64.b64decode(value))  # what the reporter's main.js does with <RUNNER>_RESULTS
    assert result["max_score"] == TOTAL_POINTS and result["status"] in ("fail", "error")
    assert sum(t["score"] for t in result["tests"]) == 0
    assert {t["filename"] for t in result["tests"]} == set(RELEASE_NOTEBOOKS)  # every notebook's exercises
    assert all(t["status"] in ("pass", "fail", "error") and t["line_no"] == 0 for t in result["tests"])
    for t in result["tests"]:
        said = "NotImplementedError" if t["filename"] == last else f"notebook {t['filename']} is not in the submission"
        assert said in t["message"], t
    assert "no pristine copy" not in done.stdout  # graded against .release/, not against itself


def test_saved_outputs_do_not_count_against_dot_release(tmp_path):
    """Why the release ships .release/: a right answer whose notebook was saved with an old, failing
    check output still passes when graded the Classroom workflow's way (--release .release)."""
    folder = tmp_path / "student"
    assert build.main(["--student-release", str(folder), "--class-key", KEY_FILE]) == 0
    name = SOLUTION_NOTEBOOKS[0].name
    solved = {c["id"]: c for c in json.loads(SOLUTION_NOTEBOOKS[0].read_text())["cells"]}
    nb = json.loads((folder / "notebooks" / name).read_text())
    for cell in nb["cells"]:
        if cells.role(cell) == cells.EXERCISE:
            cell["source"] = solved[cell["id"]]["source"]
        elif cells.role(cell) == cells.CHECK:
            cell["outputs"] = [{"output_type": "error", "ename": "AssertionError", "evalue": "an old attempt",
                                "traceback": ["AssertionError: an old attempt"]}]
    (folder / "notebooks" / name).write_text(json.dumps(nb))
    points = sum(int(cells.course_meta(c)["points"]) for c in nb["cells"] if cells.role(c) == cells.EXERCISE)
    done = run([sys.executable, "-m", "course_utils.grade", f"notebooks/{name}", "--release", ".release"],
               cwd=folder, env=clean_env(PYTHONPATH=str(folder)))
    assert re.search(rf"TOTAL\s+{points}/{points}\b", done.stdout), done.stdout[-2000:] + done.stderr[-2000:]


def test_student_release_refuses_unsafe_targets(tmp_path, capsys):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "thesis.tex").write_text("mine")
    assert build.main(["--student-release", str(occupied), "--class-key", KEY_FILE]) == 1
    assert "not a previous" in capsys.readouterr().err
    assert sorted(p.name for p in occupied.iterdir()) == ["thesis.tex"]

    for source in ("notebooks", "solutions", "authoring"):  # never into what the build and the packaging read
        assert build.main(["--student-release", str(ROOT / source / "out"), "--class-key", KEY_FILE]) == 1
        assert not (ROOT / source / "out").exists()

    linked = tmp_path / "linked"
    assert build.main(["--student-release", str(linked), "--class-key", KEY_FILE]) == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(linked / "binder")
    (linked / "binder").symlink_to(outside)
    assert build.main(["--student-release", str(linked), "--class-key", KEY_FILE]) == 1
    assert "in the way" in capsys.readouterr().err
    assert list(outside.iterdir()) == []

    with pytest.raises(SystemExit):
        build.main(["--github", "a/b"])  # only with --student-release


def test_rebuild_drops_old_files_and_keeps_others(tmp_path):
    folder = tmp_path / "release"
    assert build.main(["--student-release", str(folder), "--github", "example-org/gradient-checking",
                       "--class-key", KEY_FILE]) == 0
    readme = (folder / "README.md").read_text()
    assert "https://mybinder.org/v2/gh/example-org/gradient-checking/HEAD" in readme
    assert "git clone https://github.com/example-org/gradient-checking.git" in readme
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "old").mkdir()
    (folder / "old" / "gone.txt").write_text("from an earlier release")
    manifest = json.loads((folder / sr.MANIFEST).read_text())
    manifest["files"]["old/gone.txt"] = "0" * 64
    (folder / sr.MANIFEST).write_text(json.dumps(manifest))
    assert build.main(["--student-release", str(folder), "--class-key", KEY_FILE]) == 0
    assert not (folder / "old").exists()
    assert (folder / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert "example-org" not in (folder / "README.md").read_text()


def test_stale_or_solved_release_is_refused(tmp_path, capsys):
    release = tmp_path / "notebooks"
    shutil.copytree(build.RELEASE, release)
    name = SOLUTION_NOTEBOOKS[0].name
    solved = json.loads(SOLUTION_NOTEBOOKS[0].read_text())
    nb = json.loads((release / name).read_text())
    for cell, sol in zip(nb["cells"], solved["cells"], strict=True):
        if cells.role(cell) == cells.EXERCISE:
            cell["source"] = sol["source"]
    (release / name).write_text(json.dumps(nb))
    assert build.main(["--student-release", str(tmp_path / "out"), "--release", str(release), "--class-key", KEY_FILE]) == 1
    assert "not the unsolved stub" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert build.main(["--gradescope", str(tmp_path / "ag.zip"), "--release", str(release), "--class-key", KEY_FILE]) == 1
    assert not (tmp_path / "ag.zip").exists()


# ----------------------------------------------------------------------------------------------
# the Gradescope autograder


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    base = tmp_path_factory.mktemp("gradescope")
    first, second = base / "first.zip", base / "second.zip"
    key = ["--class-key", class_key_file(base)]
    assert build.main(["--gradescope", str(first)] + key) == 0
    assert build.main(["--gradescope", str(second)] + key) == 0
    assert first.read_bytes() == second.read_bytes()
    return first


def test_gradescope_zip_layout(bundle):
    with zipfile.ZipFile(bundle) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
        assert modes["setup.sh"] == modes["run_autograder"] == 0o755
        assert modes["class_key.txt"] == 0o600 and z.read("class_key.txt") == (CLASS_KEY.hex() + "\n").encode()
        assert {m for n, m in modes.items() if n not in ("setup.sh", "run_autograder", "class_key.txt")} == {0o644}
        assert z.read("setup.sh").startswith(b"#!/usr/bin/env bash\n")
        assert z.read("run_autograder").startswith(b"#!/usr/bin/env bash\n")
        assert {n for n in names if "/" not in n} == {"setup.sh", "run_autograder", "autograde.py", "README.md",
                                                      "requirements.txt", "class_key.txt"}
        assert {n for n in names if n.startswith("notebooks/")} == ({f"notebooks/{n}" for n in RELEASE_NOTEBOOKS}
                                                                   | {f"notebooks/{FINGERPRINT_FILE}"})
        assert z.read(f"notebooks/{FINGERPRINT_FILE}").decode().strip() == teammates.fingerprint(CLASS_KEY)
        assert {n: z.read(n) for n in names if n.startswith("course_utils/")} == repo_package_files(False)
        assert not any(n.startswith(AUTHOR_ONLY) or n.endswith("build.py") for n in names)
        for name in RELEASE_NOTEBOOKS:
            assert z.read(f"notebooks/{name}") == (build.RELEASE / name).read_bytes()
        for name in names:
            if name.endswith((".py", ".ipynb", ".md", ".txt", ".sh")):
                assert b"BEGIN SOLUTION" not in z.read(name), name
        wanted = [line.split("#")[0].strip() for line in z.read("requirements.txt").decode().splitlines()
                  if line.split("#")[0].strip()]
        pins = requirement_pins(ROOT / "requirements.txt")
        assert wanted == [pins[n] for n in ("numpy", "matplotlib", "ipywidgets", "ipykernel", "nbformat", "nbval",
                                            "pytest")]


@pytest.fixture
def autograder(bundle, tmp_path):
    """A folder laid out like Gradescope's /autograder, the bundle unzipped in source/."""
    root = tmp_path / "autograder"
    unzip(bundle, root / "source")
    (root / "submission").mkdir()
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope's image build does

    def grade(files, path=None):
        submission = root / "submission"
        shutil.rmtree(submission)
        submission.mkdir()
        for file in files:
            shutil.copy(file, submission / file.name)
        env = clean_env(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable,
                        PYTHONPATH=str(root / "source"))
        if path is not None:
            env["PATH"] = path
        done = run([str(root / "run_autograder")], cwd=root, env=env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return json.loads((root / "results" / "results.json").read_text()), done

    return grade


def test_gradescope_full_marks_zero_and_absent_in_one_submission(autograder, tmp_path):
    """One submission: notebook 06 solved (its capstone code issued under the bundle's class key), the release's first
    notebook as handed out (its stubs raise NotImplementedError), no other notebook. Every exercise of the course is a
    test (max scores adding up to the course's points): 06's earn every point, the handed-out one's none, saying
    NotImplementedError, and the absent notebooks' none, saying so. (Every notebook's solution earning every point:
    test_grade's course class, graded once for the suite.)"""
    handed_in = tmp_path / "handed-in"
    handed_in.mkdir()
    solved = SOLUTION_NOTEBOOKS[-1].name
    assert solved.startswith("06_") and RELEASE_NOTEBOOKS[0].startswith("00_")
    (handed_in / solved).write_text(class_solution_text(solved), encoding="utf-8")
    shutil.copy(build.RELEASE / RELEASE_NOTEBOOKS[0], handed_in / RELEASE_NOTEBOOKS[0])
    results, _ = autograder(sorted(handed_in.iterdir()))
    assert_gradescope_results(results)

    def tests_of(name):
        found = [t for t in results["tests"] if t["name"].startswith(name.removesuffix(".ipynb") + " / ")]
        assert found, (name, [t["name"] for t in results["tests"]])
        return found

    full = tests_of(solved)
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] > 0 for t in full), full
    assert results["score"] == sum(t["max_score"] for t in full)
    for t in tests_of(RELEASE_NOTEBOOKS[0]):
        assert t["status"] == "failed" and t["score"] == 0 and "NotImplementedError" in t["output"], t
    for name in RELEASE_NOTEBOOKS[1:-1]:
        for t in tests_of(name):
            assert t["status"] == "failed" and t["score"] == 0 and f"notebook {name} is not in the submission" in \
                t["output"], t
    assert len(results["tests"]) == sum(len(tests_of(n)) for n in RELEASE_NOTEBOOKS)

    # without bubblewrap, and with Ubuntu 22.04's bubblewrap 0.6.1: tests/test_grading_platforms.py


def test_gradescope_submission_without_notebooks(autograder, tmp_path):
    stray = tmp_path / "answers.txt"
    stray.write_text("I did it on paper")
    results, _ = autograder([stray])
    assert results["score"] == 0 and results["tests"] == []
    assert "No notebook of the course" in results["output"]


def test_gradescope_finds_notebooks_in_an_uploaded_repository(bundle, tmp_path):
    import importlib.util

    unzip(bundle, tmp_path / "source")
    spec = importlib.util.spec_from_file_location("autograde", tmp_path / "source" / "autograde.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stems = [n[:-len(".ipynb")] for n in RELEASE_NOTEBOOKS]
    sub = tmp_path / "submission"
    for rel in ["README.md", ".release/00_start_here.ipynb", "repo/notebooks/00_start_here.ipynb",
                "repo/notebooks/01_approximate_a_derivative-Copy1.ipynb", "repo/scratch/00_start_here.ipynb",
                "__MACOSX/repo/notebooks/00_start_here.ipynb", "repo/notebooks/.ipynb_checkpoints/x.ipynb"]:
        (sub / rel).parent.mkdir(parents=True, exist_ok=True)
        (sub / rel).write_text("{}")
    assert module.notebook_folder(sub, stems) == sub / "repo" / "notebooks"
    assert module.notebook_folder(tmp_path / "source" / "course_utils", stems) is None


# ----------------------------------------------------------------------------------------------
# pyproject.toml: dependencies by who needs them


def test_pyproject_extras_agree_with_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    pins = requirement_pins(ROOT / "requirements.txt")

    def name(requirement):
        return re.match(r"[\w.-]+", requirement).group(0).lower()

    def expand(extra):
        out = []
        for requirement in extras[extra]:
            if name(requirement) == "course_utils":
                for sub in re.search(r"\[(.*)\]", requirement).group(1).split(","):
                    out += expand(sub.strip())
            else:
                out.append(requirement)
        return out

    assert [name(r) for r in project["dependencies"]] == ["numpy", "matplotlib", "ipywidgets"]
    assert {name(r) for r in expand("notebooks")} == {"jupyterlab", "ipykernel"}
    assert {"nbformat", "nbval", "pytest"} <= {name(r) for r in expand("grade")}
    assert {name(r) for r in expand("build")} == {"nbclient", "nbformat"}
    assert {"pytest-xdist", "playwright"} | {name(r) for r in expand("grade") + expand("build")} \
        <= {name(r) for r in expand("test")}
    everything = project["dependencies"] + expand("dev")
    for requirement in everything:  # the same pin in both files
        assert pins[name(requirement)] == requirement
    assert {name(r) for r in everything} == set(pins)  # requirements.txt installs exactly what dev declares
    assert "-e ." in (ROOT / "requirements.txt").read_text()


def test_the_installed_distribution_is_course_utils_alone():
    """`pip install .` installs course_utils only: the author tooling (authoring/) and the reference solutions
    (solutions/) stay in the repository, imported and read from its root."""
    from fnmatch import fnmatch

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    include = setuptools["packages"]["find"]["include"]
    assert all(any(fnmatch(p, pattern) for pattern in include) for p in ("course_utils", "course_utils.grading"))
    assert not any(fnmatch(p, pattern) for pattern in include
                   for p in ("authoring", "authoring.delivery", "solutions", "tests"))
    assert not any(name.split(".")[0] != "course_utils" for name in setuptools.get("package-data", {}))
    assert (ROOT / "authoring" / "__init__.py").is_file() and not (ROOT / "course_utils" / "build.py").exists()
