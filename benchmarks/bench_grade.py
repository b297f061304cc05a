"""Benchmark the grader: its overhead over a bare nbval run, time per submission, --jobs speed-up.

    python benchmarks/bench_grade.py [--students 10] [--repeat 3] [--release DIR] [--solutions DIR]

A batch of --students copies of the reference solutions (default: the grader's fixture release and
solutions in tests/fixtures/grading/) is graded
  * with grade(jobs=1), keeping the merged notebooks, and with a bare
    `python -m pytest --nbval-lax --nbval-current-env <the same merged notebooks>`: the ratio is the
    grader's own overhead (merging, scanning, the result plugin, the check-cell reload, reading results);
  * with jobs=1 and jobs=2 for both strategies ("xdist": one pytest, -n N --dist loadscope;
    "process": one pytest per submission): the speed-up of --jobs 2 and which strategy is faster.
Each timing is the best of --repeat runs (the machine may be shared; the minimum is the least noisy).
Targets: overhead ratio < 1.3, jobs-2 speed-up >= 1.6.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.grade import _clean_env, grade  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "grading"


def make_batch(solutions, students, folder):
    """Copy the solutions' notebooks into folder/studentNN/ for NN < students; returns folder."""
    for n in range(students):
        dest = folder / f"student{n:02d}"
        dest.mkdir(parents=True)
        for nb in sorted(Path(solutions).glob("*.ipynb")):
            shutil.copy(nb, dest / nb.name)
    return folder


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bare_nbval(workdir, same_env):
    """Wall time of `pytest --nbval-lax` over the merged notebooks the grader left in workdir.

    same_env=False: a plain run (installed plugins auto-loaded); True: the grader's environment
    (only nbval loaded, jsonschema's slow rfc3987_syntax import left out), isolating the grader's own work.
    """
    notebooks = sorted(str(p) for p in (workdir / "run0").glob("*/*.ipynb"))
    env = _clean_env(workdir) if same_env else {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    cmd = [sys.executable, "-m", "pytest", "-c", str(workdir / "pytest.ini"), "-p", "no:cacheprovider",
           *(["-p", "nbval.plugin"] if same_env else []), "--nbval-lax", "--nbval-current-env", "-q", *notebooks]
    seconds, done = timed(lambda: subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True))
    if "passed" not in done.stdout:
        raise RuntimeError("the bare nbval run failed:\n" + done.stdout[-2000:] + done.stderr[-2000:])
    return seconds


def main(argv=None):
    """Run the benchmark, print a summary; returns the dict of results (also written with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--release", default=str(FIXTURES / "release"))
    parser.add_argument("--solutions", default=str(FIXTURES / "solutions"))
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    results = {"students": args.students, "notebooks_per_student": len(list(Path(args.solutions).glob("*.ipynb"))),
               "cpus": os.cpu_count(), "repeat": args.repeat}
    best = {}
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        tmp = Path(tmp)
        batch = make_batch(args.solutions, args.students, tmp / "class")
        for attempt in range(args.repeat):
            for strategy in ("xdist", "process"):
                for jobs in (1, 2):
                    workdir = tmp / f"work-{attempt}-{strategy}-{jobs}"
                    seconds, report = timed(lambda: grade([batch], release=args.release, jobs=jobs,
                                                          timeout=args.timeout, strategy=strategy, workdir=workdir))
                    earned = sum(r.points for r in report.records)
                    if earned != sum(r.max_points for r in report.records):
                        raise RuntimeError(f"the solutions did not get full marks ({strategy}, jobs={jobs})")
                    key = f"{strategy}_jobs{jobs}"
                    best[key] = min(best.get(key, float("inf")), seconds)
                    if strategy == "xdist" and jobs == 1:
                        for same, name in ((False, "bare_nbval"), (True, "bare_nbval_same_env")):
                            best[name] = min(best.get(name, float("inf")), bare_nbval(workdir, same))
                    shutil.rmtree(workdir)
                    print(f"  run {attempt + 1}: {key:14s} {seconds:6.1f} s", flush=True)
    results["seconds"] = {k: round(v, 2) for k, v in best.items()}
    results["overhead_ratio"] = round(best["xdist_jobs1"] / best["bare_nbval"], 3)
    results["overhead_ratio_same_env"] = round(best["xdist_jobs1"] / best["bare_nbval_same_env"], 3)
    results["seconds_per_submission"] = {k: round(v / args.students, 2) for k, v in best.items()
                                         if not k.startswith("bare")}
    results["speedup_jobs2"] = {s: round(best[f"{s}_jobs1"] / best[f"{s}_jobs2"], 2) for s in ("xdist", "process")}
    results["fastest_jobs2"] = min(("xdist", "process"), key=lambda s: best[f"{s}_jobs2"])
    print(f"\n{args.students} submissions x {results['notebooks_per_student']} notebooks, best of {args.repeat}, "
          f"{results['cpus']} CPUs")
    print(f"grader (jobs 1) {best['xdist_jobs1']:.1f} s vs bare pytest --nbval-lax {best['bare_nbval']:.1f} s: "
          f"overhead ratio {results['overhead_ratio']:.2f} (target < 1.3); against a bare run in the grader's "
          f"environment ({best['bare_nbval_same_env']:.1f} s): {results['overhead_ratio_same_env']:.2f}")
    for s in ("xdist", "process"):
        print(f"{s:8s} jobs 1: {best[f'{s}_jobs1']:.1f} s ({best[f'{s}_jobs1'] / args.students:.2f} s/submission)   "
              f"jobs 2: {best[f'{s}_jobs2']:.1f} s ({best[f'{s}_jobs2'] / args.students:.2f} s/submission)   "
              f"speed-up {results['speedup_jobs2'][s]:.2f} (target >= 1.6)")
    print(f"fastest with --jobs 2: {results['fastest_jobs2']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
