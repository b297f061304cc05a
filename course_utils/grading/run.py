"""Stage 4: the nbval run -- every merged notebook runs under pytest + nbval, its kernel in a sandbox.

pytest and nbval run in the grader's own (trusted) processes; only the kernel that executes the
notebook's cells starts in a fresh sandbox per notebook (nbval_plugin patches nbval's kernel start),
so the student's code never sees the merged notebook, its reference outputs or pytest's rootdir.
The plugin writes one row per cell as it comes; a kernel that dies is noticed at once and the rest
of that notebook runs again in a fresh kernel (and a fresh sandbox) with the culprit exercise
replaced by its stub, so later exercises get what their code earns.

Without namespaces (mode "uids": the grader is root but bubblewrap is missing or cannot start) each
kernel runs as its block's unprivileged uid instead (sandbox.uid_command), and whatever a notebook's
kernel left running is killed by uid before the next kernel of that uid starts. A deadline (the grading
time budget) cuts the cell running at it and skips the rest: those cells are marked "budget". The
kernels' socket files go below a short folder when the workdir's path is too long for them.

Parallel strategy (``jobs``): "split" (default) starts `jobs` pytest processes at once and deals the
merged notebooks out to them by size; "xdist" runs one pytest with ``-n jobs --dist loadscope``;
"process" one pytest per submission. See benchmarks/bench_grade.py for the measurements.
"""
from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.grading import nbval_plugin, sandbox

STRATEGIES = ("split", "xdist", "process")
MODES = ("bwrap", "uids", "plain")  # how student code runs: sandbox.py; "uids" and "plain" have no namespaces
BACKSTOP = 20.0  # seconds past the deadline before the controller stops an nbval run the plugin did not end
SOCKET_ROOM = len("/sockets/k12345678/kernel-12345")  # what goes below a socket folder's parent
DEFAULT_STRATEGY = "split"

_NO_RFC3987 = ('raise ImportError("left out by the course grader: jsonschema only uses it to check the '
               '\'iri\' format, and importing it costs a second in every pytest process")\n')


@dataclass
class Job:
    """One (student, release notebook) pair being graded: what was read, and what the runs found."""

    sub: object
    rnb: object
    file: Path | None
    problem: tuple | None = None  # (status, message) that decides every exercise of the notebook
    picks: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)  # exercise -> reasons from the tripwire scan
    notes: dict = field(default_factory=dict)  # exercise -> notes
    nb_notes: list = field(default_factory=list)
    stubbed: set = field(default_factory=set)
    results: dict = field(default_factory=dict)  # code cell index -> row dict (final)
    crashes: dict = field(default_factory=dict)  # code cell index -> "died" | "stopped"
    verdicts: dict = field(default_factory=dict)  # exercise -> verify.Verdict
    seconds: float = 0.0
    run_error: str = ""
    rows: dict = field(default_factory=dict)  # this run's rows: {code cell index: {"setup"/"call": row}}
    rows_error: str = ""

    def sources(self):
        return {name: (None if name in self.stubbed else pick.source) for name, pick in self.picks.items()}


def clean_env(workdir):
    """The environment of the nbval runs (pytest outside the sandbox)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k not in ("MPLBACKEND", "JPY_PARENT_PID")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # load only nbval (+ xdist): faster and reproducible
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    paths = [str(without_rfc3987(workdir)), str(sandbox.PACKAGE.parent), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def without_rfc3987(folder):
    """A folder (made in folder) to put first on PYTHONPATH: a pytest + nbval process started with it skips importing
    rfc3987_syntax (jsonschema, which nbformat imports, would spend about a second of CPU on it)."""
    shim = Path(folder) / "_grader_path"
    shim.mkdir(exist_ok=True)
    (shim / "rfc3987_syntax.py").write_text(_NO_RFC3987, encoding="utf-8")
    return shim


_RUNNING = set()  # pytest subprocesses still running, stopped if grading is interrupted


def _run_pytest(notebooks, workdir, results, jobs, timeout, cells, sandbox_spec, deadline=None):
    """Run one pytest subprocess over notebooks; returns ({file: {cell: {"setup"/"call": row}}}, error text).

    deadline -- time.time() by which the run must end: the plugin skips what it cannot start before it
    and cuts a running cell at it; the controller stops the process BACKSTOP seconds later."""
    log = results.with_suffix(".log")
    limit = 300 + cells * (timeout + 10)  # the controller's wall-clock backstop for the whole run
    if deadline is not None:
        limit = max(1.0, min(limit, deadline - time.time() + BACKSTOP))
    cmd = nbval_plugin.nbval_command(sys.executable, notebooks, workdir, results, timeout, jobs, sandbox_spec,
                                     deadline=deadline)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=clean_env(workdir), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        _RUNNING.add(proc)
        try:
            proc.wait(timeout=limit)
            error = ""
        except subprocess.TimeoutExpired:
            sandbox.stop_group(proc)  # sandboxed kernels die with their parent (--die-with-parent)
            error = f"the nbval run exceeded {limit:g} s and was stopped"
        finally:
            _RUNNING.discard(proc)
    if not results.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        return {}, error or ("nbval did not run: " + " | ".join(tail))
    by_file = {}
    for row in json.loads(results.read_text(encoding="utf-8")):
        by_file.setdefault(row["file"], {}).setdefault(row["cell"], {})[row["when"]] = row
    return by_file, error


def _groups(jobs_to_run, jobs, strategy):
    ncells = {id(j): len(j.rnb.code_ids) for j in jobs_to_run}
    if strategy == "xdist" or jobs == 1 and strategy == "split":
        return [jobs_to_run]
    if strategy == "process":  # one pytest process per submission
        by_student = {}
        for job in jobs_to_run:
            by_student.setdefault(id(job.sub), []).append(job)
        return list(by_student.values())
    shares = [[] for _ in range(min(jobs, len(jobs_to_run)))]
    weight = [0] * len(shares)
    for job in sorted(jobs_to_run, key=lambda j: -ncells[id(j)]):
        k = weight.index(min(weight))
        shares[k].append(job)
        weight[k] += ncells[id(job)]
    return shares


_MPL_CACHES = {}  # python executable -> matplotlib's font cache file, built once per grader process
_MPL_LOCK = threading.Lock()


def matplotlib_cache():
    """matplotlib's font cache for the kernels (sandbox.matplotlib_cache: a subprocess, about a second), built once per
    grader process in a folder of its own (0755, the file 0644, bound read-only into each sandbox) that is removed
    when the process exits; built again when it is gone. None when it cannot be built."""
    with _MPL_LOCK:
        found = _MPL_CACHES.get(sys.executable)
        if found is not None and found.is_file():
            return found
        folder = Path(tempfile.mkdtemp(prefix="grader-mpl-"))
        os.chmod(folder, 0o755)
        atexit.register(shutil.rmtree, folder, True)
        found = sandbox.matplotlib_cache(folder)
        if found is not None:
            _MPL_CACHES[sys.executable] = found
        return found


def socket_parent(workdir):
    """(folder, owned): where the kernels' socket folders go (folder/sockets/k*/kernel-N): the workdir when
    those paths fit the 107 bytes of a Unix socket path, else a short folder of its own (sandbox.short_folder;
    owned=True: remove it afterwards). RuntimeError when no place is short enough."""
    if len(str(Path(workdir).resolve()).encode()) + SOCKET_ROOM <= 100:
        return Path(workdir), False
    return sandbox.short_folder("grade-", SOCKET_ROOM), True


def run_all(jobs_to_run, workdir, release, jobs, timeout, strategy, tag, sandboxed, blocks, *, mode=None,
            deadline=None, sockets_at=None):
    """Write merged copies of jobs_to_run under workdir/tag and run nbval on them; fills job.rows.

    blocks -- the first uid of a leased block (sandbox.Lease) per concurrent pytest process: its kernels
    run as that uid (xdist worker k as uid + k).
    mode -- "bwrap" (a sandbox per kernel), "uids" (no namespaces: each kernel as the block's uid) or
    "plain" (nbval's own kernels, the grader's rights); default from sandboxed.
    deadline -- time.time() by which the nbval runs must end (None: no limit but the per-cell timeout).
    sockets_at -- the parent of the kernels' socket folder (socket_parent; default workdir)."""
    mode = mode or ("bwrap" if sandboxed else "plain")
    base = workdir / tag
    support = workdir / "support"  # the release's check modules: the kernels' read-only working folder
    if not support.exists():
        support.mkdir(parents=True)
        for entry in release.support:
            shutil.copy2(entry, support / entry.name)
        for entry in [support, *support.iterdir()]:
            os.chmod(entry, 0o755 if entry.is_dir() else 0o644)
    paths, students = {}, {}
    for job in jobs_to_run:
        folder = base / f"s{students.setdefault(id(job.sub), len(students)):03d}"  # one folder per student
        folder.mkdir(parents=True, exist_ok=True)
        if mode == "plain":  # nbval's own kernels run in the notebook's folder: give them the check modules
            for entry in support.iterdir():
                if not (folder / entry.name).exists():
                    shutil.copy2(entry, folder / entry.name)
        path = folder / job.rnb.name
        path.write_text(json.dumps(job.rnb.merged(job.sources())), encoding="utf-8")
        paths[id(job)] = path
    groups = _groups(jobs_to_run, jobs, strategy)
    sockets = Path(sockets_at or workdir) / "sockets"
    sockets.mkdir(exist_ok=True)
    os.chmod(sockets, 0o755)
    mpl_cache = None
    if mode != "plain":
        found = matplotlib_cache()
        mpl_cache = str(found) if found is not None else None

    free = queue.Queue()
    for uid in blocks:
        free.put(uid)

    def run(n_group):
        n, group = n_group
        uid = free.get()
        try:
            spec = None
            if mode != "plain":
                spec = {"python": sys.executable, "uid": uid, "support": str(support), "sockets": str(sockets),
                        "mpl_cache": mpl_cache, "isolation": mode}
            return _run_pytest([paths[id(j)] for j in group], workdir, workdir / f"results-{tag}-{n}.json",
                               jobs if strategy == "xdist" else 1, timeout,
                               sum(len(j.rnb.code_ids) for j in group), spec, deadline)
        finally:
            free.put(uid)

    pool = ThreadPoolExecutor(max_workers=1 if strategy == "xdist" else jobs)
    try:
        outcomes = list(pool.map(run, enumerate(groups)))
    except BaseException:  # e.g. Ctrl-C: stop the runs, then let the threads finish
        for proc in list(_RUNNING):
            sandbox.stop_group(proc)  # sandboxed kernels die with their parent (--die-with-parent)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for group, (by_file, error) in zip(groups, outcomes):
        for job in group:
            job.rows = by_file.get(str(paths[id(job)]), {})
            job.rows_error = error


def _row(cells, index):
    """Merge the setup and call rows of one cell into one dict (ran=False when nbval never got to it)."""
    rows = cells.get(index, {})
    setup, call = rows.get("setup"), rows.get("call")
    if setup and not setup.get("ok"):
        return dict(setup, ran=True)
    if call:
        return dict(call, ran=True, duration=call.get("duration", 0) + (setup or {}).get("duration", 0))
    return {"ok": False, "ran": False, "alive": True}


def absorb(job, start, out_of_time=False):
    """Take this run's rows for code cells >= start; return the crash cell index (or None).

    out_of_time -- the grading time budget has run out: cells that did not run are marked "budget"."""
    rows, crash = job.rows, None
    job.seconds += sum(r.get("duration", 0.0) for cell in rows.values() for r in cell.values())
    for i in range(start, len(job.rnb.code_ids)):
        row = _row(rows, i)
        if out_of_time and not row.get("ran"):
            row["budget"] = True
        job.results[i] = row
        if crash is None and row.get("ran") and not row.get("alive", True) and not row.get("dead_at_start"):
            crash = i
            job.crashes[i] = "stopped" if row.get("timeout") else "died"
        elif crash is None and row.get("dead_at_start") and i - 1 >= start:
            crash = i - 1  # the kernel died after the previous cell had replied
            job.crashes[i - 1] = "died"
    return crash


def culprits(job, crash):
    """Exercises to replace by their stub after the kernel died at code cell `crash`."""
    role, name = job.rnb.roles[job.rnb.code_ids[crash]]
    if role in ("exercise", "check"):
        return {name} - job.stubbed
    return {n for n, ex in job.rnb.exercises.items()  # a demo cell died: every student cell before it is suspect
            if job.rnb.code_index(ex.cell_id) < crash and job.picks[n].source is not None} - job.stubbed


def _out_of_budget(job, start):
    """Mark code cells >= start of a job (still to run, or to run again) as cut off by the time budget."""
    for i in range(start, len(job.rnb.code_ids)):
        job.results[i] = {"ok": False, "ran": False, "alive": True, "budget": True}


def run_notebooks(pending, workdir, release, jobs, timeout, strategy, sandboxed, blocks, *, mode=None,
                  deadline=None):
    """Run nbval on every job, re-running after kernel crashes; fills job.results / crashes / run_error.

    mode -- see run_all; deadline -- time.time() by which every nbval run must have ended: cells that
    could not run before it are marked "budget" (the judge calls them timed out)."""
    (workdir / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
    starts = {id(j): 0 for j in pending}
    lost_once, restarted = set(), set()
    sockets_at, owned = socket_parent(workdir)
    try:
        _run_attempts(pending, workdir, release, jobs, timeout, strategy, sandboxed, blocks, mode, deadline,
                      sockets_at, starts, lost_once, restarted)
    finally:
        if owned:
            shutil.rmtree(sockets_at, ignore_errors=True)


def _run_attempts(pending, workdir, release, jobs, timeout, strategy, sandboxed, blocks, mode, deadline, sockets_at,
                  starts, lost_once, restarted):
    for attempt in range(2 + max((len(j.rnb.exercises) for j in pending), default=0)):
        if not pending:
            break
        if deadline is not None and time.time() >= deadline:
            for job in pending:
                _out_of_budget(job, starts[id(job)])
            return
        run_all(pending, workdir, release, jobs, timeout, strategy, f"run{attempt}", sandboxed, blocks, mode=mode,
                deadline=deadline, sockets_at=sockets_at)
        out_of_time = deadline is not None and time.time() >= deadline
        again = []
        for job in pending:
            job.run_error = job.rows_error
            if not job.rows and job.rows_error and id(job) not in lost_once and not out_of_time:
                lost_once.add(id(job))  # its pytest process was lost before reaching it: once more
                again.append(job)
                continue
            crash = absorb(job, starts[id(job)], out_of_time)
            if crash is None and job.results.get(starts[id(job)], {}).get("dead_at_start") and id(job) not in restarted \
                    and not out_of_time:
                restarted.add(id(job))  # its kernel never came up (nothing of the student's ran yet): once more
                again.append(job)
                continue
            if crash is None:
                continue
            found = culprits(job, crash)
            if found and crash + 1 < len(job.rnb.code_ids):
                job.stubbed |= found
                starts[id(job)] = crash + 1
                again.append(job)
        pending = again


def new_workdir(workdir=None):
    """(folder, owned): a fresh temporary folder for the run, or the given one."""
    if workdir is None:
        folder = Path(tempfile.mkdtemp(prefix="grade-"))
        os.chmod(folder, 0o755)
        return folder, True
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder, False
