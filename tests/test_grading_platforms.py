"""The grader on the platforms it meets (issue 15): Gradescope's Ubuntu 22.04 with its bubblewrap 0.6.1,
a container where bubblewrap is missing or cannot start, a long TMPDIR, and a platform's time limit.

The Gradescope bundle is run as Gradescope runs it (run_autograder, as root, a folder laid out like
/autograder), with Ubuntu 22.04's real bubblewrap 0.6.1 first on PATH (../shared/bin/bwrap-0.6.1 beside
the checkout, or $GRADER_BWRAP_061; skipped, saying why, where it is absent) and with no bwrap on PATH at
all. In both, a blank submission whose one exercise starts a detached process (fork, setsid, fork, exec)
that keeps rewriting results/results.json with full marks must earn 0, and no process it started may
survive; the reference solutions get full marks in the sandbox 0.6.1 makes.

Without bubblewrap the grader, as root, runs student code as unprivileged uids, which must be able to run
the grader's Python: where the checkout's Python lives in a private home (/root), the no-bwrap tests use a
virtual environment of the system's Python of the same version holding the checkout's packages, and skip,
saying why, where there is none.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from needs import path_with_bwrap, path_without_bwrap, sandbox_needed, ubuntu_bwrap
from test_delivery import (  # noqa: F401
    TOTAL_POINTS,
    assert_gradescope_results,
    bundle,
    class_solution_text,
    clean_env,
    run,
    unzip,
)
from test_grading_attacks import HIDDEN, TOKEN, attack_processes, with_sources

from authoring import build
from course_utils import grade as g
from course_utils.grading import nbval_plugin, sandbox

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
NB00 = "00_start_here.ipynb"
SMALL_SET = ["00_start_here.ipynb", "01_approximate_a_derivative.ipynb", "03_flatten_parameters_into_one_vector.ipynb"]


# ---------------------------------------------------------------------------------------------- helpers
def forger(results_json, seconds=120, plant=()):
    """Python source of a process that keeps writing full marks into results_json for `seconds`, and tries to
    plant a file named `forged` in each folder of `plant` (e.g. the results folder, the bundle)."""
    return textwrap.dedent(f"""\
        import json, os, time
        forged = json.dumps({{"score": {TOTAL_POINTS}, "output": "forged", "tests": []}})
        end = time.time() + {seconds}
        while time.time() < end:
            for path in [{str(results_json)!r}] + [os.path.join(p, "forged") for p in {[str(p) for p in plant]!r}]:
                try:
                    with open(path, "w") as handle:
                        handle.write(forged)
                except OSError:
                    pass
            time.sleep(0.05)
        """)


def detached_forger_cell(results_json, plant=()):
    """Notebook 00's exercise cell: it starts the forger detached (fork, setsid, fork, exec, named after TOKEN),
    hidden from the tripwire scan, and answers wrong."""
    return HIDDEN + textwrap.dedent(f'''\
        _os = _imp("o" + "s")
        _child = _g(_os, "fork")()
        if _child == 0:
            try:
                _g(_os, "setsid")()
                if _g(_os, "fork")() == 0:
                    _python = _g(sys, "executable")
                    _g(_os, "execv")(_python, [_python, "-c", {forger(results_json, plant=plant)!r}, "{TOKEN}"])
            finally:
                _g(_os, "_exit")(0)
        _g(_os, "waitpid")(_child, 0)


        def warm_up_square(x):
            return 0
        ''')


def readable_tmpdir(prefix):
    """A fresh folder that unprivileged uids may traverse (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(folder, 0o755)
    return folder


@pytest.fixture(scope="module")
def unprivileged_python():
    """A Python with this checkout's packages that an unprivileged uid can run (sandbox.uids_possible)."""
    if os.geteuid() != 0:
        pytest.skip("the no-namespace grading as unprivileged uids needs a grader running as root")
    if sandbox.uids_possible()[0]:
        yield sys.executable
        return
    base = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not base.is_file():
        pytest.skip(f"{sys.executable} is not runnable by an unprivileged uid ({sandbox.uids_possible()[1]}) and "
                    f"there is no {base} to make one")
    folder = readable_tmpdir("grader-python-")
    try:
        made = subprocess.run([str(base), "-m", "venv", "--without-pip", str(folder / "venv")], capture_output=True,
                              text=True, timeout=120)
        if made.returncode != 0:
            pytest.skip(f"{base} -m venv failed: {made.stderr.strip()[-300:]}")
        inner = subprocess.run([str(folder / "venv" / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip()
        Path(inner, "checkout-packages.pth").write_text(
            f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n", encoding="utf-8")
        python = folder / "venv" / "bin" / "python"
        probe = subprocess.run(["setpriv", f"--reuid={sandbox.FIRST_UID + 995}", f"--regid={sandbox.FIRST_UID + 995}",
                                "--clear-groups", "env", "-i", "-C", "/", str(python), "-c",
                                "import numpy, ipykernel, nbval"], capture_output=True, text=True, timeout=120)
        if probe.returncode != 0:
            pytest.skip(f"the checkout's packages are not readable by an unprivileged uid either: "
                        f"{probe.stderr.strip()[-300:]}")
        yield python
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def gradescope(bundle):  # noqa: F811 -- test_delivery's fixture
    """A folder laid out like Gradescope's /autograder (traversable by the sandbox uids), the bundle in source/;
    returns grade(files, path, python) -> (results.json, completed run_autograder)."""
    root = readable_tmpdir("autograder-")
    unzip(bundle, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()

    def grade(files, path, python=sys.executable):
        for name, data in files.items():
            (root / "submission" / name).write_text(data, encoding="utf-8")
        env = clean_env(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=str(python), PYTHONPATH=str(root / "source"),
                        PATH=path)
        done = run([str(root / "run_autograder")], cwd=root, env=env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return json.loads((root / "results" / "results.json").read_text(encoding="utf-8")), done

    grade.root = root
    yield grade
    shutil.rmtree(root, ignore_errors=True)


def blank_with_forger(results_json, plant=()):
    """{file: text}: the untouched release notebook 00 but for its exercise cell, the detached forger."""
    notebook = with_sources(build.RELEASE / NB00, {"ex-warm-up-square": detached_forger_cell(results_json, plant)})
    return {NB00: json.dumps(notebook)}


def survivors():
    """ps lines of processes the forger started that still run (a moment is given to any that is dying)."""
    found = attack_processes()
    for _ in range(30):
        if not found:
            break
        time.sleep(0.1)
        found = attack_processes()
    return found


def ran_line(results):
    return next(line for line in results["output"].splitlines() if line.startswith("How your code ran"))


def planted_in(root):
    """The folders the forger tries to plant a file in: the results folder, the bundle, its release notebooks."""
    return [root / "results", root / "source", root / "source" / "notebooks"]


def assert_not_forged(results, results_json):
    """The results Gradescope reads are the grader's, give the forger nothing, and nothing was planted."""
    assert_gradescope_results(results)
    assert results["score"] == 0, results["output"]
    assert results["output"] != "forged"
    warm_up = next(t for t in results["tests"] if t["name"] == "00_start_here / warm_up_square")
    assert (warm_up["score"], warm_up["status"]) == (0, "failed")
    assert warm_up["output"].startswith("status: failed"), warm_up["output"]  # its code ran: its check said wrong
    assert json.loads(Path(results_json).read_text(encoding="utf-8")) == results  # nothing rewrote it since
    assert survivors() == []
    root = Path(results_json).parent.parent
    assert [p for p in planted_in(root) if (p / "forged").exists()] == []


# ------------------------------------------------------------------------------------------ the attack
def test_the_forger_rewrites_results_when_nothing_stops_it(tmp_path):
    """The attack is real: run as the grader's user, the forger replaces a results.json with full marks."""
    target = tmp_path / "results.json"
    target.write_text(json.dumps({"score": 0, "tests": []}), encoding="utf-8")
    subprocess.run([sys.executable, "-c", forger(target, seconds=0.5, plant=[tmp_path])], check=True, timeout=60)
    assert json.loads(target.read_text(encoding="utf-8"))["score"] == TOTAL_POINTS
    assert (tmp_path / "forged").is_file()


def test_the_detached_forger_earns_nothing_in_ubuntus_bubblewrap(gradescope, tmp_path):
    binary = ubuntu_bwrap()
    path = path_with_bwrap(binary, tmp_path / "bwrap-0.6.1")
    results_json = gradescope.root / "results" / "results.json"
    results, done = gradescope(blank_with_forger(results_json, planted_in(gradescope.root)), path)
    ran = ran_line(results)
    if "bubblewrap: every notebook" not in ran:
        sandbox_needed()  # skips (fails with CI=true) when bubblewrap cannot start here at all
    assert "bubblewrap 0.6.1" in ran and "unsandboxed" not in ran, ran
    assert "grading budget" in done.stdout  # autograde.py gave the grader a time budget under the limit
    assert_not_forged(results, results_json)


def test_the_detached_forger_earns_nothing_without_bubblewrap(gradescope, tmp_path, unprivileged_python):
    path = path_without_bwrap(tmp_path / "bin-without-bwrap")
    results_json = gradescope.root / "results" / "results.json"
    results, _ = gradescope(blank_with_forger(results_json, planted_in(gradescope.root)), path, unprivileged_python)
    ran = ran_line(results)
    assert "unsandboxed (bubblewrap (bwrap) is not installed)" in ran and "unprivileged uids" in ran, ran
    assert_not_forged(results, results_json)


# ------------------------------------------------------------------------------------------ full marks
def solutions(names):
    return {name: class_solution_text(name) for name in names}


def assert_full_marks_for(results, names):
    assert_gradescope_results(results)
    stems = {Path(n).stem for n in names}
    mine = [t for t in results["tests"] if t["name"].split(" / ")[0] in stems]
    assert mine and all(t["score"] == t["max_score"] and t["status"] == "passed" for t in mine), [
        (t["name"], t["output"]) for t in mine if t["status"] != "passed"]
    assert results["score"] == sum(t["max_score"] for t in mine)


def test_reference_solutions_get_full_marks_in_ubuntus_bubblewrap(gradescope, tmp_path):
    path = path_with_bwrap(ubuntu_bwrap(), tmp_path / "bwrap-0.6.1")
    results, _ = gradescope(solutions(SMALL_SET), path)
    ran = ran_line(results)
    if "bubblewrap: every notebook" not in ran:
        sandbox_needed()
    assert "bubblewrap 0.6.1" in ran, ran
    assert_full_marks_for(results, SMALL_SET)


def test_reference_solutions_get_full_marks_without_bubblewrap(gradescope, tmp_path, unprivileged_python):
    path = path_without_bwrap(tmp_path / "bin-without-bwrap")
    results, _ = gradescope(solutions(SMALL_SET[:2]), path, unprivileged_python)
    assert "unprivileged uids" in ran_line(results)
    assert_full_marks_for(results, SMALL_SET[:2])


# ------------------------------------------------------------------------ bubblewrap: options and causes
def test_require_sandbox_works_with_ubuntus_bubblewrap(tmp_path):
    """--require-sandbox grades with 0.6.1 (it refused before: --size is 0.7), and the output says how."""
    path = path_with_bwrap(ubuntu_bwrap(), tmp_path / "bwrap")
    out = tmp_path / "grades.json"
    done = subprocess.run([sys.executable, "-m", "course_utils.grade", str(FIXTURES / "solutions"), "--release",
                           str(FIXTURES / "release"), "--specs", str(FIXTURES / "release" / "fixture_specs.py"),
                           "--require-sandbox", "--json", str(out), "--timeout", "20"],
                          capture_output=True, text=True, timeout=600, env=dict(clean_env(), PATH=path))
    if done.returncode == 2 and "refuses the namespaces" in done.stderr:
        sandbox_needed()
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["settings"]["sandboxed"] is True
    assert "bubblewrap 0.6.1" in report["settings"]["sandbox"] and "--size: 0.7" in report["settings"]["sandbox"]
    assert [r["status"] for r in report["results"]] == ["passed"] * 4


def test_ubuntus_bubblewrap_gets_no_option_it_lacks(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_with_bwrap(ubuntu_bwrap(), tmp_path / "bwrap"))
    bw = sandbox.bwrap()
    assert bw.version == "0.6.1" and not bw.has("--size") and bw.has("--perms")
    argv = sandbox.command(["true"], uid=sandbox.FIRST_UID + 990, package=["__init__.py"])
    assert "--size" not in argv and bw.path in argv
    assert sandbox.PRELUDE in argv  # /tmp's size is set by the first, privileged step instead


def fake_bwrap(folder, stderr):
    """A `bwrap` that answers --help and --version like the installed one but fails to start with `stderr`."""
    real = shutil.which("bwrap")
    if real is None:
        sandbox_needed()
    folder.mkdir()
    script = folder / "bwrap"
    script.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        case "$1" in --help|--version) exec {real} "$1" ;; esac
        echo {stderr!r} >&2
        exit 1
        """), encoding="utf-8")
    os.chmod(script, 0o755)
    return os.pathsep.join([str(folder), os.environ["PATH"]])


@pytest.mark.parametrize("stderr, cause", [
    ("bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged "
     "user namespaces.", "this system refuses the namespaces bubblewrap"),
    ("bwrap: Creating new namespace failed: Operation not permitted", "this system refuses the namespaces"),
    ("bwrap: Unknown option --size", "refused an option the grader passed (bwrap: Unknown option --size)"),
    ("bwrap: --perms must be followed by an option that creates a file",
     "refused an option the grader passed"),
    ("bwrap: Can't find source path /root/.venv: Permission denied", "cannot reach a folder the sandbox binds"),
])
def test_the_true_cause_is_said_when_the_sandbox_cannot_start(tmp_path, monkeypatch, stderr, cause):
    monkeypatch.setenv("PATH", fake_bwrap(tmp_path / "fake", stderr))
    ok, why = sandbox.available()
    assert not ok and cause in why, why
    if "namespace" not in stderr:
        assert "namespaces" not in why  # the old message blamed namespaces for everything


def test_a_bubblewrap_without_a_needed_option_is_named(tmp_path, monkeypatch):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "bwrap").write_text("#!/bin/sh\necho 'usage: bwrap [OPTIONS...] COMMAND'\necho '    --help   Print this "
                                  "help'\necho '    --unshare-pid   Create new pid namespace'\n", encoding="utf-8")
    os.chmod(folder / "bwrap", 0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), os.environ["PATH"]]))
    ok, why = sandbox.available()
    assert not ok and "lacks --unshare-net (no network)" in why and "--die-with-parent" in why, why


def test_no_bubblewrap_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_bwrap(tmp_path / "bin"))
    assert sandbox.available() == (False, "bubblewrap (bwrap) is not installed")


# ---------------------------------------------------------------------------------------- a long TMPDIR
def test_a_long_tmpdir_neither_hangs_nor_fails_the_grading(tmp_path):
    """Kernels' socket files under a TMPDIR of ~120 characters would pass the 107-byte limit of a socket path."""
    sandbox_needed()
    long_tmp = Path(readable_tmpdir("grader-long-tmpdir-")) / ("x" * 60) / ("y" * 40)
    long_tmp.mkdir(parents=True)
    assert len(str(long_tmp)) > 107 - len("/grade-12345678/sockets/k12345678/kernel-1")
    out = tmp_path / "grades.json"
    try:
        done = subprocess.run([sys.executable, "-m", "course_utils.grade", str(FIXTURES / "solutions"), "--release",
                               str(FIXTURES / "release"), "--specs", str(FIXTURES / "release" / "fixture_specs.py"),
                               "--json", str(out), "--timeout", "20"],
                              capture_output=True, text=True, timeout=600, env=dict(clean_env(), TMPDIR=str(long_tmp)))
        assert done.returncode == 0, done.stderr[-2000:]
        report = json.loads(out.read_text(encoding="utf-8"))
        assert [r["status"] for r in report["results"]] == ["passed"] * 4, report["results"]
        assert list(long_tmp.iterdir()) == []  # the grader cleaned up after itself there
    finally:
        shutil.rmtree(long_tmp.parent.parent, ignore_errors=True)


def test_no_short_folder_for_sockets_is_a_clear_error(tmp_path):
    deep = tmp_path / ("z" * 100)
    deep.mkdir()
    with pytest.raises(RuntimeError, match="107 bytes.*set TMPDIR to a short folder"):
        sandbox.short_folder("grade-", 40, bases=[str(deep)])
    assert list(deep.iterdir()) == []


# ---------------------------------------------------------------------------------------- the time budget
# endless but idle: the minute it waits for the budget leaves the machine's cores to other work (a busy loop cut at
# its time limit: test_grade's `hangs`; a budget cuts whatever cell is running at it)
HANGS = "import time\n\n\ndef square(x):\n    while True:\n        time.sleep(0.5)\n"
BUDGET_MARGIN, BUDGET_FLOOR, BUDGET_CAP = 8, 30, 90  # the time budget: 8 times the honest student's grading, 30-90 s


def test_a_time_budget_reports_what_was_graded_and_times_out_the_rest(tmp_path):
    """An honest student graded first keeps every point; an endless loop is cut at the budget, and what
    could not run after it is 'timeout', saying so -- long before the per-cell limit."""
    sandbox_needed()
    honest, looping = tmp_path / "a_honest", tmp_path / "b_looping"
    shutil.copytree(FIXTURES / "solutions", honest)
    looping.mkdir()
    nb1 = "01_compute_differences.ipynb"
    (looping / nb1).write_text(json.dumps(with_sources(FIXTURES / "solutions" / nb1, {"ex-square": HANGS})),
                               encoding="utf-8")
    # the budget covers the honest student under this machine's load -- its grading alone, timed here (about 5 s on
    # an idle 2-core machine), BUDGET_MARGIN times over -- and stays far below the per-cell limit the loop would
    # otherwise run to; the loop waits for it, so it is no longer than that
    start = time.perf_counter()
    alone = g.grade(honest, release=FIXTURES / "release", timeout=600, specs=[FIXTURES / "release" / "fixture_specs.py"])
    assert [r.status for r in alone.records] == ["passed"] * 4, [(r.exercise, r.message) for r in alone.records]
    budget = round(min(BUDGET_CAP, max(BUDGET_FLOOR, BUDGET_MARGIN * (time.perf_counter() - start))))
    report = g.grade([honest, looping], release=FIXTURES / "release", timeout=600, time_budget=budget,
                     specs=[FIXTURES / "release" / "fixture_specs.py"])
    got = {(r.student, r.exercise): (r.status, r.points) for r in report.records}
    assert all(got[("a_honest", e)] == ("passed", p) for e, p in
               {"square": 1, "forward_difference": 2, "norm2": 1, "relative_difference": 2}.items()), got
    looped = {r.exercise: r for r in report.records if r.student == "b_looping" and r.notebook == nb1}
    assert [(r.status, r.points) for r in looped.values()] == [("timeout", 0), ("timeout", 0)], \
        [(r.exercise, r.status, r.message) for r in looped.values()]
    assert all("grading time budget ran out" in r.message for r in looped.values()), [r.message for r in looped.values()]
    assert report.settings["time_budget"] == budget


def test_the_plugin_skips_what_the_deadline_leaves_out():
    """--grader-deadline reaches the nbval run (the per-cell limit alone would let 5 endless loops pass 10 minutes)."""
    cmd = nbval_plugin.nbval_command(sys.executable, [Path("a.ipynb")], Path("/w"), Path("/w/r.json"), 60,
                                     deadline=1234.5)
    assert "--grader-deadline=1234.500" in cmd


def test_the_bundle_carries_its_time_limit():
    """The bundle's one setting: the autograder timeout set on Gradescope, which run_autograder hands on."""
    from authoring.delivery.gradescope import TIME_LIMIT, gradescope_files

    assert TIME_LIMIT == 600  # Gradescope's default timeout (10 minutes)
    files = gradescope_files(time_limit=900)
    assert 'AUTOGRADE_TIME_LIMIT="${AUTOGRADE_TIME_LIMIT:-900}"' in files["run_autograder"].data.decode()
    assert "autograder timeout to 15 minutes**: this bundle" in files["README.md"].data.decode()
    for wrong in (60, 3600, 600.5, "600"):
        with pytest.raises(ValueError, match="time_limit"):
            gradescope_files(time_limit=wrong)
