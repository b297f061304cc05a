"""Student code without namespaces (no sandbox) and the uids of a grading run.

uids_possible / uid_command -- run student code as an unprivileged uid of its own, from root, when bubblewrap
cannot start (see sandbox.py's docstring for what that does and does not protect);
kill_uids -- end everything such uids started, however it detached;
stop_group -- end a child process started in a session of its own, everything in its process group, and its pipes;
Lease / kill_unleased -- blocks of uids held machine-wide by one grading run, and ending what runs as a uid
whose lease nobody holds any more.
"""
from __future__ import annotations

import fcntl
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_utils.grading.sandbox_limits import (
    FIRST_UID,
    LIMITS,
    PACKAGE,
    _cgroup_prefix,
    _drop_to,
    _prlimit,
    cgroups_available,
    remove_cgroups,
)


@functools.lru_cache(maxsize=None)
def _uids_possible(euid, python):
    if euid != 0:
        return False, "the grader does not run as root, so student code runs with the grader's own rights"
    for tool in ("setpriv", "prlimit", "env"):
        if shutil.which(tool) is None:
            return False, f"{tool} is not installed"
    probe = _drop_to(FIRST_UID + 998) + ["env", "-i", "-C", "/", f"PYTHONPATH={PACKAGE.parent}", python, "-c",
                                          "import numpy, ipykernel, course_utils.grading.harness"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"setpriv could not run ({exc})"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        if "-C" in last or "invalid option" in last or "unrecognized option" in last:
            return False, "env(1) has no -C (coreutils 8.28 or later is needed)"
        return False, (f"an unprivileged uid cannot run {python} with the course's packages ({last}): install "
                       "Python, the virtual environment and the course where every user may read them (not under "
                       "a private home such as /root)")
    return True, ""


def uids_possible():
    """(True, "") when student code can run as unprivileged uids without namespaces (uid_command): the grader
    is root, setpriv, prlimit and env -C are there, and such a uid can run this Python with the course's
    packages. Else (False, why)."""
    return _uids_possible(os.geteuid(), sys.executable)


def uid_command(argv, *, uid, cwd, env=None, limits=LIMITS):
    """The argv that runs `argv` WITHOUT namespaces (no sandbox) as the unprivileged uid, from root.

    It gets the resource limits (prlimit; and cgroups where they can be made), no capabilities, no
    groups, no new privileges, an empty environment but `env` (HOME and the like must point into a
    folder that uid may write), and the working folder cwd. It sees the machine's files as that uid does
    and the network; it cannot write the grader's files nor signal its processes, and kill_uids(uid)
    ends everything it starts. The caller starts it in a new session.
    """
    base = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1"}
    base.update(env or {})
    args = _drop_to(uid) + _prlimit(limits) + ["env", "-i", "-C", str(cwd)] + [f"{k}={v}" for k, v in base.items()]
    for at, tool in enumerate(args):  # found now, by root: the uid may not be able to search the grader's PATH
        if tool in ("setpriv", "prlimit", "env"):
            args[at] = os.path.realpath(shutil.which(tool) or tool)
    if cgroups_available():
        args = _cgroup_prefix(uid, limits) + args
    return args + list(argv)


def _processes_of(uids):
    """{pid: uid} of the live processes whose real or effective uid is in uids (zombies left out).

    Read from /proc/PID/status, whose lines a process cannot forge: its name is the only text it sets there, the
    kernel escapes a newline in it, and the State and Uid lines come after it (the last of each is read)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as handle:
                text = handle.read()
        except OSError:
            continue
        state, uid = text.rfind(b"\nState:"), text.rfind(b"\nUid:")
        if uid < 0 or (state >= 0 and text[state + 7:state + 12].lstrip().startswith(b"Z")):
            continue
        ids = [int(x) for x in text[uid + 5:text.find(b"\n", uid + 5)].split()[:2]]
        hit = next((u for u in ids if u in uids), None)
        if hit is not None:
            found[int(entry)] = hit
    return found


def kill_uids(uids, patience=10.0):
    """SIGKILL every process running as one of uids (a grading run's sandbox uids), until none is left.

    This ends what student code started however it detached (fork, setsid, double fork), with or
    without a sandbox: processes cannot change their uid back. Returns the pids still alive after
    `patience` seconds (none, in practice). Only root (or the uid itself) may signal them."""
    uids = set(uids)
    deadline = time.monotonic() + patience
    while True:
        alive = _processes_of(uids)
        if not alive:
            return []
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if time.monotonic() > deadline:
            return sorted(_processes_of(uids))
        time.sleep(0.01)


def stop_group(proc):
    """SIGKILL the process group of proc (a Popen started with start_new_session: it and all it started), reap proc
    and close the pipes it was given. A group already gone, or one this process may not signal, is left as it is."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass


LEASE_DIR = Path("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()) / "course-grader-uids"  # machine-wide
LEASE_FIRST = FIRST_UID + 1000  # below it: uids for the tests and available()
LEASE_SIZE, LEASES = 10, 900


class Lease:
    """A block of LEASE_SIZE uids held by this process, machine-wide, until release() (or its death).

    Every sandbox of a grading run gets its uids from a lease, so two grading runs on one machine (two
    classes at once, two test sessions) never share a uid -- and with it the per-uid process limit and
    the uid's cgroups.
    """

    def __init__(self, first=LEASE_FIRST):
        LEASE_DIR.mkdir(mode=0o700, exist_ok=True)
        for k in range(LEASES):
            uid = first + k * LEASE_SIZE
            fd = os.open(LEASE_DIR / f"{uid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise RuntimeError(f"all {LEASES} uid leases in {LEASE_DIR} are held")

    def uids(self):
        return range(self.uid, self.uid + LEASE_SIZE)

    def release(self):
        """Remove this lease's cgroups (once its sandboxes are gone) and give the uids back."""
        if self._fd is None:
            return
        remove_cgroups(self.uids())
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def kill_unleased(first=LEASE_FIRST):
    """SIGKILL whatever runs as a leased uid whose lease no process holds (root only): what student code left
    behind when its grading run ended or was killed, however it detached. Uids of a lease still held -- another
    grading run on this machine, a concurrent test -- are left alone. Returns the pids still alive."""
    if not LEASE_DIR.is_dir():
        return []
    held, uids = [], []
    try:
        for k in range(LEASES):
            uid = first + k * LEASE_SIZE
            try:
                fd = os.open(LEASE_DIR / f"{uid}.lock", os.O_RDWR)
            except FileNotFoundError:
                continue  # never leased since the folder was made
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue  # a live grading run's: not ours to end
            held.append(fd)
            uids += range(uid, uid + LEASE_SIZE)
        return kill_uids(uids) if uids else []
    finally:
        for fd in held:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
