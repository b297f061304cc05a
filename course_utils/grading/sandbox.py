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

Every bubblewrap that Linux distributions ship works, from 0.4 (Debian 11) and 0.6.1 (Ubuntu 22.04, the
image Gradescope grades on) to current: `bwrap()` reads the options of the installed one from its --help,
and where one is missing the same limit is set another way (FALLBACKS): without --clearenv the
environment is emptied by env(1) before bwrap starts; without --size (0.7) or --perms (0.5) a first
step inside the sandbox, still privileged and before any student code, remounts /tmp with its size and
sets the modes itself (PRELUDE). When bubblewrap cannot start, `available()` says the true cause: not
installed, lacking an option, refused namespaces, or the message bwrap gave.

Without namespaces (no bubblewrap, or one that cannot start) there is no sandbox. When the grader is
root, student code still runs as an unprivileged uid of its own (`uid_command`: setpriv, prlimit, an
empty environment, cgroups where they can be made), so it cannot write the grader's files, the results
or the release, nor signal the grader, and `kill_uids` ends everything it started -- however detached --
before the grader writes its results. As an ordinary user the grader runs it with that user's rights
(a student checking their own work). Either way the grader says "unsandboxed" and what that means;
instructors pass --require-sandbox to refuse instead.

Here: bubblewrap (which one, whether it starts) and the sandbox's command. The limits and the uids a sandbox
runs as are in sandbox_limits.py; running without namespaces, killing a run's uids and leasing them in
sandbox_uids.py. Their names are imported here too: the grader uses them as sandbox.<name>.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course_utils.grading import bytecode
from course_utils.grading.sandbox_limits import (  # noqa: F401
    CGROUP_CONTROLLERS,
    CGROUP_PREFIX,
    CGROUP_ROOT,
    FIRST_UID,
    LIMITS,
    PACKAGE,
    Limits,
    _cgroup_prefix,
    _drop_to,
    _prlimit,
    cgroups_available,
    remove_cgroups,
)
from course_utils.grading.sandbox_uids import (  # noqa: F401
    LEASE_DIR,
    LEASE_FIRST,
    LEASE_SIZE,
    LEASES,
    Lease,
    kill_uids,
    kill_unleased,
    stop_group,
    uid_command,
    uids_possible,
)

# Options the sandbox cannot do without (every bubblewrap since 0.4 has them), by what they give.
REQUIRED = {"--unshare-pid": "its own PID namespace", "--unshare-net": "no network", "--unshare-ipc": "its own IPC",
            "--unshare-uts": "its own host name", "--die-with-parent": "dying with the grader",
            "--new-session": "no access to the terminal", "--ro-bind": "read-only views", "--bind": "socket folders",
            "--tmpfs": "a private /tmp", "--dir": "mount points", "--symlink": "/bin and /lib",
            "--proc": "its own /proc", "--dev": "its own /dev", "--setenv": "its environment",
            "--chdir": "its working folder", "--remount-ro": "a read-only package folder"}
REQUIRED_UNPRIVILEGED = {"--unshare-user": "a user namespace", "--uid": "an unprivileged uid", "--gid": "its gid",
                         "--cap-drop": "no capabilities", "--cap-add": "setting limits before dropping capabilities"}
# Options with another way to the same limit: what the sandbox does without them.
FALLBACKS = {"--clearenv": "the environment is emptied by env -i before bubblewrap starts (--clearenv: 0.5)",
             "--perms": "/tmp is made world-writable (sticky) by a first privileged step in the sandbox "
                        "(--perms: 0.5)",
             "--size": "/tmp's size is limited by remounting it in a first privileged step in the sandbox "
                       "(--size: 0.7)",
             "--unshare-cgroup-try": "no cgroup namespace"}


@dataclass(frozen=True)
class Bwrap:
    """The installed bubblewrap: its path, version and the options its --help lists."""

    path: str
    version: str
    options: frozenset

    def has(self, option):
        return option in self.options

    def missing(self, options):
        return [o for o in options if o not in self.options]


@functools.lru_cache(maxsize=None)
def _read_bwrap(path):
    """Bwrap for the binary at path, or a str saying why it could not be read."""
    try:
        shown = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30,
                                 stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{path} could not be run ({exc})"
    options = frozenset(re.findall(r"^\s+(--[a-z0-9][a-z0-9-]*)", shown.stdout + shown.stderr, re.MULTILINE))
    if not options:
        return f"{path} --help lists no options (exit status {shown.returncode}): is it bubblewrap?"
    found = re.search(r"(\d+(?:\.\d+)+)", version.stdout)
    return Bwrap(path, found.group(1) if found else "(version unknown)", options)


def bwrap():
    """The Bwrap found on PATH (read once per binary), None when there is none; ValueError when it cannot be read."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    found = _read_bwrap(os.path.realpath(path))
    if isinstance(found, str):
        raise ValueError(found)
    return found


def _needs_prelude(bw):
    return not bw.has("--size") or not bw.has("--perms")


def _classify(bw, stderr):
    """The true cause of a sandbox that did not start, from bwrap's last words."""
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else "no message"
    low = last.lower()
    name = f"bubblewrap {bw.version} ({bw.path})"
    if any(w in low for w in ("unknown option", "must be followed by", "requires --", "not permitted in setuid")):
        return f"{name} refused an option the grader passed ({last}): please report this with `bwrap --version`"
    if "can't find source path" in low or "can't get type of source" in low:
        return f"{name} cannot reach a folder the sandbox binds in ({last})"
    if any(w in low for w in ("namespace", "uid map", "gid map", "setgroups", "operation not permitted",
                              "no permissions", "clone", "unshare", "pivot_root", "mount proc", "slave")):
        hint = ("a container without CAP_SYS_ADMIN or a seccomp profile that forbids unshare" if os.geteuid() == 0
                else "unprivileged user namespaces are disabled (sysctl kernel.unprivileged_userns_clone, "
                     "user.max_user_namespaces, or AppArmor's apparmor_restrict_unprivileged_userns)")
        return f"this system refuses the namespaces {name} needs ({last}; typically {hint})"
    return f"{name} could not start a sandbox ({last})"


@functools.lru_cache(maxsize=None)
def _available(path, euid):
    if path is None:
        return False, "bubblewrap (bwrap) is not installed"
    try:
        bw = bwrap()
    except ValueError as exc:
        return False, f"bubblewrap could not be read: {exc}"
    missing = bw.missing(REQUIRED) + ([] if euid == 0 else bw.missing(REQUIRED_UNPRIVILEGED))
    if missing:
        wanted = {**REQUIRED, **REQUIRED_UNPRIVILEGED}
        return False, (f"bubblewrap {bw.version} ({bw.path}) lacks " + ", ".join(f"{o} ({wanted[o]})" for o in missing))
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return False, f"{tool} (util-linux) is not installed"
    try:
        done = subprocess.run(command([sys.executable, "-c", "print(6 * 7)"], uid=FIRST_UID + 999),
                              capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"bubblewrap {bw.version} ({bw.path}) could not be started ({exc})"
    if done.returncode != 0 or done.stdout.strip() != b"42":
        return False, _classify(bw, done.stderr.decode("utf-8", "replace"))
    return True, ""


def available():
    """(True, "") when bubblewrap can start a sandbox here, else (False, the true cause).

    Checked once per bwrap binary (PATH is looked up on every call) and user."""
    found = shutil.which("bwrap")
    return _available(os.path.realpath(found) if found else None, os.geteuid())


def describe():
    """How the sandbox is made with the bubblewrap on PATH: its version, and each limit set another way."""
    bw = bwrap()
    ways = [FALLBACKS[o] for o in FALLBACKS if not bw.has(o)]
    return f"bubblewrap {bw.version}" + (f" ({'; '.join(ways)})" if ways else "")


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


# The first step inside a sandbox whose bubblewrap lacks --size or --perms: still privileged (root, or
# uid 0 of the sandbox's user namespace with CAP_SYS_ADMIN), before any student code, it remounts /tmp
# with its size limit and makes the folders that must be world-writable so, then execs the rest (which
# drops the privileges). argv: SIZE|- FOLDER... -- COMMAND...
PRELUDE = """\
import ctypes, os, sys
args = sys.argv[1:]
cut = args.index("--")
size, folders, rest = args[0], args[1:cut], args[cut + 1:]
if size != "-":
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(None, b"/tmp", None, 32 | 2 | 4, ("size=" + size).encode()) != 0:  # MS_REMOUNT|NOSUID|NODEV
        sys.exit("sandbox: could not limit the size of /tmp: " + os.strerror(ctypes.get_errno()))
for folder in folders:
    os.chmod(folder, 0o1777)
os.execvp(rest[0], rest)
"""


def _base_env(env):
    base = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib",
            "IPYTHONDIR": "/tmp/ipython", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "JUPYTER_DATA_DIR": "/tmp/jupyter-data",
            "JUPYTER_CONFIG_DIR": "/tmp/jupyter-config", "PYTHONPATH": str(PACKAGE.parent),
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    base.update(env or {})
    return base


def command(argv, *, uid, workdir=None, package="all", rw=(), ro=(), env=None, limits=LIMITS, mpl_cache=None,
            as_pid_1=False, hidden=()):
    """The argv that runs `argv` in a new sandbox, made with the bubblewrap on PATH (see bwrap()).

    uid -- the unprivileged uid it runs as (one per concurrent sandbox)
    workdir -- a host folder bound read-only at /notebook and made the working folder (default: /tmp)
    package -- "all" (course_utils as installed) or a list of module file names of course_utils to expose
        (e.g. ["__init__.py", "vectors.py"]); every other file of the package is absent
    rw -- host folders bound writable at the same path (e.g. a kernel's socket folder)
    ro -- (host path, sandbox path) pairs bound read-only
    env -- extra environment variables
    mpl_cache -- a matplotlib font cache file (matplotlib_cache) bound read-only into /tmp/matplotlib
    as_pid_1 -- argv is the PID namespace's init (bwrap --as-pid-1, where this bubblewrap has it): no process of the
        sandbox can signal it but with a signal it handles (the verification harness's supervisor)
    hidden -- folders of the Python installation shown empty (a kernel's debugger: nbval_plugin.kernel_hidden)

    Options this bubblewrap lacks are made up for (FALLBACKS); RuntimeError when there is no bubblewrap.
    """
    bw = bwrap()
    if bw is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed")
    bytecode.ensure()  # before the first sandbox: none can write it
    root = os.geteuid() == 0
    prelude = _needs_prelude(bw)
    perms = (lambda mode: ["--perms", mode]) if bw.has("--perms") else (lambda mode: [])
    args = [bw.path, "--new-session"] + (["--clearenv"] if bw.has("--clearenv") else [])
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    args += ["--as-pid-1"] if as_pid_1 and bw.has("--as-pid-1") else []
    args += ["--unshare-cgroup-try"] if bw.has("--unshare-cgroup-try") else []
    args += ["--die-with-parent", *_system_binds(), "--proc", "/proc", "--dev", "/dev"]
    args += perms("1777") + (["--size", str(limits.tmp_size)] if bw.has("--size") else []) + ["--tmpfs", "/tmp"]
    made, world_writable = {"/tmp"}, ["/tmp"]
    wanted = [(p, p) for p in _python_paths()] + [(str(PACKAGE), str(PACKAGE))] + list(ro) + [(p, p) for p in rw]
    for _, inside in wanted:
        for folder in _ancestors(inside):
            if folder not in made and not folder.startswith("/usr"):
                made.add(folder)
                args += perms("0755") + ["--dir", folder]
    for p in _python_paths():
        args += ["--ro-bind", p, p]
    if package == "all":
        args += ["--ro-bind", str(PACKAGE), str(PACKAGE)]
    else:  # an empty package folder (hiding an installed copy too), then only the allowed modules, read-only
        args += perms("0755") + ["--tmpfs", str(PACKAGE)]
        for name in package:
            args += ["--ro-bind", str(PACKAGE / name), str(PACKAGE / name)]
        for pyc in bytecode.cached(package):  # their bytecode only (bytecode.py)
            if str(pyc.parent) not in made:
                made.add(str(pyc.parent))
                args += perms("0755") + ["--dir", str(pyc.parent)]
            args += ["--ro-bind", str(pyc), str(pyc)]
        args += ["--remount-ro", str(PACKAGE)]
    for outside, inside in ro:
        args += ["--ro-bind", str(outside), str(inside)]
    for p in hidden:
        args += perms("0755") + ["--tmpfs", str(p), "--remount-ro", str(p)]
    for p in rw:
        args += ["--bind", str(p), str(p)]
    if mpl_cache is not None:
        args += perms("1777") + ["--dir", "/tmp/matplotlib",
                                 "--ro-bind", str(mpl_cache), f"/tmp/matplotlib/{Path(mpl_cache).name}"]
        world_writable.append("/tmp/matplotlib")
    if workdir is not None:
        args += ["--ro-bind", str(workdir), "/notebook", "--chdir", "/notebook"]
    else:
        args += ["--chdir", "/tmp"]
    for key, value in _base_env(env).items():
        args += ["--setenv", key, value]
    if prelude:  # still privileged: /tmp's size and modes, then the limits and the drop
        args += [sys.executable, "-I", "-S", "-c", PRELUDE, "-" if bw.has("--size") else str(limits.tmp_size),
                 *([] if bw.has("--perms") else world_writable), "--"]
    args += _prlimit(limits)
    if root:  # drop to an unprivileged uid: no capabilities, no way back
        args += _drop_to(uid)
    elif prelude:  # uid 0 of a user namespace, privileged there for the prelude only, which then drops it all
        args[1:1] = ["--unshare-user", "--uid", "0", "--gid", "0", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"]
        args += ["setpriv", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    else:  # unprivileged bwrap: a user namespace where the process is nobody
        args[1:1] = ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    if not bw.has("--clearenv"):  # bubblewrap hands its own environment on: start it with none
        args = ["env", "-i"] + args
    if cgroups_available():
        args = _cgroup_prefix(uid, limits) + args
    return args + list(argv)


def short_folder(prefix, room, bases=None):
    """A fresh folder (0755) whose path leaves `room` bytes for the names beneath it within the 107-byte limit
    of a Unix socket path: under TMPDIR when it is short enough, else /tmp, /var/tmp or /dev/shm.

    Kernels talk over socket files (TMPDIR/.../kernel-N); a long TMPDIR (a CI runner's, macOS's) would
    make them too long to bind, and the kernel would never answer. RuntimeError when no place is short
    enough. bases -- the places to try, in order (default: TMPDIR, /tmp, /var/tmp, /dev/shm)."""
    limit = 107
    tried = []
    for base in dict.fromkeys(bases or [tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"]):
        if not os.path.isdir(base) or not os.access(base, os.W_OK | os.X_OK):
            continue
        candidate = os.path.join(os.path.realpath(base), prefix + "x" * 8)
        if len(candidate.encode()) + room > limit:
            tried.append(base)
            continue
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=os.path.realpath(base)))
        os.chmod(folder, 0o755)
        return folder
    raise RuntimeError(f"no folder is short enough for the kernels' socket files (a Unix socket path is at most "
                       f"{limit} bytes; tried {', '.join(tried) or 'none writable'}): set TMPDIR to a short folder, "
                       "e.g. TMPDIR=/tmp")
