"""Tests of the grading sandbox itself (course_utils/grading/sandbox.py), proved from inside it.

Each test runs a small Python program in a sandbox (sandbox.command) and checks what it reports (one
JSON line on stdout): what it can see, write, import, signal and reach; who it runs as; its limits; and
that nothing it starts outlives it. Every test uses its own uid (UID + n, far from the uids of a grading
run). Without bubblewrap the tests skip, except in CI (CI=true), where they fail.

Every test runs with each bubblewrap the course must work with (fixture `bubblewrap`): the installed one,
Ubuntu 22.04's 0.6.1 (Gradescope's image: no --size; found beside the checkout, else skipped saying why)
and any named in GRADER_TEST_BWRAPS (e.g. Debian 11's 0.4.1: no --perms, --clearenv, --size either).
"""
import fcntl
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

import pytest
from needs import other_bwraps, path_with_bwrap, project_entries_in_sandbox, sandbox_needed, ubuntu_bwrap

from course_utils.grading import sandbox

ROOT = Path(__file__).resolve().parent.parent  # the project (git checkout)
PACKAGE = sandbox.PACKAGE  # course_utils/
UID = sandbox.FIRST_UID + 900  # test n runs as UID + n
REFUSED = {"EROFS", "EACCES", "EPERM"}  # how a write outside /tmp may fail
# n of each test (and of the second sandbox of two tests): distinct uids, also under pytest-xdist
TEST_UIDS = {name: n for n, name in enumerate([
    "test_available", "test_unprivileged_without_capabilities", "test_read_only_binds_stay_read_only",
    "test_writes_outside_tmp_fail", "test_host_files_are_invisible", "test_other_sandbox_is_invisible",
    "test_package_subset", "test_package_all", "test_cannot_see_or_signal_outside",
    "test_network_unreachable", "test_limits", "test_nothing_survives_the_program",
    "test_killing_bwrap_kills_everything", "test_dies_with_its_parent", "test_cannot_inject_into_terminal",
    "test_grader_environment_not_inherited", "test_tmp_is_private"])}
TEST_UIDS["test_other_sandbox_is_invisible_b"] = len(TEST_UIDS)
TEST_UIDS["test_tmp_is_private_b"] = len(TEST_UIDS)
TEST_UIDS["test_a_spinning_fork_bomb_gets_one_cpu_and_a_memory_hog_its_limit_in_total"] = len(TEST_UIDS)
TEST_UIDS["test_a_kernel_runs_without_the_debugger"] = len(TEST_UIDS)
# the bubblewraps every test runs with; each shifts the test uids by 25 (so they never meet under xdist)
BWRAPS = ["installed", "ubuntu-0.6.1"] + [f"other:{p}" for p in other_bwraps()][:2]
SHIFT = 0

PRELUDE = """\
import errno, json, os, sys
out = {}

def attempt(fn, *args):
    try:
        fn(*args)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    return "ok"

def write(path):
    with open(path, "w") as f:
        f.write("x")
"""


def processes_of(uid):
    """Host pids of the processes running as uid (ps -eo uid=,pid=)."""
    ps = subprocess.run(["ps", "-eo", "uid=,pid="], capture_output=True, text=True, check=True).stdout
    return [int(pid) for u, pid in (line.split() for line in ps.splitlines()) if int(u) == uid]


def gone(uid, within=1.0):
    """True once no process of uid runs (polling for up to `within` seconds)."""
    deadline = time.monotonic() + within
    while processes_of(uid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(autouse=True, params=BWRAPS)
def bubblewrap(request, monkeypatch, tmp_path_factory):
    """The bubblewrap of this run of the test, first on PATH (installed: PATH as it is)."""
    global SHIFT
    SHIFT = 25 * BWRAPS.index(request.param)
    if request.param != "installed":
        binary = ubuntu_bwrap() if request.param == "ubuntu-0.6.1" else request.param.split(":", 1)[1]
        monkeypatch.setenv("PATH", path_with_bwrap(binary, tmp_path_factory.mktemp("bwrap")))
    if not sandbox.available()[0]:
        sandbox_needed()
    return request.param


def uid_of(name):
    """The uid of test `name` (or of its second sandbox, name_b) with this run's bubblewrap."""
    return UID + SHIFT + TEST_UIDS[name]


@pytest.fixture
def uid(request, bubblewrap):
    """This test's uid; afterwards, kill (by pid) whatever a failed test left running as it."""
    mine = uid_of(request.node.originalname)
    assert not processes_of(mine), f"uid {mine} is busy before the test"
    yield mine
    for pid in processes_of(mine):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def program(body):
    return PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(out), flush=True)\n"


def run(body, uid, *, timeout=60, **options):
    """Run `body` (which fills the dict `out`) in a sandbox as uid; returns `out`."""
    argv = sandbox.command([sys.executable, "-c", program(body)], uid=uid, **options)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          start_new_session=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


# A checkout under /tmp (a CI clone) puts the first folder of its bound paths (venv, package) into the
# sandbox's /tmp: an empty, read-only mount point, nothing of the host's /tmp.
IN_TMP = sorted({Path(p).parts[2] for p in [*sandbox._python_paths(), str(sandbox.PACKAGE)]
                 if Path(p).parts[1:2] == ("tmp",) and len(Path(p).parts) > 2})


def shared(path):
    """A host folder the sandboxed uid may read (pytest makes tmp_path 0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o755)
    return path


def test_available(bubblewrap):
    assert sandbox.available() == (True, "")
    argv = sandbox.command(["true"], uid=uid_of("test_available"))
    assert sandbox.bwrap().path in argv[:8] and argv[-1] == "true"
    assert (argv[0] == "/bin/sh") == sandbox.cgroups_available()


def test_a_spinning_fork_bomb_gets_one_cpu_and_a_memory_hog_its_limit_in_total(uid):
    if not sandbox.cgroups_available():
        pytest.skip("cgroups cannot be created here: only the per-process limits apply")
    limits = sandbox.Limits(memory=600 * 2 ** 20, cpus=0.5)
    out = run("""
        import time
        children = []
        for _ in range(4):
            pid = os.fork()
            if pid == 0:
                end = time.time() + 1.5
                while time.time() < end:
                    pass
                os._exit(0)
            children.append(pid)
        start_cpu = time.time()
        for pid in children:
            os.waitpid(pid, 0)
        usage = os.times()
        out["cpu seconds"] = usage.children_user + usage.children_system
        kids = []
        for _ in range(3):
            pid = os.fork()
            if pid == 0:
                block = bytearray(300 * 2 ** 20)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                time.sleep(1)
                os._exit(0)
            kids.append(pid)
        out["memory hogs"] = sorted(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in kids)
    """, uid, limits=limits)
    assert out["cpu seconds"] < 0.5 * 1.5 * 1.5  # 4 spinning processes for 1.5 s got half a CPU between them
    assert -9 in out["memory hogs"]  # 3 x 300 MB touched > 600 MB: the out-of-memory killer stopped one
    sandbox.remove_cgroups([uid])


def test_unprivileged_without_capabilities(uid):
    out = run("""
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
        out["status"] = {k: status[k].split() for k in ("Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd",
                                                       "CapAmb", "NoNewPrivs")}
        out["ids"] = [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()]
        out["setuid0"] = attempt(os.setuid, 0)
        out["shadow"] = attempt(open, "/etc/shadow") if os.path.exists("/etc/shadow") else "EACCES"
    """, uid)
    s = out["status"]
    assert s["Uid"] == [str(uid)] * 4 and s["Gid"] == [str(uid)] * 4
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(s[cap][0], 16) == 0, cap
    assert s["NoNewPrivs"] == ["1"]
    assert out["ids"] == [uid, uid, uid, uid, []]
    assert out["setuid0"] == "EPERM"
    assert out["shadow"] == "EACCES"


def test_read_only_binds_stay_read_only(uid, tmp_path):
    """Neither mount(8), nor mount(2), nor mount(2) as root of a new user namespace makes /notebook writable."""
    work = shared(tmp_path / "work")
    (work / "notebook.ipynb").write_text("{}")
    os.chmod(work / "notebook.ipynb", 0o666)  # even a file everyone may write stays read-only in there
    before = sorted(os.listdir(work))
    out = run(f"""
        import ctypes, shutil, subprocess
        libc = ctypes.CDLL(None, use_errno=True)
        MS_BIND, MS_REMOUNT = 4096, 32
        CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000

        def remount_rw(target):
            if libc.mount(None, target.encode(), None, MS_REMOUNT | MS_BIND, None) == 0:
                return "ok"
            return errno.errorcode[ctypes.get_errno()]

        out["mount(8)"] = subprocess.run(["mount", "-o", "remount,rw,bind", "/notebook"],
                                         capture_output=True).returncode
        out["mount(2)"] = remount_rw("/notebook")
        out["package mount(2)"] = remount_rw({str(PACKAGE)!r})
        if shutil.which("unshare"):
            out["unshare mount(8)"] = subprocess.run(
                ["unshare", "-Urm", "sh", "-c", "mount -o remount,rw,bind /notebook && echo x > /notebook/y"],
                capture_output=True).returncode
        r, w = os.pipe()
        child = os.fork()
        if child == 0:  # root of a new user and mount namespace, then remount
            res = {{}}
            if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
                res["unshare"] = errno.errorcode[ctypes.get_errno()]
            else:
                for name, text in (("setgroups", "deny"), ("uid_map", "0 {uid} 1"), ("gid_map", "0 {uid} 1")):
                    res[name] = attempt(lambda: open("/proc/self/" + name, "w").write(text))
                res["uid"] = os.getuid()
                res["mount"] = remount_rw("/notebook")
                res["write"] = attempt(write, "/notebook/y")
            os.write(w, json.dumps(res).encode())
            os._exit(0)
        os.close(w)
        os.waitpid(child, 0)
        out["userns"] = json.loads(os.read(r, 10000))
        out["write"] = attempt(write, "/notebook/y")
        out["append"] = attempt(open, "/notebook/notebook.ipynb", "a")
        out["mounts"] = [line.split()[4:6] for line in open("/proc/self/mountinfo")
                         if line.split()[4] in ("/notebook", {str(PACKAGE)!r})]
    """, uid, workdir=work)
    assert out["mount(8)"] != 0
    assert out["mount(2)"] == "EPERM"
    assert out["package mount(2)"] == "EPERM"
    assert out.get("unshare mount(8)", 1) != 0
    assert out["userns"].get("mount", "EPERM") in {"EPERM", "EACCES"}, out["userns"]
    assert out["userns"].get("write", "EROFS") in REFUSED, out["userns"]
    assert out["write"] == "EROFS" and out["append"] == "EROFS"
    mounts = dict(out["mounts"])
    assert set(mounts) == {"/notebook", str(PACKAGE)}
    assert all(options.split(",")[0] == "ro" for options in mounts.values()), mounts
    assert sorted(os.listdir(work)) == before and (work / "notebook.ipynb").read_text() == "{}"


def test_writes_outside_tmp_fail(uid, tmp_path):
    work = shared(tmp_path / "work")
    targets = ["/", "/notebook", str(PACKAGE), str(PACKAGE / "grading"), str(ROOT), "/usr", "/usr/bin", "/etc",
               sys.prefix, sys.base_prefix, os.path.dirname(os.__file__), "/dev", "/root"]
    existing = [str(PACKAGE / "vectors.py"), str(PACKAGE / "__init__.py"), "/etc/passwd", sys.executable]
    out = run(f"""
        out["new"] = {{t: attempt(write, os.path.join(t, "sandbox-probe")) for t in {targets!r} if os.path.isdir(t)}}
        out["mkdir"] = {{t: attempt(os.mkdir, os.path.join(t, "sandbox-probe-dir")) for t in {targets!r}
                        if os.path.isdir(t)}}
        out["append"] = {{f: attempt(open, f, "a") for f in {existing!r}}}
        out["chmod"] = {{f: attempt(os.chmod, f, 0o777) for f in {existing!r}}}
        out["remove"] = {{f: attempt(os.remove, f) for f in {existing!r}}}
        out["tmp"] = attempt(write, "/tmp/sandbox-probe")
        out["cwd"] = os.getcwd()
    """, uid, workdir=work)
    assert out["cwd"] == "/notebook"
    assert out["tmp"] == "ok"  # the one writable place
    assert {"/", "/notebook", str(PACKAGE), "/usr", "/etc", sys.prefix} <= set(out["new"])
    for kind in ("new", "mkdir", "append", "chmod", "remove"):
        assert set(out[kind].values()) <= REFUSED, (kind, out[kind])
    assert not list(work.iterdir())
    for t in targets:
        assert not os.path.exists(os.path.join(t, "sandbox-probe")) and not os.path.exists(
            os.path.join(t, "sandbox-probe-dir")), t


def test_host_files_are_invisible(uid, tmp_path):
    """The project's tests/ and other files, the home folder, other folders in the host's /tmp are absent."""
    secret_dir = Path(tempfile.mkdtemp(prefix="grader-secret-"))  # in the host's /tmp, not bound
    try:
        (secret_dir / "answers.txt").write_text("42")
        os.chmod(secret_dir, 0o755)
        os.chmod(secret_dir / "answers.txt", 0o644)
        home = Path.home()
        bound = [Path(p) for p in sandbox._python_paths()] + [PACKAGE]
        needed = {p.relative_to(home).parts[0] for p in bound if home in p.parents}  # e.g. .pyenv
        hidden_home = [str(home / name) for name in os.listdir(home) if name not in needed]
        project = [str(ROOT / name) for name in os.listdir(ROOT) if name not in project_entries_in_sandbox()]
        system = [d for d in ("/sys", "/var", "/home", "/run", "/mnt", "/opt", "/srv", "/boot")
                  if not any(str(p).startswith(d + "/") for p in bound)]
        hidden = project + hidden_home + system + [str(ROOT / "solutions"), str(secret_dir),
                                                   str(secret_dir / "answers.txt"), str(tmp_path)]
        assert (ROOT / "solutions").is_dir() and (ROOT / "README.md").is_file()
        assert str(ROOT / ".git") in project and str(ROOT / "tests") in project
        out = run(f"""
            out["exists"] = {{p: os.path.lexists(p) for p in {hidden!r}}}
            def ls(p):
                try:
                    return sorted(os.listdir(p))
                except OSError as e:
                    return errno.errorcode[e.errno]
            out["ls"] = {{p: ls(p) for p in ("/", "/tmp", {str(ROOT)!r}, {str(home)!r})}}
        """, uid)
        assert not [p for p, there in out["exists"].items() if there]
        assert out["ls"]["/tmp"] == IN_TMP
        assert sorted(out["ls"][str(ROOT)]) == project_entries_in_sandbox()
        assert out["ls"][str(home)] == "ENOENT" or set(out["ls"][str(home)]) <= needed
        assert set(out["ls"]["/"]) <= {"bin", "dev", "etc", "lib", "lib64", "proc", "sbin", "tmp", "usr", "notebook",
                                      *{p.parts[1] for p in bound}}
    finally:
        (secret_dir / "answers.txt").unlink()
        secret_dir.rmdir()


MODULES = ["__init__.py", "_validate.py", "vectors.py"]  # vectors.py imports course_utils._validate


def test_package_subset(uid):
    """A verification sandbox's package holds only the modules its spec allows; the others are absent."""
    out = run("""
        import importlib
        def imports(name):
            try:
                importlib.import_module(name)
            except ImportError as e:
                return type(e).__name__
            return "ok"
        out["imports"] = {m: imports(m) for m in ("course_utils", "course_utils.vectors", "course_utils.gradcheck",
                                                 "course_utils.network", "course_utils.checks",
                                                 "course_utils.grading", "course_utils.grading.sandbox")}
        import course_utils
        out["ls"] = sorted(os.listdir(course_utils.__path__[0]))
        out["read"] = attempt(open, os.path.join(course_utils.__path__[0], "gradcheck.py"))
        cache = os.path.join(course_utils.__path__[0], "__pycache__")
        out["cache"] = sorted(os.listdir(cache))
        out["read_bytecode"] = attempt(open, importlib.util.cache_from_source(os.path.join(course_utils.__path__[0],
                                                                                          "gradcheck.py")))
        import struct
        out["current"] = {}  # each bytecode file records its source's mtime and size: Python loads it, compiles nothing
        for name in out["cache"]:
            source = os.path.join(course_utils.__path__[0], name.split(".")[0] + ".py")
            with open(os.path.join(cache, name), "rb") as f:
                _, flags, mtime, size = struct.unpack("<4sLLL", f.read(16))
            out["current"][name] = (flags, mtime, size) == (0, int(os.stat(source).st_mtime), os.stat(source).st_size)
        sys.path[:] = [p for p in sys.path if "work" not in p or "site-packages" in p]  # try the installed copy
        for m in [m for m in sys.modules if m.startswith("course_utils")]:
            del sys.modules[m]
        out["again"] = imports("course_utils.gradcheck")
    """, uid, package=MODULES)
    assert out["imports"] == {"course_utils": "ok", "course_utils.vectors": "ok",
                              "course_utils.gradcheck": "ModuleNotFoundError",
                              "course_utils.network": "ModuleNotFoundError",
                              "course_utils.checks": "ModuleNotFoundError",
                              "course_utils.grading": "ModuleNotFoundError",
                              "course_utils.grading.sandbox": "ModuleNotFoundError"}
    assert out["ls"] == sorted([*MODULES, "__pycache__"])
    assert out["read"] == "ENOENT"
    # their bytecode (course_utils.grading.bytecode), current, and no other module's
    assert out["cache"] == sorted(Path(importlib.util.cache_from_source(str(PACKAGE / m))).name for m in MODULES)
    assert out["current"] == {name: True for name in out["cache"]}
    assert out["read_bytecode"] == "ENOENT"
    assert out["again"] == "ModuleNotFoundError"


def test_package_all(uid):
    out = run("""
        import course_utils.checks, course_utils.gradcheck, course_utils.vectors
        out["file"] = course_utils.checks.__file__
    """, uid)
    assert out["file"] == str(PACKAGE / "checks" / "__init__.py")


def test_a_kernel_runs_without_the_debugger(uid, tmp_path, monkeypatch):
    """A graded kernel's sandbox shows the installed debugpy as an empty, read-only folder: ipykernel starts without
    its debugger (nbval never debugs), and nothing can be put there. A folder named debugpy where the grader runs is
    not taken for it."""
    from course_utils.grading import nbval_plugin

    (tmp_path / "debugpy").mkdir()
    monkeypatch.chdir(tmp_path)
    nbval_plugin.kernel_hidden.cache_clear()
    hidden = nbval_plugin.kernel_hidden()
    assert hidden and all(os.listdir(p) for p in hidden)  # installed with ipykernel, and not empty outside
    out = run(f"""
        import ipykernel.debugger
        out["debugger"] = ipykernel.debugger._is_debugpy_available
        out["listed"] = [os.listdir(p) for p in {hidden!r}]
        out["write"] = attempt(write, os.path.join({hidden[0]!r}, "x.py"))
    """, uid, hidden=hidden)
    assert out == {"debugger": False, "listed": [[]] * len(hidden), "write": out["write"]}
    assert out["write"] in REFUSED


def test_cannot_see_or_signal_outside(uid):
    """The grader, and even a host process of the sandbox's own uid, can be neither seen nor signalled."""
    twin = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "30"])
    try:
        out = run(f"""
            import signal
            def kill(pid, sig=0):
                try:
                    os.kill(pid, sig)
                except OSError as e:
                    return type(e).__name__
                return "ok"
            out["grader"] = kill({os.getpid()})
            out["grader TERM"] = kill({os.getpid()}, signal.SIGTERM)
            out["twin"] = kill({twin.pid}, signal.SIGKILL)
            out["pid"], out["ppid"] = os.getpid(), os.getppid()
            out["procs"] = {{p: open(f"/proc/{{p}}/cmdline", "rb").read().decode(errors="replace")
                            for p in os.listdir("/proc") if p.isdigit()}}
            out["everyone"] = kill(-1, signal.SIGKILL)  # every process it may signal, but itself
        """, uid)
        assert out["grader"] in ("ProcessLookupError", "PermissionError")
        assert out["grader TERM"] in ("ProcessLookupError", "PermissionError")
        assert out["twin"] in ("ProcessLookupError", "PermissionError")
        assert out["ppid"] != os.getpid() and out["ppid"] != os.getppid()
        procs = out["procs"]
        assert str(out["pid"]) in procs and len(procs) <= 2, procs  # itself and bubblewrap's init (pid 1)
        assert not [c for c in procs.values() if "pytest" in c or "sleep" in c], procs
        assert twin.poll() is None  # kill(-1) did not reach the host process of the same uid
    finally:
        twin.kill()
        twin.wait()


def test_network_unreachable(uid):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    abstract = f"\0grader-sandbox-test-{os.getpid()}"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(abstract)
    unix.listen()
    try:
        out = run(f"""
            import socket
            def connect(family, address):
                s = socket.socket(family)
                s.settimeout(3)
                try:
                    s.connect(address)
                except OSError as e:
                    return type(e).__name__
                return "connected"
            out["internet"] = connect(socket.AF_INET, ("1.1.1.1", 80))
            out["host port"] = connect(socket.AF_INET, ("127.0.0.1", {port}))
            out["abstract"] = connect(socket.AF_UNIX, {abstract!r})
            out["interfaces"] = [name for _, name in socket.if_nameindex()]
        """, uid)
        assert out["internet"] != "connected" and out["host port"] != "connected" and out["abstract"] != "connected"
        assert out["interfaces"] == ["lo"]
        server.settimeout(0.01)
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()
        unix.close()


def test_limits(uid):
    limits = sandbox.Limits(processes=20, file_size=8 * 2 ** 20, tmp_size=32 * 2 ** 20)
    out = run("""
        import time
        children = []
        try:
            while len(children) < 100:
                pid = os.fork()
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                children.append(pid)
        except OSError as e:
            out["fork"] = type(e).__name__
        out["forked"] = len(children)
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        try:
            block = bytearray(10 * 2 ** 30)
            out["10 GB"] = "allocated"
        except MemoryError:
            out["10 GB"] = "MemoryError"
        try:
            with open("/tmp/big", "wb") as f:
                for _ in range(16):
                    f.write(b"x" * 2 ** 20)
            out["16 MB"] = "written"
        except OSError as e:
            out["16 MB"] = errno.errorcode[e.errno]
        out["size"] = os.path.getsize("/tmp/big")
        st = os.statvfs("/tmp")
        out["tmp"] = st.f_blocks * st.f_frsize
    """, uid, limits=limits)
    assert out["fork"] in ("BlockingIOError", "OSError") and 1 <= out["forked"] < 25
    assert out["10 GB"] == "MemoryError"
    assert out["16 MB"] == "EFBIG" and out["size"] == 8 * 2 ** 20
    assert out["tmp"] == 32 * 2 ** 20


def test_tmp_is_private(uid):
    """Two sandboxes running at once do not see each other's /tmp (nor does the host see either)."""
    mine, theirs = f"/tmp/first-{os.getpid()}", f"/tmp/second-{os.getpid()}"
    first = subprocess.Popen(sandbox.command([sys.executable, "-c", program(f"""
        write({mine!r})
        print("ready", flush=True)
        sys.stdin.readline()
        out["tmp"] = sorted(os.listdir("/tmp"))
    """)], uid=uid), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert first.stdout.readline() == "ready\n"
        out = run(f"""
            out["before"] = sorted(os.listdir("/tmp"))
            write({theirs!r})
            out["after"] = sorted(os.listdir("/tmp"))
        """, uid_of("test_tmp_is_private_b"))
        first_out = json.loads(first.communicate("go\n", timeout=30)[0])
    finally:
        first.kill()
        first.wait()
    assert out["before"] == IN_TMP and out["after"] == sorted(IN_TMP + [os.path.basename(theirs)])
    assert first_out["tmp"] == sorted(IN_TMP + [os.path.basename(mine)])
    assert not os.path.exists(mine) and not os.path.exists(theirs)


def test_other_sandbox_is_invisible(uid, tmp_path):
    """A kernel's sandbox (workdir, writable socket folder, extra read-only bind) is invisible to another one."""
    work, sockets, extra = shared(tmp_path / "support"), shared(tmp_path / "sockets" / "k1"), shared(tmp_path / "x")
    os.chown(sockets, uid, uid)
    (work / "data.txt").write_text("support")
    first = subprocess.Popen(sandbox.command([sys.executable, "-c", program(f"""
        write({str(sockets / "kernel-1")!r})
        out["sees own"] = [os.path.exists(p) for p in ("/notebook/data.txt", {str(sockets)!r}, "/extra")]
        print("ready", flush=True)
        sys.stdin.readline()
    """)], uid=uid, workdir=work, rw=[str(sockets)], ro=[(str(extra), "/extra")]),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert first.stdout.readline() == "ready\n"
        paths = [str(work), str(work / "data.txt"), str(sockets), str(sockets / "kernel-1"), str(extra),
                 "/extra", "/notebook", str(tmp_path)]
        other = uid_of("test_other_sandbox_is_invisible_b")
        out = run(f"""
            out["exists"] = {{p: os.path.lexists(p) for p in {paths!r}}}
            out["procs"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
            out["uids"] = sorted({{os.stat(f"/proc/{{p}}").st_uid for p in out["procs"]}})
        """, other)
        first_out = json.loads(first.communicate("go\n", timeout=30)[0])
    finally:
        first.kill()
        first.wait()
    assert first_out["sees own"] == [True, True, True]  # the binds work in their own sandbox
    assert (sockets / "kernel-1").is_file()
    assert not [p for p, there in out["exists"].items() if there], out["exists"]
    assert len(out["procs"]) <= 2 and set(out["uids"]) <= {0, other}  # bubblewrap's init and itself


def test_nothing_survives_the_program(uid):
    """A detached child (new session) and a double-forked daemon die when the program exits."""
    out = run("""
        import subprocess, time
        subprocess.Popen(["sleep", "300"], start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.closerange(0, 3)
                time.sleep(300)
            os._exit(0)
        os.wait()
        time.sleep(0.1)
        out["running"] = sum(p.isdigit() for p in os.listdir("/proc"))
    """, uid)
    assert out["running"] >= 4  # init, the program, sleep, the daemon
    assert gone(uid), processes_of(uid)


BACKGROUND = """
    import subprocess, time
    subprocess.Popen(["sleep", "300"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(300)
        os._exit(0)
    os.wait()
    print("up", flush=True)
    time.sleep(300)
"""


def test_killing_bwrap_kills_everything(uid):
    proc = subprocess.Popen(sandbox.command([sys.executable, "-c", program(BACKGROUND)], uid=uid),
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline() == "up\n"
        assert len(processes_of(uid)) >= 3
    finally:
        proc.kill()  # bwrap only, not its process group
        proc.wait()
        proc.stdout.close()
    assert gone(uid), processes_of(uid)


def test_dies_with_its_parent(uid):
    """When the process that started the sandbox is killed (the grader crashes), the sandbox dies too."""
    argv = sandbox.command([sys.executable, "-c", program(BACKGROUND)], uid=uid)
    starter = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys; subprocess.Popen(sys.argv[1:]).wait()", *argv],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert starter.stdout.readline() == "up\n"
        assert len(processes_of(uid)) >= 3
    finally:
        starter.kill()
        starter.wait()
        starter.stdout.close()
    assert gone(uid), processes_of(uid)


def test_cannot_inject_into_terminal(uid):
    """Started from a terminal (no new session), the sandbox cannot push input into it (TIOCSTI).

    Otherwise what it types runs in the grader's shell when the grader ends (CVE-2017-5226); bwrap's
    --new-session prevents it.
    """
    master, slave = os.openpty()

    def controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    argv = sandbox.command([sys.executable, "-c", program("""
        import fcntl, termios
        def inject(fd):
            for ch in b"echo injected\\n":
                fcntl.ioctl(fd, termios.TIOCSTI, bytes([ch]))
        out["stdin"] = attempt(inject, 0)
        fd = os.open("/dev/tty", os.O_RDWR) if attempt(os.open, "/dev/tty", os.O_RDWR) == "ok" else None
        out["/dev/tty"] = "no terminal" if fd is None else attempt(inject, fd)
    """)], uid=uid)
    try:
        proc = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE, stderr=slave, text=True,
                                start_new_session=True, preexec_fn=controlling_terminal)
        stdout, _ = proc.communicate(timeout=30)
        out = json.loads(stdout.splitlines()[-1])
        os.set_blocking(slave, False)
        try:
            typed = os.read(slave, 1000)
        except BlockingIOError:
            typed = b""
    finally:
        os.close(slave)
        os.close(master)
    assert out["stdin"] != "ok" and out["/dev/tty"] != "ok", out
    assert typed == b""


def test_grader_environment_not_inherited(uid, monkeypatch):
    """The grader's environment (tokens, paths) does not reach student code, which can print it in a check."""
    monkeypatch.setenv("GRADER_TEST_SECRET", "do-not-leak")
    out = run("""
        out["env"] = dict(os.environ)
    """, uid, env={"WANTED": "yes"})
    assert out["env"]["WANTED"] == "yes" and out["env"]["HOME"] == "/tmp"
    assert "PYTEST_CURRENT_TEST" not in out["env"]
    inherited = sorted(k for k, v in out["env"].items() if os.environ.get(k) == v)
    assert "GRADER_TEST_SECRET" not in out["env"], f"inherited from the grader: {inherited}"


def test_kill_unleased_spares_a_live_lease_and_ends_a_released_one():
    """Gradescope's autograde.py ends what student code left behind -- but only uids no running grading holds:
    killing every sandbox uid ended the kernels of another grading run on the same machine (a test of the
    time budget saw its endless loop die early and the next cell run)."""
    if os.geteuid() != 0:
        pytest.skip("processes of another uid can be started and killed by root only")
    lease = sandbox.Lease(first=sandbox.LEASE_FIRST + (sandbox.LEASES - 1) * sandbox.LEASE_SIZE)  # the last block:
    procs = []  # no concurrent grading run takes it between its release and the kill
    try:
        procs = [subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "60"])
                 for uid in (lease.uid, lease.uid + sandbox.LEASE_SIZE - 1)]
        time.sleep(0.2)
        assert sandbox.kill_unleased() == []
        assert [p.poll() for p in procs] == [None, None]  # held: another run's, left alone
        lease.release()
        assert sandbox.kill_unleased() == []
        assert [p.wait(timeout=10) for p in procs] == [-signal.SIGKILL] * 2
    finally:
        lease.release()
        for p in procs:
            p.kill()
            p.wait()
