"""The grader: ``python -m course_utils.grade SUBMISSION...`` or ``grade(submissions, ...) -> Report``.

One module per stage, in the order grade() runs them:

    release.py      the release notebooks, parsed once (cells.py: the cell contract they follow)
    submissions.py  intake: find each student's notebooks, read them safely, pick the exercise cells
    scan.py         a static tripwire that flags exercise cells for review (scan_process.py: the parser
                    process that scans a submitted cell; copies.py: cells that paste the course's own code)
    sandbox.py      bubblewrap sandboxes: what student code can see and do (sandbox_limits.py: resource
                    limits and uids; sandbox_uids.py: without namespaces, killing a run's uids, uid leases)
    run.py          the nbval run of each merged notebook, its kernel sandboxed (nbval_plugin.py)
    verify.py       the verification run: the student's functions on fresh inputs, judged here
                    (harness.py runs inside the sandbox, with harness_codec.py and harness_providers.py;
                    verify_specs.py: what a spec is and how it is loaded; specs/ holds the course's specs)
    judge.py        one Record per exercise from both runs
    report.py       the Report (statuses.py: what each status means); formats/ its forms: JSON, the console
                    table, the gradebook CSV, feedback pages, Gradescope's and GitHub Classroom's results
    cli.py          the command line
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course_utils.grading import judge, run, sandbox, verify
from course_utils.grading.release import (
    DEFAULT_RELEASE,
    Release,
    UsageError,
    load_release,
    parse_release_notebook,
    pristine_text,
)
from course_utils.grading.report import STATUSES, Record, Report
from course_utils.grading.scan_process import scan_untrusted
from course_utils.grading.submissions import (
    Pick,
    added_code_cells,
    find_submissions,
    pick_exercise_cells,
    read_notebook,
)

DEFAULT_TIMEOUT = 60.0
MAX_CELL_CHARS = 100_000  # an exercise cell of the course is < 5,000; scanning costs ~0.5 s per 100,000

__all__ = ["grade", "Report", "Record", "UsageError", "load_release", "DEFAULT_RELEASE", "DEFAULT_TIMEOUT",
           "STATUSES", "run"]


def prepare(sub, rnb, file, release):
    """Read one submitted notebook, pick its exercise cells and scan them. Returns a run.Job; never raises."""
    job = run.Job(sub, rnb, file if isinstance(file, Path) else None)
    if sub.problem:
        job.problem = ("error", sub.problem)
        return job
    if file is None:
        job.problem = ("missing", f"notebook {rnb.name} is not in the submission ({sub.path.name}/)")
        return job
    if isinstance(file, list):
        job.problem = ("flagged", f"{len(file)} files could be {rnb.name} ({', '.join(p.name for p in file)}); "
                                  "took none -- rename the one to grade")
        return job
    try:
        own = release.path / rnb.name
        if own.exists() and not file.is_symlink() and os.path.samefile(file, own):
            # a student checking the course's notebooks/ in place: compare with the committed release
            text = pristine_text(own)
            if text is None:
                job.nb_notes.append("this file is the release notebook itself and no pristine copy (git HEAD) was "
                                    "found: reference outputs come from your own file")
            else:
                try:
                    job.rnb = rnb = parse_release_notebook(rnb.name, text, f"git HEAD:{rnb.name}")
                except UsageError:
                    job.nb_notes.append("the committed release notebook could not be read; graded against the file")
        data, problem = read_notebook(file)
        if problem:
            job.problem = ("error", problem)
            return job
        job.picks = pick_exercise_cells(data, rnb)
        for name, pick in list(job.picks.items()):
            if pick.source is not None and len(pick.source) > MAX_CELL_CHARS:
                job.picks[name] = Pick(None, "error", f"exercise cell {rnb.exercises[name].cell_id!r} holds "
                                                      f"{len(pick.source)} characters; the limit is {MAX_CELL_CHARS}")
            elif pick.source is not None:
                job.flags[name] = scan_untrusted(pick.source, rnb.module_aliases,  # parsed in a child, time-limited
                                                 exercise=name)
                job.notes[name] = (["exercise cell found by its tag (its id was missing or changed)"]
                                   if pick.how == "tag" else [])
        added = added_code_cells(data, rnb)
        if added:
            job.nb_notes.append(f"{added} code cell(s) you added were not run: only exercise cells are graded")
    except Exception as exc:  # noqa: BLE001 -- RecursionError, MemoryError, ...: this notebook's error only
        job.problem = ("error", f"{rnb.name} could not be read ({type(exc).__name__}: {str(exc)[:200]})")
        job.picks = {}
    return job


def _verify_all(pending, workdir, release, jobs, timeout, sandboxed, uids, deadline=None):
    """Run the verification of every job (jobs at a time, each in a sandbox of its own uid); fills job.verdicts.

    Only exercises whose checks passed in the nbval run are called (no verdict can give the others points),
    and cells that hung there are left out; deadline -- time.time() by which verification must end."""
    free = queue.Queue()
    for uid in uids[:jobs]:
        free.put(uid)

    def one(job):
        sources = {n: p.source for n, p in job.picks.items() if p.source is not None}
        if not sources:
            return
        uid = free.get()
        try:
            status = {n: judge.nbval_status(job, job.rnb.exercises[n], timeout) for n in sources}
            job.verdicts = verify.verify_notebook(job.rnb, sources, release.specs, workdir, uid=uid,
                                                  sandboxed=sandboxed, timeout=timeout, deadline=deadline,
                                                  call=[n for n in sources if status[n] == "passed"],
                                                  skip_cells=[n for n in sources if status[n] == "timeout"])
        except Exception as exc:  # noqa: BLE001 -- never stop the batch; the exercises cannot be verified
            job.verdicts = {n: verify.Verdict(False, f"verification could not run ({type(exc).__name__}: {exc})")
                            for n in sources}
        finally:
            free.put(uid)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, pending))


UIDS_MEANING = ("no namespaces, so it could read this machine's files and reach its network, but it ran as "
                "unprivileged uids without capabilities, with resource limits, could not write the grader's files, "
                "the results or the release, and everything it started was killed before the results were written")


def sandbox_mode(require):
    """(sandboxed, description). require: True (refuse without bubblewrap), False (off), None (when possible).

    Without a sandbox, the description says "unsandboxed" and what that means here: as root the grader runs
    student code as unprivileged uids (sandbox.uid_command), else with the grader's own rights."""
    root = os.geteuid() == 0
    if require is False:
        uids, uids_why = sandbox.uids_possible()
        if uids:
            return False, f"off (asked for): student code ran unsandboxed: {UIDS_MEANING}"
        return False, "off (asked for): student code ran unsandboxed" + (
            f", AS ROOT ({uids_why}): it could have done anything root can, its grade included" if root else "")
    ok, why = sandbox.available()
    if ok:
        return True, f"bubblewrap: every notebook and verification run in its own sandbox ({sandbox.describe()})"
    if require:
        raise UsageError(f"--require-sandbox: {why}; install bubblewrap (Debian: apt-get install bubblewrap) "
                         "or grade without --require-sandbox (self-check only)")
    uids, uids_why = sandbox.uids_possible()
    if uids:
        return False, f"unsandboxed ({why}): {UIDS_MEANING}"
    if root:
        raise UsageError(f"no sandbox ({why}), and student code would run as root: {uids_why}. Grading refused; "
                         "--no-sandbox grades anyway (your own work only)")
    return False, (f"OFF ({why}): student code ran unsandboxed, with your user's rights -- fine for checking "
                   "your own work, not for grading others")


@contextlib.contextmanager
def _class_key(key):
    """Verification checks notebook 06's capstone codes with this class key (None: the public demo key)."""
    if key is None:
        yield
        return
    try:
        from course_utils.grading import teammates
    except ImportError:
        raise UsageError("--class-key: this copy of the grader has no course_utils/grading/teammates.py (a student "
                         "release leaves it out); grade with the instructor's copy of the course") from None
    teammates.set_class_key(key)
    try:
        yield
    finally:
        teammates.set_class_key(None)


FINGERPRINT_FILE = "capstone_key_fingerprint.txt"  #: in a class's release folder: which class key it was built with


def _check_class_key(rel, key):
    """Notebook 06's kernels open the teammates of the installed course_utils/capstone_teammates.py and the
    verification checks codes with `key` (None: the public demo key): both must be the class's, or every honest
    code would "open none" (0 points) -- or, under the demo key, a code anyone can make would pass. A class's
    release folder names its key (FINGERPRINT_FILE); UsageError when something disagrees."""
    if not any("student_id" in nb.exercises for nb in rel.notebooks.values()):
        return
    try:
        from course_utils.grading import teammates
    except ImportError:
        return  # a student release's grader: its specs say that the capstone is graded by the instructor
    from course_utils import capstone

    key = teammates.DEMO_KEY if key is None else key
    wanted = teammates.fingerprint(key)
    named = Path(rel.path) / FINGERPRINT_FILE
    if named.is_file() and named.read_text(encoding="utf-8").strip() != wanted:
        raise UsageError(f"--class-key: the release was built with another class key (its {FINGERPRINT_FILE} says "
                         f"{named.read_text(encoding='utf-8').strip()!r}, "
                         + ("no --class-key was given" if key == teammates.DEMO_KEY else f"this key's is {wanted!r}")
                         + "): pass the key the student release was built with")
    if capstone.KEY_FINGERPRINT != wanted:
        raise UsageError(f"--class-key: the installed {Path(capstone.__file__).with_name('capstone_teammates.py')} "
                         f"holds teammates sealed under another key ({capstone.KEY_FINGERPRINT!r}, the key's is "
                         f"{wanted!r}), so students' kernels here could not open their teammates. Seal it with the "
                         "class key: python -m course_utils.grading.teammates --reseal KEYFILE")


RUN_SHARE = 0.7  # of a time budget, what the nbval runs may use: the rest is kept for verifying what passed


def grade(submissions, release=None, jobs=1, timeout=DEFAULT_TIMEOUT, strategy=None, workdir=None,
          require_sandbox=None, specs=None, time_budget=None, class_key=None):
    """Grade submissions against a release: nbval run plus verification run per notebook.

    submissions -- a path or a list of paths: notebook files, student folders, or folders of them
    release -- the release folder or a Release (default: the course's notebooks/)
    jobs -- how many notebooks run at once (int >= 1); timeout -- seconds per cell (> 0)
    strategy -- "split" (default), "xdist" or "process" (see run.py)
    workdir -- keep the merged notebooks in this folder instead of a temporary one
    require_sandbox -- True: refuse without bubblewrap; False: never sandbox; None: sandbox when possible
    specs -- verification spec files named explicitly (--specs FILE) for a release whose specs are not the installed
        course_utils.grading.specs; nothing is loaded from the release folder or a submission
    time_budget -- seconds of wall-clock time for the whole grading (None: no limit but the per-cell timeout):
        the nbval runs may use RUN_SHARE of it, verification the rest; what is not done by then is "timeout"
    class_key -- the class key (bytes) the capstone codes of notebook 06 were issued with (None: the public demo key)
    Returns a Report (records in submission order). Raises UsageError for bad arguments.
    """
    start = time.perf_counter()
    if time_budget is not None and (isinstance(time_budget, bool) or not isinstance(time_budget, (int, float))
                                    or not time_budget > 0):
        raise UsageError(f"--time-budget SECONDS: expected a number > 0, got {time_budget!r}")
    deadline = None if time_budget is None else time.time() + time_budget
    run_deadline = None if time_budget is None else time.time() + RUN_SHARE * time_budget
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"--jobs N: expected a whole number >= 1, got {jobs!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise UsageError(f"--timeout SECONDS: expected a number > 0, got {timeout!r}")
    strategy = strategy or run.DEFAULT_STRATEGY
    if strategy not in run.STRATEGIES:
        raise UsageError(f"strategy: expected one of {', '.join(run.STRATEGIES)}, got {strategy!r}")
    rel = release if isinstance(release, Release) else load_release(release, specs)
    if specs and isinstance(release, Release):
        rel = dataclasses.replace(rel, specs=load_release(rel.path, specs).specs)
    _check_class_key(rel, class_key)
    sandboxed, sandbox_note = sandbox_mode(require_sandbox)
    mode = "bwrap" if sandboxed else ("uids" if sandbox.uids_possible()[0] else "plain")
    work_jobs = []
    found = find_submissions(submissions, rel)
    try:  # specs come from the installed package or a file named with --specs, never from the release folder
        verify.check_specs(rel, rel.specs)
    except LookupError as exc:
        raise UsageError(f"--release: {exc}") from None
    for sub in found:
        for name, rnb in rel.notebooks.items():
            if name in sub.files:  # a single file was named: grade only that notebook
                job = prepare(sub, rnb, sub.files[name], rel)
                if sub.extra and name == next(iter(sub.files)):
                    job.nb_notes.append("not graded (not release notebooks): " + ", ".join(p.name for p in sub.extra))
                work_jobs.append(job)
    folder, owned = run.new_workdir(workdir)
    leases = []
    try:
        pending = [j for j in work_jobs if j.problem is None]
        # uids of this run's sandboxes, held machine-wide: a block per concurrent nbval run (its kernels;
        # xdist workers add their number) and one uid per concurrent verification run
        leases = [sandbox.Lease() for _ in range(jobs + -(-jobs // sandbox.LEASE_SIZE))] if mode != "plain" else []
        blocks = [lease.uid for lease in leases[:jobs]] or [sandbox.LEASE_FIRST] * jobs
        verify_uids = [uid for lease in leases[jobs:] for uid in lease.uids()] or [sandbox.LEASE_FIRST] * jobs
        run.run_notebooks(pending, folder, rel, jobs, timeout, strategy, sandboxed, blocks, mode=mode,
                          deadline=run_deadline)
        with _class_key(class_key):
            _verify_all(pending, folder, rel, jobs, timeout, sandboxed, verify_uids, deadline)
    finally:
        if leases and os.geteuid() == 0:  # nothing student code started survives grading, however detached
            sandbox.kill_uids([uid for lease in leases for uid in lease.uids()])
        for lease in leases:
            lease.release()
        if owned:
            shutil.rmtree(folder, ignore_errors=True)
    records, notebooks = [], []
    for job in work_jobs:
        records += judge.records_for(job, timeout)
        notebooks.append({"student": job.sub.student, "notebook": job.rnb.name,
                          "submission": str(job.file or job.sub.path),
                          "status": job.problem[0] if job.problem else "graded",
                          "notes": judge.notebook_notes(job), "seconds": round(job.seconds, 3)})
    settings = {"jobs": jobs, "timeout": timeout, "strategy": strategy, "sandbox": sandbox_note,
                "sandboxed": sandboxed}
    if time_budget is not None:
        settings["time_budget"] = time_budget
    return Report(str(rel.path), records, notebooks, settings, time.perf_counter() - start,
                  release_notebooks=list(rel.notebooks))
