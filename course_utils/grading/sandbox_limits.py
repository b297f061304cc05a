"""What bounds the processes of student code, in a sandbox or without one: the unprivileged uids they run as
(FIRST_UID, setpriv), per-process resource limits (Limits, prlimit) and, where cgroups can be made, limits on all
processes of one uid together (cgroups). sandbox.py and sandbox_uids.py build their commands from these.
"""
from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # course_utils/
# sandboxes run as FIRST_UID + slot: one uid per concurrent sandbox, so --nproc is per sandbox. No account may
# use these 10,000 uids; GRADER_FIRST_UID moves them (e.g. a machine whose users have uids from 61000 on)
FIRST_UID = int(os.environ.get("GRADER_FIRST_UID") or 61000)
if not 1000 <= FIRST_UID <= 2 ** 31 - 20000:
    raise ValueError(f"GRADER_FIRST_UID={FIRST_UID}: expected a uid from 1000 on, with 20,000 free uids above it")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox (prlimit): bytes of address space, CPU seconds, processes, file bytes."""

    address_space: int = 4 * 2 ** 30  # per process (prlimit --as)
    memory: int = 4 * 2 ** 30  # all processes of the sandbox together (cgroup), where cgroups are available
    cpus: float = 1.0  # CPU share of the whole sandbox (cgroup quota), where cgroups are available
    cpu_seconds: int = 900
    processes: int = 256
    file_size: int = 64 * 2 ** 20
    open_files: int = 1024
    tmp_size: int = 256 * 2 ** 20


LIMITS = Limits()


CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_CONTROLLERS = ("memory", "cpu", "pids")
CGROUP_PREFIX = "course-grader-"


@functools.lru_cache(maxsize=None)
def cgroups_available():
    """True when this process may create cgroup v1 groups for memory, CPU and processes (root, writable)."""
    if os.geteuid() != 0:
        return False
    probe = f"{CGROUP_PREFIX}probe-{os.getpid()}"
    try:
        for controller in CGROUP_CONTROLLERS:
            folder = CGROUP_ROOT / controller / probe
            folder.mkdir(exist_ok=True)
            folder.rmdir()
        return True
    except OSError:
        return False


def _cgroup_prefix(uid, limits):
    """argv that puts itself into fresh cgroups for this uid (memory, CPU quota, processes), then execs the rest.

    Per-process limits (prlimit) cannot bound a sandbox's processes together: 256 processes of 4 GB, or
    256 spinning processes, would take the machine from every other sandbox and from the grader.
    """
    name = f"{CGROUP_PREFIX}{uid}"
    settings = {"memory": {"memory.limit_in_bytes": limits.memory},
                "cpu": {"cpu.cfs_period_us": 100_000, "cpu.cfs_quota_us": int(limits.cpus * 100_000)},
                "pids": {"pids.max": limits.processes}}
    script = []  # made by the launching shell itself, so that a concurrent remove_cgroups() cannot race it
    for controller in CGROUP_CONTROLLERS:
        folder = CGROUP_ROOT / controller / name
        script.append(f"mkdir -p {folder}")
        script += [f"echo {value} > {folder / key}" for key, value in settings[controller].items()]
        script.append(f"echo $$ > {folder / 'cgroup.procs'}")
    return ["/bin/sh", "-c", " && ".join(script) + ' && exec "$@"', "sh"]


def remove_cgroups(uids):
    """Remove the cgroups of these uids, waiting a little for a sandbox that is still being torn down."""
    if not cgroups_available():
        return
    folders = [CGROUP_ROOT / c / f"{CGROUP_PREFIX}{uid}" for uid in uids for c in CGROUP_CONTROLLERS]
    for _ in range(20):
        left = []
        for folder in folders:
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                left.append(folder)
        if not left:
            return
        folders = left
        time.sleep(0.1)


def _prlimit(limits):
    return ["prlimit", f"--as={limits.address_space}", f"--cpu={limits.cpu_seconds}", f"--nproc={limits.processes}",
            f"--fsize={limits.file_size}", f"--nofile={limits.open_files}"]


def _drop_to(uid):
    """setpriv argv that becomes uid (from root) without capabilities, groups or a way back."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all"]
