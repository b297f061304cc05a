"""Benchmark the grader: the cost of sandboxing plus verification, time per submission, --jobs speed-up.

    python benchmarks/bench_grade.py [--students 10] [--repeat 3] [--release DIR] [--solutions DIR]

A batch of --students copies of the reference solutions (default: the grader's fixture release and
solutions in tests/fixtures/grading/; `--release notebooks --solutions solutions` for the course)
is graded, all in the same run:
  * unsandboxed with jobs=1 (grade(require_sandbox=False): kernels and verification runs as plain
    processes), keeping the merged notebooks, and a bare
    `python -m pytest --nbval-lax --nbval-current-env <the same merged notebooks>` -- the baseline: what
    running the notebooks costs without any grading;
  * sandboxed with jobs=1 (every kernel and every verification run in its own bubblewrap sandbox):
    "sandbox_ratio" = sandboxed / bare nbval (target <= 1.5) -- the whole cost of the trust model;
    and sandboxed / unsandboxed, the sandbox alone;
  * sandboxed with jobs=2 for the strategies ("split": two pytest processes, each a share of the batch;
    "xdist": one pytest, -n 2 --dist loadscope; "process": one pytest per submission, two at a time):
    the speed-up of --jobs 2 over --jobs 1 (target >= 1.6).
Each timing is the best of --repeat runs (the machine may be shared; the minimum is the least noisy),
with the CPU seconds of the child processes (less sensitive to other load than wall time).
"""
import argparse
import functools
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

from course_utils.grading import grade, sandbox  # noqa: E402
from course_utils.grading.run import clean_env  # noqa: E402

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
    env = clean_env(workdir) if same_env else {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
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

    if not sandbox.available()[0]:
        raise SystemExit(f"the sandbox is unavailable: {sandbox.available()[1]}")
    runs = [("unsandboxed", "split", 1, False), ("single", "split", 1, True), ("split", "split", 2, True),
            ("xdist", "xdist", 2, True), ("process", "process", 2, True)]
    strategies = ("split", "xdist") if args.skip_process else ("split", "xdist", "process")
    runs = [r for r in runs if r[1] in strategies]
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        tmp = Path(tmp)
        batch = make_batch(args.solutions, args.students, tmp / "class")
        for attempt in range(args.repeat):
            print(f"run {attempt + 1} of {args.repeat}")
            for key, strategy, jobs, sandboxed in runs:
                workdir = tmp / f"work-{attempt}-{key}"
                seconds, cpu_seconds, report = timed(functools.partial(
                    grade, [batch], release=args.release, jobs=jobs, timeout=args.timeout, strategy=strategy,
                    workdir=workdir, require_sandbox=sandboxed))
                if report.settings["sandboxed"] != sandboxed:
                    raise RuntimeError(f"{key}: expected sandboxed={sandboxed}")
                if sum(r.points for r in report.records) != sum(r.max_points for r in report.records):
                    raise RuntimeError(f"the solutions did not get full marks ({strategy}, jobs={jobs})")
                keep(key, seconds, cpu_seconds)
                if key == "unsandboxed":
                    for same, name in ((False, "bare_nbval"), (True, "bare_nbval_same_env")):
                        keep(name, *bare_nbval(workdir, same))
                shutil.rmtree(workdir)
    n = args.students
    results["seconds"] = {k: round(v, 2) for k, v in best.items()}
    results["cpu_seconds"] = {k: round(v, 2) for k, v in cpu.items()}
    results["sandbox_ratio"] = round(best["single"] / best["bare_nbval_same_env"], 3)
    results["sandbox_ratio_plain_env"] = round(best["single"] / best["bare_nbval"], 3)
    results["sandbox_over_unsandboxed"] = round(best["single"] / best["unsandboxed"], 3)
    results["unsandboxed_ratio"] = round(best["unsandboxed"] / best["bare_nbval_same_env"], 3)
    results["seconds_per_submission"] = {k: round(v / n, 2) for k, v in best.items() if not k.startswith("bare")}
    results["speedup_jobs2"] = {s: round(best["single"] / best[s], 2) for s in strategies}
    results["fastest_jobs2"] = min(strategies, key=lambda s: best[s])
    print(f"\n{n} submissions x {results['notebooks_per_student']} notebooks, best of {args.repeat}, "
          f"{results['cpus']} CPUs")
    print(f"bare pytest --nbval-lax (the grader's environment): {best['bare_nbval_same_env']:.1f} s "
          f"({best['bare_nbval']:.1f} s with plugins auto-loaded)")
    print(f"grader unsandboxed, --jobs 1: {best['unsandboxed']:.1f} s ({cpu['unsandboxed']:.1f} s CPU) -> "
          f"{results['unsandboxed_ratio']:.2f}x bare")
    print(f"grader sandboxed + verified, --jobs 1: {best['single']:.1f} s ({best['single'] / n:.2f} s/submission, "
          f"{cpu['single']:.1f} s CPU) -> {results['sandbox_ratio']:.2f}x bare (target <= 1.5), "
          f"{results['sandbox_over_unsandboxed']:.2f}x unsandboxed")
    for s in strategies:
        print(f"--jobs 2, {s:8s}: {best[s]:.1f} s ({best[s] / n:.2f} s/submission, {cpu[s]:.1f} s CPU): "
              f"speed-up {results['speedup_jobs2'][s]:.2f} over --jobs 1 (target >= 1.6)")
    print(f"fastest with --jobs 2: {results['fastest_jobs2']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
