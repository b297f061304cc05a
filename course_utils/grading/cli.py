"""The command line: ``python -m course_utils.grade SUBMISSION... [options]`` (see main's --help)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course_utils.grading import DEFAULT_TIMEOUT, grade, run
from course_utils.grading.release import DEFAULT_RELEASE, UsageError, load_release


def _inside(path, folder):
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def main(argv=None):
    """Command line entry point. Returns the exit status: 0 when grading ran, 2 for usage errors."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.grade",
        description="Grade notebooks: exercise cells from the submission, everything else from the release; "
                    "each notebook runs under nbval in its own sandbox and is verified on fresh inputs.")
    parser.add_argument("submission", nargs="+", metavar="SUBMISSION",
                        help="a notebook, a folder of one student's notebooks, or a folder of student folders")
    parser.add_argument("--release", metavar="DIR", default=None,
                        help=f"the released notebooks (default: {DEFAULT_RELEASE})")
    parser.add_argument("--json", metavar="FILE", default=None, help="also write the results as JSON to FILE")
    parser.add_argument("--jobs", metavar="N", default="1", help="notebooks graded at once (default 1)")
    parser.add_argument("--timeout", metavar="SECONDS", default=str(DEFAULT_TIMEOUT),
                        help=f"time limit per cell (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--strategy", choices=run.STRATEGIES, default=run.DEFAULT_STRATEGY,
                        help="how --jobs runs in parallel (default split; see course_utils/grading/run.py)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--require-sandbox", action="store_true",
                      help="refuse to grade without bubblewrap (instructors grading a class)")
    mode.add_argument("--no-sandbox", action="store_true",
                      help="run student code unsandboxed even where bubblewrap works (measurements, debugging)")
    args = parser.parse_args(argv)
    try:
        jobs = int(args.jobs)
    except ValueError:
        parser.error(f"--jobs N: expected a whole number >= 1, got {args.jobs!r}")
    try:
        timeout = float(args.timeout)
    except ValueError:
        parser.error(f"--timeout SECONDS: expected a number > 0, got {args.timeout!r}")
    require = True if args.require_sandbox else (False if args.no_sandbox else None)
    try:
        release = load_release(args.release)
        if args.json:
            target = Path(args.json)
            if target.is_dir():
                raise UsageError(f"--json FILE: {target} is a folder; expected a file name")
            submitted = [Path(s) if Path(s).is_dir() else Path(s).parent for s in args.submission]
            for folder in [release.path] + submitted:
                if _inside(target, folder):
                    raise UsageError(f"--json FILE: {target} is inside {folder}; the grader never writes into "
                                     "the release or a submission -- choose a file elsewhere")
        report = grade(args.submission, release=release, jobs=jobs, timeout=timeout, strategy=args.strategy,
                       require_sandbox=require)
    except UsageError as exc:
        parser.error(str(exc))
    print(report.format_table())
    if args.json:
        report.write_json(args.json)
        print(f"results written to {args.json}")
    return 0


def run_main():
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("grading interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)
