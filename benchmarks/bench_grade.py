"""Benchmark the grader: its overhead over a bare nbval run, time per submission, --jobs speed-up.

    python benchmarks/bench_grade.py [--students 10] [--repeat 3] [--release DIR] [--solutions DIR]

A batch of --students copies of the reference solutions (default: the grader's fixture release and
solutions in tests/fixtures/grading/) is graded
  * with grade(jobs=1), keeping the merged notebooks, and with a bare
    `python -m pytest --nbval-lax --nbval-current-env <the same merged notebooks>`: the ratio is the
    grader's own overhead (merging, scanning, the result plugin, the check-cell reload, reading results);
  * with jobs=2 for the three strategies ("split": two pytest processes, each a share of the batch;
    "xdist": one pytest, -n 2 --dist loadscope; "process": one pytest per submission, two at a time)
    and with jobs=1: the speed-up of --jobs 2 and which strategy is fastest.
Each timing is the best of --repeat runs (the machine may be shared; the minimum is the least noisy),
with the CPU seconds of the child processes (less sensitive to other load than wall time).
Targets: overhead ratio < 1.3, jobs-2 speed-up >= 1.6.
"""
import argparse
import json
import os
import resource
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
    """(wall seconds, CPU seconds of finished child processes, fn())."""
    start, usage = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return time.perf_counter() - start, cpu, result


def bare_nbval(workdir, same_env):
    """Wall time of `pytest --nbval-lax` over the merged notebooks the grader left in workdir.

    same_env=False: a plain run (installed plugins auto-loaded); True: the grader's environment
    (only nbval loaded, jsonschema's slow rfc3987_syntax import left out), isolating the grader's own work.
    """
    notebooks = sorted(str(p) for p in (workdir / "run0").glob("*/*.ipynb"))
    env = _clean_env(workdir) if same_env else {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    cmd = [sys.executable, "-m", "pytest", "-c", str(workdir / "pytest.ini"), "-p", "no:cacheprovider",
           *(["-p", "nbval.plugin"] if same_env else []), "--nbval-lax", "--nbval-current-env", "-q", *notebooks]
    seconds, cpu, done = timed(lambda: subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True))
    if "passed" not in done.stdout:
        raise RuntimeError("the bare nbval run failed:\n" + done.stdout[-2000:] + done.stderr[-2000:])
    return seconds, cpu


def main(argv=None):
    """Run the benchmark, print a summary; returns the dict of results (also written with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--release", default=str(FIXTURES / "release"))
    parser.add_argument("--solutions", default=str(FIXTURES / "solutions"))
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--skip-process", action="store_true", help="leave out the (slowest) process strategy")
    args = parser.parse_args(argv)
    results = {"students": args.students, "notebooks_per_student": len(list(Path(args.solutions).glob("*.ipynb"))),
               "cpus": os.cpu_count(), "repeat": args.repeat}
    best, cpu = {}, {}

    def keep(key, seconds, cpu_seconds):
        best[key] = min(best.get(key, float("inf")), seconds)
        cpu[key] = min(cpu.get(key, float("inf")), cpu_seconds)
        print(f"  {key:22s} {seconds:6.1f} s wall {cpu_seconds:6.1f} s CPU", flush=True)

    runs = [("single", "split", 1), ("split", "split", 2), ("xdist", "xdist", 2), ("process", "process", 2),
            ("process_jobs1", "process", 1)]
    strategies = ("split", "xdist") if args.skip_process else ("split", "xdist", "process")
    runs = [r for r in runs if r[1] in strategies]
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        tmp = Path(tmp)
        batch = make_batch(args.solutions, args.students, tmp / "class")
        for attempt in range(args.repeat):
            print(f"run {attempt + 1} of {args.repeat}")
            for key, strategy, jobs in runs:
                workdir = tmp / f"work-{attempt}-{key}"
                seconds, cpu_seconds, report = timed(lambda: grade(
                    [batch], release=args.release, jobs=jobs, timeout=args.timeout, strategy=strategy, workdir=workdir))
                if sum(r.points for r in report.records) != sum(r.max_points for r in report.records):
                    raise RuntimeError(f"the solutions did not get full marks ({strategy}, jobs={jobs})")
                keep(key, seconds, cpu_seconds)
                if key == "single":
                    for same, name in ((False, "bare_nbval"), (True, "bare_nbval_same_env")):
                        keep(name, *bare_nbval(workdir, same))
                shutil.rmtree(workdir)
    n = args.students
    results["seconds"] = {k: round(v, 2) for k, v in best.items()}
    results["cpu_seconds"] = {k: round(v, 2) for k, v in cpu.items()}
    results["overhead_ratio"] = round(best["single"] / best["bare_nbval"], 3)
    results["overhead_ratio_same_env"] = round(best["single"] / best["bare_nbval_same_env"], 3)
    results["seconds_per_submission"] = {k: round(v / n, 2) for k, v in best.items() if not k.startswith("bare")}
    results["speedup_jobs2"] = {s: round(best["single"] / best[s], 2) for s in strategies}
    results["fastest_jobs2"] = min(strategies, key=lambda s: best[s])
    print(f"\n{n} submissions x {results['notebooks_per_student']} notebooks, best of {args.repeat}, "
          f"{results['cpus']} CPUs")
    print(f"grader, --jobs 1: {best['single']:.1f} s ({best['single'] / n:.2f} s/submission, {cpu['single']:.1f} s CPU)")
    print(f"bare pytest --nbval-lax: {best['bare_nbval']:.1f} s -> overhead ratio {results['overhead_ratio']:.2f} "
          f"(target < 1.3); in the grader's environment {best['bare_nbval_same_env']:.1f} s -> "
          f"{results['overhead_ratio_same_env']:.2f}")
    for s in strategies:
        print(f"--jobs 2, {s:8s}: {best[s]:.1f} s ({best[s] / n:.2f} s/submission, {cpu[s]:.1f} s CPU): "
              f"speed-up {results['speedup_jobs2'][s]:.2f} over --jobs 1 (target >= 1.6)")
    if "process_jobs1" in best:
        print(f"--jobs 1, process : {best['process_jobs1']:.1f} s ({cpu['process_jobs1']:.1f} s CPU)")
    print(f"fastest with --jobs 2: {results['fastest_jobs2']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
