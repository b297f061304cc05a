"""The command line: ``python -m course_utils.grade SUBMISSION... [options]`` (see main's --help)."""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import tempfile
from pathlib import Path

from course_utils.grading import DEFAULT_TIMEOUT, grade, run
from course_utils.grading.mistakes import write_report as write_mistake_report
from course_utils.grading.release import DEFAULT_RELEASE, UsageError, load_release
from course_utils.grading.roster import load_roster
from course_utils.grading.submissions import find_submissions

EPILOG = """\
outputs for a class:
  --csv FILE               one row per student: student, points per notebook, total, max (for an LMS);
                           with --roster FILE: one row per roster student, keyed by the LMS id, as the LMS imports
  --feedback DIR           one HTML page per student plus index.html, to hand back
  --report DIR             the class mistake report: report.html, mistakes.csv, students.csv (which mistakes the
                           class made, exercise by exercise; course_utils/grading/mistakes.py)
  --fail-under POINTS      exit 1 when a student's total is below POINTS (after writing everything)
outputs for one student (a platform grading each submission on its own; exactly one student):
  --gradescope-results FILE    Gradescope's results.json, e.g. /autograder/results/results.json
  --classroom-results FILE     GitHub Classroom's runner result; with --classroom-encoding base64 the text
                               for the reporter's <RUNNER-ID>_RESULTS variable:
      python -m course_utils.grade . --release REL --classroom-results /tmp/r.b64 --classroom-encoding base64
      echo "result=$(cat /tmp/r.b64)" >> "$GITHUB_OUTPUT"
    then classroom-resources/autograding-grading-reporter with runners: <step id> and
    env <STEP ID>_RESULTS: ${{ steps.<step id>.outputs.result }}
exit status: 0 graded, 1 graded but a total is below --fail-under, 2 usage error
"""


def _inside(path, folder):
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _check_output(flag, target, release, submitted, folder=False):
    """Refuse an output path before grading: a folder where a file is wanted, a missing parent folder,
    or a place inside the release or a submission."""
    if folder:
        if target.exists() and not target.is_dir():
            raise UsageError(f"{flag}: {target} exists and is not a folder")
    elif target.is_dir():
        raise UsageError(f"{flag}: {target} is a folder; expected a file name")
    elif not target.parent.is_dir():
        raise UsageError(f"{flag}: the folder {target.parent} does not exist")
    for where in [release.path] + submitted:
        if _inside(target, where):
            raise UsageError(f"{flag}: {target} is inside {where}; the grader never writes into the release or a "
                             "submission -- choose a place elsewhere")


def _atomic(target, write):
    """write(temporary path) beside target, then rename it onto target: readers (Gradescope, an LMS import)
    see the old file or the whole new one, never a part; written once, by this process, after grading."""
    target = Path(target)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        write(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_folder(target, write):
    """write(temporary folder) beside target, then move each file it wrote into target (each atomically)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        made = write(tmp)
        target.mkdir(exist_ok=True)
        mask = os.umask(0)
        os.umask(mask)
        for entry in sorted(tmp.iterdir()):
            os.chmod(entry, 0o666 & ~mask)
            os.replace(entry, target / entry.name)
        return made
    finally:
        for entry in tmp.iterdir():
            entry.unlink()
        tmp.rmdir()


def _positive(flag, text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{flag}: expected a number > 0, got {text!r}")
    return value


def _fail_under(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"--fail-under POINTS: expected a number >= 0, got {text!r}")
    return value


def _load_class_key(path):
    try:
        from course_utils.grading import teammates
    except ImportError:
        raise UsageError("--class-key: this copy of the grader has no course_utils/grading/teammates.py (a student "
                         "release leaves it out); grade with the instructor's copy of the course") from None
    try:
        return teammates.load_key(path)
    except ValueError as error:
        raise UsageError(str(error)) from None


def main(argv=None):
    """Command line entry point. Returns the exit status: 0 when grading ran, 1 when it ran but a student's
    total is below --fail-under, 2 for usage errors (argparse exits)."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.grade", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Grade notebooks: exercise cells from the submission, everything else from the release; "
                    "each notebook runs under nbval in its own sandbox and is verified on fresh inputs.")
    parser.add_argument("submission", nargs="+", metavar="SUBMISSION",
                        help="a notebook, a folder of one student's notebooks, or a folder of student folders")
    parser.add_argument("--release", metavar="DIR", default=None,
                        help=f"the released notebooks (default: {DEFAULT_RELEASE})")
    parser.add_argument("--specs", metavar="FILE", action="append", default=None,
                        help="a .py file of verification specs for a release whose exercises name it (course.verify "
                             "= \"<file stem>:<name>\"); repeatable. Specs are never loaded from the release folder")
    parser.add_argument("--json", metavar="FILE", default=None, help="also write the results as JSON to FILE")
    parser.add_argument("--csv", metavar="FILE", default=None,
                        help="also write a gradebook CSV: student, one column per release notebook, total, max")
    parser.add_argument("--roster", metavar="FILE", default=None,
                        help="the class list (a CSV as Canvas, Moodle or Gradescope export it, or folder,id,name,"
                             "section): --csv is then keyed by the LMS id, and the output flags folders not on it, "
                             "students with no submission and notebook-06 ids that are not the student's own")
    parser.add_argument("--feedback", metavar="DIR", default=None,
                        help="also write one HTML feedback page per student and index.html into DIR")
    parser.add_argument("--report", metavar="DIR", default=None,
                        help="also write the class mistake report (report.html, mistakes.csv, students.csv) into DIR")
    parser.add_argument("--gradescope-results", metavar="FILE", default=None,
                        help="also write Gradescope's results.json for the one student graded")
    parser.add_argument("--classroom-results", metavar="FILE", default=None,
                        help="also write GitHub Classroom's runner result for the one student graded")
    parser.add_argument("--classroom-encoding", choices=("json", "base64"), default=None,
                        help="--classroom-results as JSON (default) or base64 of it, the form the reporter's "
                             "<RUNNER-ID>_RESULTS variable takes")
    parser.add_argument("--fail-under", metavar="POINTS", default=None,
                        help="exit with status 1 when any student's total is below POINTS (a number >= 0)")
    parser.add_argument("--class-key", metavar="FILE", default=None,
                        help="the class key the student release was built with (notebook 06's capstone codes are "
                             "checked with it; default: the public demo key of the course's own notebooks)")
    parser.add_argument("--jobs", metavar="N", default="1", help="notebooks graded at once (default 1)")
    parser.add_argument("--timeout", metavar="SECONDS", default=str(DEFAULT_TIMEOUT),
                        help=f"time limit per cell (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--time-budget", metavar="SECONDS", default=None,
                        help="wall-clock time for the whole grading (e.g. below a platform's time limit): what could "
                             "not be graded in it is reported as timed out (default: no limit but --timeout)")
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
    outputs = [(flag, value) for flag, value in (
        ("--json FILE", args.json), ("--csv FILE", args.csv), ("--gradescope-results FILE", args.gradescope_results),
        ("--classroom-results FILE", args.classroom_results)) if value]
    one_student = [flag.split()[0] for flag, value in outputs if flag.startswith(("--gradescope", "--classroom"))]
    try:
        fail_under = None if args.fail_under is None else _fail_under(args.fail_under)
        budget = None if args.time_budget is None else _positive("--time-budget SECONDS", args.time_budget)
        if args.classroom_encoding and not args.classroom_results:
            raise UsageError("--classroom-encoding: only with --classroom-results FILE")
        release = load_release(args.release, args.specs or ())
        roster = load_roster(args.roster) if args.roster else None
        class_key = _load_class_key(args.class_key) if args.class_key else None
        submitted = [Path(s) if Path(s).is_dir() else Path(s).parent for s in args.submission]
        seen = {}
        for flag, value in outputs:
            target = Path(value)
            _check_output(flag, target, release, submitted)
            key = target.resolve()
            if key in seen:
                raise UsageError(f"{flag}: {target} is also the file of {seen[key]}; choose another name")
            seen[key] = flag
        for flag, value in (("--feedback DIR", args.feedback), ("--report DIR", args.report)):
            if value:
                target = Path(value)
                _check_output(flag, target, release, submitted, folder=True)
                if target.resolve() in seen:
                    raise UsageError(f"{flag}: {target} is also the file of {seen[target.resolve()]}")
                seen[target.resolve()] = flag
        if one_student:
            students = find_submissions(args.submission, release)
            if len(students) != 1:
                raise UsageError(f"{' and '.join(one_student)}: for exactly one student; the submissions hold "
                                 f"{len(students)} ({', '.join(s.student for s in students[:5])}"
                                 f"{', ...' if len(students) > 5 else ''})")
        report = grade(args.submission, release=release, jobs=jobs, timeout=timeout, strategy=args.strategy,
                       require_sandbox=require, time_budget=budget, class_key=class_key)
    except UsageError as exc:
        parser.error(str(exc))
    if report.release_notebooks is None:
        report.release_notebooks = list(release.notebooks)
    report.roster = roster
    print(report.format_table())
    # every export is written once, now that grading is over (and everything student code started has been
    # killed), each to a temporary file renamed onto its name
    try:
        if args.json:
            _atomic(args.json, report.write_json)
            print(f"results written to {args.json}")
        if args.csv:
            _atomic(args.csv, report.write_csv)
            print(f"gradebook CSV written to {args.csv}")
        if args.feedback:
            pages = _atomic_folder(args.feedback, report.write_feedback)
            print(f"feedback pages written to {args.feedback} ({len(pages)} student(s); open index.html)")
        if args.report:
            _atomic_folder(args.report, lambda folder: write_mistake_report(report.records, folder))
            print(f"class mistake report written to {args.report} (open report.html)")
        if args.gradescope_results:
            _atomic(args.gradescope_results, report.write_gradescope_results)
            print(f"Gradescope results written to {args.gradescope_results}")
        if args.classroom_results:
            _atomic(args.classroom_results, lambda path: report.write_classroom_results(
                path, encoding=args.classroom_encoding or "json"))
            print(f"GitHub Classroom results ({args.classroom_encoding or 'json'}) written to {args.classroom_results}")
    except ValueError as exc:  # one-student outputs on a report of several (checked before grading too)
        parser.error(str(exc))
    if fail_under is not None:
        below = report.students_below(fail_under)
        if below:
            print(f"--fail-under {fail_under:g}: {len(below)} student(s) below: "
                  + ", ".join(f"{s} ({p}/{m})" for s, p, m in below), file=sys.stderr)
            return 1
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM (e.g. a platform's time limit): stop like Ctrl-C -- nbval runs stopped, student processes
    killed, nothing written."""


def _terminate(signum, frame):
    raise Terminated()


def run_main():
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except Terminated:
        print("grading stopped (SIGTERM); nothing was written", file=sys.stderr)
        sys.exit(143)
    except KeyboardInterrupt:
        print("grading interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)
