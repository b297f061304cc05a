"""One verification run as a process: the harness (harness.py and its siblings) copied into a fresh folder, started
in the sandbox (or as an unprivileged uid, or plainly), fed its calls on stdin and read as it streams, stopped when
a call or the whole run is too slow, or once no call left can change a verdict. verify.py decides what to run and
judges what comes back.
"""
from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from course_utils.grading import bytecode, harness, harness_codec, harness_providers, sandbox

HARNESS = tuple(Path(m.__file__).resolve() for m in (harness, harness_codec, harness_providers))  #: copied to each run
# the supervisor uses the standard library only (the worker it starts is a Python of its own, with site-packages):
# without the site module it starts on about 10 ms less CPU, in each of a class's thousands of verification runs
SUPERVISOR_FLAGS = ("-S",)
MAX_OUTPUT = 160 * 2 ** 20  # bytes read back from one verification run (each line at most harness.MAX_LINE)


def _mode(sandboxed):
    """How a verification run starts: "bwrap" (sandboxed), else "uids" (no namespaces, as an unprivileged uid:
    the grader is root) or "plain" (the grader's own rights). sandboxed may name the mode itself."""
    if isinstance(sandboxed, str):
        return sandboxed
    if sandboxed:
        return "bwrap"
    return "uids" if sandbox.uids_possible()[0] else "plain"


def run_harness(request, workdir, uid, sandboxed, modules, timeout, call_timeout, enough=None):
    """Run the harness once; returns (events, problem) -- problem is "" or why the run ended early.

    enough -- see stream: the run ends as soon as it says the remaining calls cannot change a verdict."""
    mode = _mode(sandboxed)
    bytecode.ensure()  # the bytecode copied and bound below
    folder = Path(tempfile.mkdtemp(prefix="verify-", dir=workdir))
    # the calls and a per-run token go to the harness's supervisor on its stdin: in no file the worker could read
    token = secrets.token_hex(16)
    order = json.dumps({"token": token, "calls": request["calls"]}).encode("utf-8")
    (folder / "request.json").write_text(json.dumps({k: v for k, v in request.items() if k != "calls"}),
                                         encoding="utf-8")
    for path in HARNESS:  # harness.py imports its siblings from its own folder (/verify in the sandbox)
        shutil.copy2(path, folder / path.name)  # the same modification time: their bytecode holds for the copies
    _copy_bytecode(bytecode.cached([p.relative_to(sandbox.PACKAGE).as_posix() for p in HARNESS[1:]]), folder)
    os.chmod(folder, 0o755)
    for f in folder.iterdir():
        os.chmod(f, 0o755 if f.is_dir() else 0o644)
    if mode == "bwrap":
        argv = sandbox.command([sys.executable, *SUPERVISOR_FLAGS, "/verify/harness.py", "/verify/request.json"],
                               uid=uid, package=list(modules), ro=[(str(folder), "/verify")], as_pid_1=True)
        env = None
    else:  # no namespaces: at least the package holds only the allowed modules
        package = folder / "lib" / "course_utils"
        package.mkdir(parents=True)
        for name in modules:
            shutil.copy2(sandbox.PACKAGE / name, package / name)
        _copy_bytecode(bytecode.cached(modules), package)
        for entry in [folder / "lib", package, *package.iterdir()]:
            os.chmod(entry, 0o755 if entry.is_dir() else 0o644)
        if mode == "uids":  # as an unprivileged uid with an empty environment and a home of its own
            home = folder / "home"
            home.mkdir()
            os.chown(home, uid, uid)
            os.chmod(home, 0o700)
            argv = sandbox.uid_command([sys.executable, *SUPERVISOR_FLAGS, str(folder / "harness.py"),
                                        str(folder / "request.json")],
                                       uid=uid, cwd=folder, env={"PYTHONPATH": str(folder / "lib"), "HOME": str(home),
                                                                "TMPDIR": str(home), "MPLBACKEND": "agg"})
            env = None
        else:
            argv = [sys.executable, *SUPERVISOR_FLAGS, str(folder / "harness.py"), str(folder / "request.json")]
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "JPY"))}
            env.update(PYTHONPATH=str(folder / "lib"), OPENBLAS_NUM_THREADS="1", MPLBACKEND="agg")
    by_uid = os.geteuid() == 0 and mode != "plain"  # whatever it started, however detached, ends with it

    def stop():
        if by_uid:
            sandbox.kill_uids([uid])
    try:
        events, problem = stream(argv, folder, env, timeout, call_timeout, order=order, token=token, stop=stop,
                                  enough=enough)
    finally:
        stop()
    shutil.rmtree(folder, ignore_errors=True)
    return events, problem


def _copy_bytecode(files, folder):
    """Copy bytecode files (bytecode.cached) into folder/__pycache__, for module copies in folder."""
    if files:
        (folder / "__pycache__").mkdir(exist_ok=True)
        for pyc in files:
            shutil.copy2(pyc, folder / "__pycache__" / pyc.name)
            os.chmod(folder / "__pycache__" / pyc.name, 0o644)


def _exited(pid, patience):
    """Wait up to patience seconds for the child pid to exit, without reaping it; True when it has."""
    end = time.monotonic() + patience
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.01)


def stream(argv, cwd, env, timeout, call_timeout, order=b"", token="", stop=None, enough=None):
    """Run the harness, reading its events as they come; stop it when a call or the whole run is too slow.

    order -- the bytes for the harness's stdin (token and calls); token -- the run's token: only lines that start
    with it are the supervisor's (harness.py), anything else is dropped. Bounded whatever the harness writes: a
    line of at most harness.MAX_LINE bytes, MAX_OUTPUT bytes in all, and deadlines that are absolute (the run's,
    fixed at its start; a call's, from the supervisor's one start event per call), checked on every line.
    enough -- enough(event) -> True when no later call can change a verdict (the calls still to come are those of
    exercises that already failed): the run is stopped there and counts as done (problem "").
    """
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.PIPE,
                            cwd=str(cwd), env=env, start_new_session=True)
    prefix = token.encode("ascii") + b" "
    lines = queue.Queue()

    def write():
        try:
            proc.stdin.write(order)
            proc.stdin.close()
        except (OSError, ValueError):  # the harness is gone (or was stopped): nothing to tell it
            pass

    def read():
        total = 0
        while True:
            line = proc.stdout.readline(harness.MAX_LINE + len(prefix) + 1)
            total += len(line)
            if not line or total > MAX_OUTPUT:
                break
            if line.startswith(prefix) and line.endswith(b"\n"):
                lines.put(line[len(prefix):])
        lines.put(None)
    threading.Thread(target=write, daemon=True).start()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    events, problem, ended = [], "", False
    deadline = time.monotonic() + timeout
    call_deadline, last_start = None, -1
    while True:
        limit = deadline if call_deadline is None else min(deadline, call_deadline)
        left = limit - time.monotonic()  # checked before every line: lines that keep coming never extend it
        try:
            if left <= 0:
                raise queue.Empty
            line = lines.get(timeout=left)
        except queue.Empty:
            slow = call_deadline is not None and call_deadline <= deadline
            problem = (f"a call ran longer than {call_timeout:g} s and was stopped" if slow
                       else f"the verification run took longer than {timeout:g} s and was stopped")
            break
        if line is None:
            break
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(event, dict):
            continue
        if "start" in event:
            if not (isinstance(event["start"], int) and event["start"] > last_start):
                continue  # one start per call, in order: a start never moves a deadline back
            last_start = event["start"]
            call_deadline = time.monotonic() + call_timeout
        elif "call" in event:
            if event["call"] != last_start:
                continue
            call_deadline = None
        events.append(event)
        if "fault" in event:
            problem = str(event["fault"])[:300]
        elif enough is not None and enough(event):
            ended = True  # nothing still to come can change a verdict: stopped like a run that is done
            break
    if not problem and not ended:  # it ended by itself: let it exit (unreaped, so its pid still names its group)
        _exited(proc.pid, 2.0)
    try:
        os.killpg(proc.pid, 9)  # the sandbox's PID namespace dies with it; unsandboxed, the worker too
    except (ProcessLookupError, PermissionError):
        pass
    if stop is not None:  # and everything else of the run's uid, before the pipe is closed (its writer must be gone)
        stop()
    proc.wait()
    proc.stdout.close()
    if ended:
        return events, ""
    if not problem and proc.returncode != 0:
        problem = f"the verification run ended with exit status {proc.returncode}"
    elif not problem and not any(e.get("done") is True for e in events):
        problem = "the verification run ended before it was done (the exercise's code exited?)"
    return events, problem


