"""Where the full test suite's time goes: seconds per pytest-xdist scope, and what two workers make of them.

    python benchmarks/bench_suite.py [--workers 2] [--json FILE] [TEST_PATH ...]   # default: every tests/test_*.py
    pytest --durations=0 > out.txt; python benchmarks/bench_suite.py --from-durations out.txt   # a run's own figures

Runs each test module single-process (`pytest -n 0 --durations=0`, one module at a time, so a module's seconds are
its own), adds up the setup, call and teardown seconds of its tests by the scope tests/conftest.py gives them
(scope_of: a module, an OWN_SCOPE or a SHARED_SCOPE), and prints the scopes longest first with the SCOPE_SECONDS
figure conftest holds for each, the total, and the wall time of a longest-first schedule of those scopes on
--workers workers (the lower bound of `pytest`'s own run: it ignores start-up and the machine's other load).
Compare runs by their ratios, never by absolute seconds: the machine is shared.

Results (2-core development machine, shared with other work; single-process runs of the modules, load 1 to 4):
  test_notebooks: 0.65x (39 s vs 60 s): the solutions' lax nbval run is read off the perfect submission's strict
    run, which runs the same cells (it runs for real only when those differ or a cell failed);
  the time-budget test (test_grading_platforms::budget): 0.43x (28 s vs 65 s): its budget is 8 times the honest
    student's grading timed in the test (30 to 90 s) instead of a fixed 90 s, and the endless cell it cuts sleeps
    instead of spinning a core for that minute;
  the course class (test_grade's course test, test_grading_attacks' notebook-04 attacks, test_grading_attacks_course):
    one grade() run, the reference solutions graded once instead of three times: 112 s at load 3 to 4 vs 126 s for
    the three runs before at load 1 to 2.5 (about 0.9x; the machine's load differed).
  The whole suite (`pytest`, 2 workers): 657 s, 1,276 s of test time (bench_suite --from-durations), the
  longest-first schedule of those scopes 638 s; load 1.9 at the start, 3 to 8 during the run.

Second round (a fresh clone of the day's commits, nothing else running; `pytest --durations=0`, then
--from-durations):
  before it: 594 s for the whole suite (2 workers), 1,090 s of test time;
  the catalogs' verification runs shared with the mistakes engine's test (catalog.shared_verification), Gradescope's
    zero and the release self-check on one notebook, a gradient_check_n check at about half its cost (the library's
    argument checks decide the usual case fast): 454 s (2 workers);
  -n auto as three workers (tests/conftest.py pytest_xdist_auto_num_workers): 341 to 379 s, the cores 98 % busy
    (vmstat); four workers: 349 s;
  the complex-step attacker graded alone with a 20 s limit (it kept a core busy for two 60 s calls in the course
    class), notebook 06's truths once per slope (test_capstone 34 s -> 6 s): 316 to 350 s, 898 to 1,012 s of test
    time (the same commit's runs differ by a tenth: the machine is shared);
  the cells reach the harness as Python from the parser process: the harness processes' CPU 132 s -> 86 s over a
    whole run (sampled from /proc), the suite 322 to 328 s.

Third round (the same way, one commit at a time in a second clone; the CPU of every process sampled from /proc):
  before it: 293 to 361 s for one commit (f82d65d); 584 CPU-seconds busy of 2 x 293 s: the graded kernels 152 s
    (178 of them), the test workers 138 s, the verification harness 57 s (699 runs), the grader's nbval processes
    36 s, Chromium 33 s;
  fewer course notebooks executed: Gradescope's full marks, zero and absent notebooks in one submission of two
    notebooks (48 s -> 14 to 19 s), the Classroom step on a repository of one notebook (30 s -> 16 to 19 s),
    test_notebooks reading the course class's strict nbval runs instead of two nbval runs of its own (about 48 s),
    the portability build test also showing the check is not blind (three nbval runs fewer), the complex-step
    attacker cut at 10 s instead of 20 (two calls that keep a core busy): 293 to 326 s;
  the gradient check's hot path: forward_propagation_n checked its arguments a second time through
    forward_propagation_deep, finite checks went through ndarray.all's Python layer (one J(theta) of the classic
    network 78 -> 53 microseconds) and the uid scan parsed every line of /proc/PID/status: 271 s;
  the bytecode of course_utils written once by the grader (course_utils/grading/bytecode.py: sandboxes cannot write
    it, so each kernel and verification run compiled the modules it imported): 265 s; kernels started without
    ipykernel's debugger (0.49 -> 0.44 s of CPU per kernel): the kernels' CPU 139 -> 123 s over the two steps, the
    suite 257 s (735 s of test time, 502 CPU-seconds busy of 2 x 260 s); a fresh clone's `bash .ci/run` 4 min 46 s,
    4 min 20 s of it the tests;
  no test process and no portability nbval run importing rfc3987_syntax (a second of CPU each, for jsonschema; the
    grader's own nbval runs already left it out): the plain nbval processes' CPU 15 -> 5 s, the suite 247 s
    (470 CPU-seconds busy of 2 x 248 s).
"""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SCOPE_SECONDS, scope_of  # noqa: E402

LINE = re.compile(r"^\s*([0-9.]+)s (setup|call|teardown)\s+(\S.*)$")


def durations(path):
    """{nodeid: seconds} of one test module, run single-process."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider", "--durations=0",
                           "-vv", str(path)], cwd=ROOT, capture_output=True, text=True)
    return parse(done.stdout)


def parse(text):
    """{nodeid: seconds} from pytest's --durations report."""
    found = {}
    for line in text.splitlines():
        match = LINE.match(line)
        if match:
            found[match.group(3)] = found.get(match.group(3), 0.0) + float(match.group(1))
    return found


def schedule(seconds, workers):
    """Wall time of handing out the scopes longest first, each to the worker that is free first."""
    loads = [0.0] * workers
    for s in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += s
    return max(loads)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--from-durations", type=Path, help="read pytest's --durations=0 report instead of running")
    args = parser.parse_args(argv)
    if args.from_durations:
        runs = [parse(args.from_durations.read_text(encoding="utf-8"))]
    else:
        runs = (durations(path) for path in args.paths or sorted((ROOT / "tests").glob("test_*.py")))
    scopes = {}
    for found in runs:
        for nodeid, seconds in found.items():
            scope = scope_of(nodeid)
            scopes[scope] = scopes.get(scope, 0.0) + seconds
    total = sum(scopes.values())
    print(f"{'scope':70} {'seconds':>8} {'held':>6}")
    for scope, seconds in sorted(scopes.items(), key=lambda kv: -kv[1]):
        path, _, own = scope.partition("::@")
        module = path.rpartition("/")[2].removesuffix(".py")
        held = SCOPE_SECONDS.get(scope if scope.startswith("@") else (f"{module}::{own}" if own else module), "")
        print(f"{scope:70} {seconds:8.1f} {held!s:>6}")
    wall = schedule(list(scopes.values()), args.workers)
    print(f"total {total:.0f} s of tests; longest-first on {args.workers} workers: {wall:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"scopes": scopes, "total": total, "wall": wall}, indent=1))


if __name__ == "__main__":
    main()
