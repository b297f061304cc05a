"""Where student code runs: one bubblewrap sandbox per notebook run and per verification run.

Inside a sandbox a process sees only what the run needs, bound read-only: /usr, /etc, the Python
installation, the virtual environment and course_utils (for a verification run only the modules its
spec allows -- the others are absent from the file system). It runs as an unprivileged uid with no
capabilities and no new privileges, with no network, in its own PID, IPC and UTS namespaces (it can
neither see nor signal the grader, other kernels or other students), with limits on address space,
CPU time, processes, file size and open files (prlimit, per process) and -- where cgroups can be
created (root, cgroup v1) -- on the memory, CPU share and processes of the whole sandbox, and a
private writable /tmp (a size-limited tmpfs)
that is on no sys.path. Its working folder is read-only. It starts with an empty environment (only
what command() sets: no secret of the grader's reaches it) in a new session (it cannot type into the
grader's terminal). Everything in it is killed when its first
process ends (PID namespace) or the process that started it dies (--die-with-parent).

Without bubblewrap (a student's laptop) `available()` says why, and the grader runs unsandboxed and
says so; instructors pass --require-sandbox to refuse instead.
"""
from __future__ import annotations

import functools
import os
import shutil
import fcntl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # course_utils/
FIRST_UID = 61000  # sandboxes run as FIRST_UID + slot: one uid per concurrent sandbox, so --nproc is per sandbox


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


@functools.lru_cache(maxsize=None)
def available():
    """(True, "") when bubblewrap can start a sandbox here, else (False, why)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed"
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return False, f"{tool} (util-linux) is not installed"
    try:
        done = subprocess.run(command([sys.executable, "-c", "print(6 * 7)"], uid=FIRST_UID + 999),
                              capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"bubblewrap could not start ({exc})"
    if done.returncode != 0 or done.stdout.strip() != b"42":
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return False, "bubblewrap cannot create namespaces here" + (f" ({why[-1]})" if why else "")
    return True, ""


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


def _ancestors(path):
    out, p = [], Path(path).parent
    while str(p) != "/":
        out.append(str(p))
        p = p.parent
    return out[::-1]


def _system_binds():
    """Read-only binds every sandbox gets: the system, the Python installation and the environment."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            args += ["--ro-bind", str(target), f"/{link}"]
    return args


def _python_paths():
    """Folders the interpreter needs, outermost first, without ones nested in another (or in /usr)."""
    paths = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)})
    keep = []
    for p in paths:
        if p == "/usr" or p.startswith("/usr/"):
            continue
        if not any(p == k or p.startswith(k + "/") for k in keep):
            keep.append(p)
    return keep


def matplotlib_cache(folder):
    """Build matplotlib's font cache once in `folder` (a subprocess; ~1 s); returns the cache file or None.

    A sandbox starts with an empty /tmp, so matplotlib would rebuild this cache in every kernel and say
    so on stderr, which nbval compares; command(mpl_cache=...) binds this file in read-only instead.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    code = ("import matplotlib, matplotlib.font_manager as f, pathlib; "
            "print(pathlib.Path(matplotlib.get_cachedir()) / f'fontlist-v{f.FontManager.__version__}.json')")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, MPLCONFIGDIR=str(folder), MPLBACKEND="agg"))
    except (OSError, subprocess.SubprocessError):
        return None
    found = Path(done.stdout.strip()) if done.returncode == 0 else None
    if found is None or not found.is_file():
        return None
    os.chmod(folder, 0o755)
    os.chmod(found, 0o644)
    return found


def command(argv, *, uid, workdir=None, package="all", rw=(), ro=(), env=None, limits=LIMITS, mpl_cache=None):
    """The argv that runs `argv` in a new sandbox.

    uid -- the unprivileged uid it runs as (one per concurrent sandbox)
    workdir -- a host folder bound read-only at /notebook and made the working folder (default: /tmp)
    package -- "all" (course_utils as installed) or a list of module file names of course_utils to expose
        (e.g. ["__init__.py", "vectors.py"]); every other file of the package is absent
    rw -- host folders bound writable at the same path (e.g. a kernel's socket folder)
    ro -- (host path, sandbox path) pairs bound read-only
    env -- extra environment variables
    mpl_cache -- a matplotlib font cache file (matplotlib_cache) bound read-only into /tmp/matplotlib
    """
    args = ["bwrap", "--new-session", "--clearenv", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", *_system_binds(), "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.tmp_size), "--tmpfs", "/tmp"]
    made = {"/tmp"}
    wanted = [(p, p) for p in _python_paths()] + [(str(PACKAGE), str(PACKAGE))] + list(ro) + [(p, p) for p in rw]
    for _, inside in wanted:
        for folder in _ancestors(inside):
            if folder not in made and not folder.startswith("/usr"):
                made.add(folder)
                args += ["--perms", "0755", "--dir", folder]
    for p in _python_paths():
        args += ["--ro-bind", p, p]
    if package == "all":
        args += ["--ro-bind", str(PACKAGE), str(PACKAGE)]
    else:  # an empty package folder (hiding an installed copy too), then only the allowed modules
        args += ["--perms", "0755", "--size", str(2 ** 20), "--tmpfs", str(PACKAGE)]
        for name in package:
            args += ["--ro-bind", str(PACKAGE / name), str(PACKAGE / name)]
    for outside, inside in ro:
        args += ["--ro-bind", str(outside), str(inside)]
    for p in rw:
        args += ["--bind", str(p), str(p)]
    if mpl_cache is not None:
        args += ["--perms", "1777", "--dir", "/tmp/matplotlib",
                 "--ro-bind", str(mpl_cache), f"/tmp/matplotlib/{Path(mpl_cache).name}"]
    if workdir is not None:
        args += ["--ro-bind", str(workdir), "/notebook", "--chdir", "/notebook"]
    else:
        args += ["--chdir", "/tmp"]
    base_env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
                "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython",
                "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "JUPYTER_DATA_DIR": "/tmp/jupyter-data",
                "JUPYTER_CONFIG_DIR": "/tmp/jupyter-config", "PYTHONPATH": str(PACKAGE.parent),
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "PYTHONDONTWRITEBYTECODE": "1"}
    base_env.update(env or {})
    for key, value in base_env.items():
        args += ["--setenv", key, value]
    args += ["prlimit", f"--as={limits.address_space}", f"--cpu={limits.cpu_seconds}",
             f"--nproc={limits.processes}", f"--fsize={limits.file_size}", f"--nofile={limits.open_files}"]
    if cgroups_available():
        args = _cgroup_prefix(uid, limits) + args
    if os.geteuid() == 0:  # drop to an unprivileged uid: no capabilities, no way back
        args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
                 "--inh-caps=-all", "--bounding-set=-all"]
    else:  # unprivileged bwrap: a user namespace where the process is nobody
        at = args.index("bwrap") + 1
        args[at:at] = ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    return args + list(argv)


LEASE_DIR = Path(tempfile.gettempdir()) / "course-grader-uids"
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
