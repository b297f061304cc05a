"""Nothing students install answers an exercise (issue #17, item 2).

The test builds the student release (``python -m authoring.build --student-release DIR --class-key FILE``),
imports every module of the release's course_utils in a subprocess whose ``import course_utils`` is the release's
copy, and calls every function it finds there as the answer of every exercise, with the arguments of that exercise's
verification cases. The functions: module-level functions (private ones too), static and class methods of the
module-level classes, bound methods of module-level objects of course_utils classes, and functions held in
module-level dicts, lists, tuples and such objects (nested up to three deep).

The cases are drawn and judged HERE, by the grader's own specs (course_utils.grading.specs, as named in the release
notebooks' course.verify), with the seeds SEEDS; the calls are made in the subprocess, and only plain data comes
back (harness.encode), as in a verification run. Notebook 06's cases depend on the capstone code in the student_id
cell: they are drawn from the reference solution's code (both seeds) and from codes (demo key) of ids whose
teammates have the other slopes of the capstone network (the first seed): a backward pass written for one slope
answers every student whose teammate has it. The subprocess starts no process, sends no signal and opens no
connection (a function called with a case's arguments, or with none, might otherwise run pip or kill something).

A function passes an exercise when, for one teammate (one set of cases outside notebook 06), every case of every
seed is judged right. How a call differs from a verification run: the function is called directly, from a namespace
that holds the case's overrides (gradient_check's forward and backward passes), which are also bound in the
function's module globals during the call -- as if its source, or a one-line wrapper of it, were in the exercise
cell --, and changing an argument in place is not held against it (the harness would fail such an answer). A
function whose signature cannot take a case's arguments is not called. A call runs for at most CALL_TIMEOUT seconds,
far less than a verification run allows (grading.DEFAULT_TIMEOUT): a function right in every case it finished and
out of time in the others counts as passing (SLOW).

Every passing (exercise, function) pair must be in ALLOWED (not a leak, and why) or in KNOWN_LEAKS (a leak still to
be removed; today none). Neither table may go stale: an entry that no longer passes must go. ALLOWED holds nothing
of course_utils.checks, course_utils.grading.specs or course_utils.expect (LEAK_PREFIXES). The reference
solutions, judged alike, must pass (the audit's positive control). Run this file as a script for the whole findings table:

    .venv/bin/python tests/test_release_answers.py
"""
from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import pickle
import select
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from course_utils import capstone
from course_utils.grading import harness, sandbox, teammates
from course_utils.grading.verify import Provided, load_spec

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
HARNESS = Path(harness.__file__).resolve()
SEEDS = (0, 1)
CALL_TIMEOUT = 5.0  #: seconds one call may take in the worker (SIGALRM there)
STALL_TIMEOUT = 20.0  #: seconds without an answer from the worker before it is killed and started again
SLOW = "slow"  #: right in every case it finished, out of time in the others: counted as passing (see the docstring)
# what ALLOWED may never hold: the checks, the grader's specs and the checks' expected values (reference answers)
LEAK_PREFIXES = ("course_utils.checks.", "course_utils.grading.specs.", "course_utils.expect.")
_LIBRARY = ("the verification sandbox does not expose it (calling it fails there; a pasted copy is flagged by the "
            "grader's copy tripwire when it is long enough to tell from an honest answer, grading/copies.py)")

# (exercise, function) -> why that function answering the exercise is no leak
ALLOWED = {
    ("backward_propagation", "course_utils._validate.as_float_array"):
        "returns its first argument (as floats): dtheta = x is the identity in x, nothing to copy",
    ("backward_propagation", "course_utils._validate.as_scalar_cost"):
        "returns its first argument (as a float): dtheta = x is the identity in x, nothing to copy",
    ("backward_propagation", "course_utils.grading.harness_codec.encode"):
        "returns its first argument (a float) unchanged: dtheta = x is the identity in x, nothing to copy",
    ("backward_propagation", "course_utils.grading.harness_codec.decode"):
        "returns its first argument (a float) unchanged: dtheta = x is the identity in x, nothing to copy",
    ("backward_propagation", "course_utils.lab.BUGS_1D['none (correct: dθ = x)']"):
        "the 1-D bug picker's correct pass (widgets.bug_picker_1d, notebook 02): dtheta = x, the identity; " + _LIBRARY,
    ("forward_propagation", "course_utils.lab.BUGS_1D['returns J = θx instead of dθ']"):
        "a bug of the 1-D bug picker (notebook 02) that returns J = theta x, the formula the notebook states; "
        + _LIBRARY,
    ("forward_difference", "course_utils.lab._forward"):
        "the epsilon explorer's quotient (widgets.epsilon_explorer, notebook 01), the formula the notebook states, "
        "which the grader's spec computes its expected values with; " + _LIBRARY,
    ("centered_difference", "course_utils.lab._centered"):
        "the epsilon explorer's quotient (widgets.epsilon_explorer, notebook 01), the formula the notebook states, "
        "which the grader's spec computes its expected values with; " + _LIBRARY,
    ("relative_difference", "course_utils.differences.relative_difference"):
        "the course's library (course_utils.gradcheck re-exports it), which notebooks 01 (after the exercise) to 05 "
        "use, and which the checks and specs use for their expected relative and block differences; " + _LIBRARY,
    ("dictionary_to_vector", "course_utils.vectors.dictionary_to_vector"):
        "the course's library, which notebooks 03-06 import; " + _LIBRARY,
    ("vector_to_dictionary", "course_utils.vectors.vector_to_dictionary"):
        "the course's library, which notebooks 03-06 import; " + _LIBRARY,
    ("gradients_to_vector", "course_utils.vectors.gradients_to_vector"):
        "the course's library, which notebooks 03-06 import; " + _LIBRARY,
    ("backward_propagation_n", "course_utils.backprop.backward_propagation_n"):
        "the course's backward pass of the 3-layer net, which notebooks 03 and 05 import (course_utils.network); "
        + _LIBRARY,
}

# (exercise, function) -> what leaks: a reference answer or mistake model students install, found and not yet removed.
# Remove the entry together with the leak (test_known_leaks_have_no_stale_entries). The checks and specs take their
# expected values from the course library, from closed forms, or from helpers whose signature no exercise's call fits.
KNOWN_LEAKS = {}

# modules of the release's course_utils that may fail to import (module -> why); anything else failing is an error
IMPORT_FAILURES = {}


# ------------------------------------------------------------------------------------------------ the worker
WORKER = r'''
"""The audit's worker: imports the student release's course_utils and calls its functions (see the test)."""
import contextlib
import copy
import importlib
import importlib.util
import inspect
import io
import json
import os
import pickle
import pkgutil
import signal
import socket
import subprocess
import sys
import types
from pathlib import Path

release, harness_path, cases_dir, call_timeout = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
# the protocol's pipes on high descriptors; 0 and 1 become /dev/null (a function may print, read or open(3))
os.dup2(0, 250)
os.dup2(1, 251)
_null = os.open(os.devnull, os.O_RDWR)
os.dup2(_null, 0)
os.dup2(_null, 1)
orders = os.fdopen(250, "rb")
out = os.fdopen(251, "w", encoding="utf-8")


def send(message):
    out.write(json.dumps(message) + "\n")
    out.flush()


sys.path.insert(0, str(Path(harness_path).parent))  # harness.py imports its siblings from its folder, as in the sandbox
_spec = importlib.util.spec_from_file_location("_release_audit_harness", harness_path)
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
import harness_providers  # noqa: E402
del sys.path[0]

ARGV = ["release-audit", "--help"]  # what a main(argv=None) reads: it prints its help and exits
sys.argv = list(ARGV)
sys.path.insert(0, str(release))
import course_utils  # noqa: E402

PACKAGE = (release / "course_utils").resolve()


def inside(path):
    try:
        Path(path).resolve().relative_to(PACKAGE)
        return True
    except (TypeError, ValueError):
        return False


failed = {}


def _walk_error(name):
    failed[name] = "{}: {}".format(type(sys.exc_info()[1]).__name__, sys.exc_info()[1])[:300]


names = ["course_utils"] + [info.name for info in pkgutil.walk_packages(course_utils.__path__, "course_utils.",
                                                                         onerror=_walk_error)]
modules = {}
for name in sorted(set(names)):
    if name in failed:
        continue
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            modules[name] = importlib.import_module(name)
    except BaseException as exc:  # noqa: BLE001 -- recorded, the others still run
        failed[name] = f"{type(exc).__name__}: {exc}"[:300]
outside = sorted(n for n, m in sys.modules.items() if (n == "course_utils" or n.startswith("course_utils."))
                 and not inside(getattr(m, "__file__", None) or ""))

found = {}  # identity -> (paths, callable)
seen = set()


def wrapped_function(obj):
    """Whether obj is a function, or a wrapper of one (functools.lru_cache: called through its cache)."""
    return inspect.isfunction(obj) or inspect.isfunction(getattr(obj, "__wrapped__", None))


def consider(path, obj):
    target = getattr(obj, "__func__", obj)
    module = getattr(getattr(target, "__wrapped__", target), "__module__", "")
    if not wrapped_function(target) or not str(module or "").startswith("course_utils"):
        return
    owner = getattr(obj, "__self__", None)
    found.setdefault((id(target), id(owner)), ([], obj))[0].append(path)


def explore(path, obj, depth):
    """The functions in a container or a course_utils object (not in modules or other classes)."""
    if depth > 2 or id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        items = [(f"{path}[{k!r}]", v) for k, v in list(obj.items())]
    elif isinstance(obj, (list, tuple)):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
    elif str(type(obj).__module__).startswith("course_utils") and not isinstance(obj, type):
        items = [(f"{path}.{k}", v) for k, v in list(getattr(obj, "__dict__", {}).items())]
        for k in dir(type(obj)):
            if not k.startswith("__") and inspect.isfunction(inspect.getattr_static(type(obj), k, None)):
                try:
                    items.append((f"{path}.{k}", getattr(obj, k)))
                except Exception:  # noqa: BLE001
                    pass
    else:
        return
    for sub, value in items:
        if wrapped_function(value) or inspect.ismethod(value):
            consider(sub, value)
        elif not isinstance(value, (types.ModuleType, type)):
            explore(sub, value, depth + 1)


for mname, module in modules.items():
    for attr, obj in list(vars(module).items()):
        path = f"{mname}.{attr}"
        if wrapped_function(obj):
            consider(path, obj)
        elif inspect.isclass(obj):
            if obj.__module__ != mname:
                continue
            for k, raw in list(vars(obj).items()):
                if isinstance(raw, staticmethod):
                    consider(f"{path}.{k}", raw.__func__)
                elif isinstance(raw, classmethod):
                    consider(f"{path}.{k}", getattr(obj, k))
        elif not isinstance(obj, types.ModuleType):
            explore(path, obj, 0)


def _name(paths, obj):
    target = getattr(obj, "__func__", obj)
    own = f"{target.__module__}.{target.__qualname__}"
    if obj is target and own in paths:
        return own
    return min(paths, key=lambda p: (len(p), p))


functions = sorted(((_name(paths, obj), obj) for paths, obj in found.values()), key=lambda item: item[0])


def takes(fn, n, keywords):
    try:
        signature = inspect.signature(fn, follow_wrapped=False)
    except (TypeError, ValueError):
        return True
    try:
        signature.bind(*([None] * n), **{k: None for k in keywords})
        return True
    except TypeError:
        return False


send({"package": course_utils.__file__, "outside": outside, "failed": failed,
      "functions": [name for name, _ in functions]})


class Refused(Exception):
    pass


def refuse(what):
    def refused(*args, **kwargs):
        raise Refused(f"the audit runs no {what}")
    return refused


# no processes, signals or network from here on: a function called with a case's arguments (or none) must not start
# pip, a kernel or a sandbox, nor kill anything
subprocess.Popen.__init__ = refuse("processes")
for _attr in ("system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execv", "execve", "execvp",
              "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "kill",
              "killpg", "setuid", "setgid", "setsid"):
    if hasattr(os, _attr):
        setattr(os, _attr, refuse(f"os.{_attr}"))
socket.socket.connect = refuse("network")
socket.socket.connect_ex = refuse("network")
socket.socket.bind = refuse("network")
socket.create_connection = refuse("network")
for _attr in ("signal", "setitimer", "alarm", "pthread_kill"):
    setattr(signal, "_audit_" + _attr, getattr(signal, _attr))
    setattr(signal, _attr, refuse(f"signal.{_attr}"))
arity = json.loads(orders.readline())  # {key: [[positional count, [keyword names]], ...]}
send({"fits": [[key for key, shapes in arity.items() if all(takes(fn, n, kw) for n, kw in shapes)]
               for _, fn in functions]})


class Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise Timeout(f"took longer than {call_timeout:g} s")


def build(value):
    """The data of a case with its provided callables made (harness_providers.PROVIDERS), as the harness's decode does."""
    if isinstance(value, dict):
        if set(value) == {"__provided__", "params"}:
            return harness_providers.PROVIDERS[value["__provided__"]](*value["params"])
        return {k: build(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(build(v) for v in value)
    if isinstance(value, list):
        return [build(v) for v in value]
    return value


def caller(overrides):
    """A function that makes the call from a namespace holding the case's overrides, as the exercise cell's does (a
    function may look its caller's globals up, e.g. the backward pass under check)."""
    namespace = {"__name__": "__main__", "__builtins__": __builtins__, **overrides}
    exec("def call(fn, args, kwargs):\n    return fn(*args, **kwargs)\n", namespace)  # noqa: S102
    return namespace["call"]


loaded = {}
home = os.getcwd()
missing = object()
for line in orders:
    order = json.loads(line)
    key, index = order["key"], order["case"]
    if key not in loaded:
        with open(cases_dir / (order["file"]), "rb") as handle:
            loaded[key] = pickle.load(handle)
    args, kwargs, overrides = build(copy.deepcopy(loaded[key][index]))
    fn = functions[order["function"]][1]
    globals_ = getattr(getattr(fn, "__func__", fn), "__globals__", {})
    saved, buffer = {}, io.StringIO()
    try:
        for name, value in overrides.items():
            saved[name] = globals_.get(name, missing)
            globals_[name] = value
        signal._audit_signal(signal.SIGALRM, _alarm)
        signal._audit_setitimer(signal.ITIMER_REAL, call_timeout)
        try:
            with contextlib.redirect_stdout(buffer):
                value = caller(overrides)(fn, args, kwargs)
        finally:
            signal._audit_setitimer(signal.ITIMER_REAL, 0)
        reply = {"ok": True, "value": harness.encode(value), "stdout": buffer.getvalue()[:4000]}
    except harness.EncodeError as exc:
        reply = {"ok": False, "error": f"returned {exc}"}
    except Timeout as exc:
        reply = {"ok": False, "timeout": True, "error": str(exc)}
    except BaseException as exc:  # noqa: BLE001 -- whatever the function does is its result
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        signal._audit_setitimer(signal.ITIMER_REAL, 0)
        for name, value in saved.items():
            if value is missing:
                globals_.pop(name, None)
            else:
                globals_[name] = value
        try:
            os.chdir(home)
        except OSError:
            pass
        sys.argv = list(ARGV)
    send(reply)
'''


class Worker:
    """The worker process (WORKER): started at once (it imports the release while the cases are drawn), told the
    cases' arities by ready(), and started again when a call kills it or never answers."""

    def __init__(self, release, cases_dir, scratch):
        self.release, self.cases_dir, self.scratch = release, cases_dir, scratch
        self.script = scratch / "release_audit_worker.py"
        self.script.write_text(WORKER, encoding="utf-8")
        self.restarts = []
        self.proc = self.log = self.arity = self.hello = None
        self._start()

    def _start(self):
        home = self.scratch / "home"
        home.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_", "COVERAGE", "PYTHON"))}
        env.update(HOME=str(home), MPLBACKEND="agg", OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                   TMPDIR=str(home))
        self.log = open(self.scratch / "worker.log", "ab")  # noqa: SIM115 -- closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-I", "-B", str(self.script), str(self.release), str(HARNESS),
                                      str(self.cases_dir), str(CALL_TIMEOUT)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     cwd=str(home), env=env, start_new_session=True)
        self.buffer = bytearray()

    def ready(self, arity):
        """The worker's hello ({package, outside, failed, functions}) with "fits": for each function, the keys of
        the case sets whose every case its signature can take (arity: {key: [[positional count, [keywords]]]})."""
        self.arity, fits = arity, None
        hello = self._read(300.0)
        if hello is not None:
            self._send(arity)
            fits = self._read(300.0)
        if fits is None:
            self.stop()
            log = (self.scratch / "worker.log").read_text(encoding="utf-8", errors="replace")
            raise RuntimeError("the audit's worker did not start:\n" + log[-3000:])
        self.hello = {**hello, **fits}
        return self.hello

    def _send(self, message):
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def _read(self, timeout):
        end = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            cut = self.buffer.find(b"\n")
            if cut >= 0:
                line = bytes(self.buffer[:cut])
                del self.buffer[:cut + 1]
                return json.loads(line)
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 22)
            if not chunk:
                return None
            self.buffer += chunk

    def call(self, function, key, file, case):
        """The worker's reply ({"ok", "value" or "error", "stdout"}), or None when the worker died or stalled (it
        is then started again)."""
        try:
            self._send({"function": function, "key": key, "file": file, "case": case})
            reply = self._read(STALL_TIMEOUT)
        except OSError:  # a broken pipe: the worker is gone
            reply = None
        if reply is None:
            self.restarts.append((self.hello["functions"][function], key, case))
            self.stop()
            self._start()
            self.ready(self.arity)
        return reply

    def stop(self):
        if self.proc is not None:
            sandbox.stop_group(self.proc)  # the worker's own process group (start_new_session): all it started
            self.log.close()
            self.proc = None


# ------------------------------------------------------------------------------------------------ the cases
def build_release(folder):
    """The student release in folder / "release", made with a new class key; returns its path."""
    target = folder / "release"
    done = subprocess.run([sys.executable, "-m", "authoring.build", "--student-release", str(target),
                           "--class-key", str(folder / "class.key")], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return target


def _exercise_cells(path):
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell.get("metadata", {})
        if cell.get("cell_type") == "code" and "exercise" in meta.get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            yield meta.get("course", {}), source


def release_exercises(release):
    """{exercise: (notebook stem, course.verify)} of the release notebooks, in notebook order."""
    return {course["exercise"]: (path.stem, course["verify"])
            for path in sorted((release / "notebooks").glob("[0-9][0-9]_*.ipynb"))
            for course, _ in _exercise_cells(path)}


def solution_sources():
    """{notebook stem: {exercise: source}} of the reference solutions."""
    return {path.stem: {course["exercise"]: source for course, source in _exercise_cells(path)}
            for path in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))}


def _returned_literal(source):
    """The string literal the first function of a cell returns."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node.value.value
    raise AssertionError("the solution's student_id cell returns no string literal")


def capstone_sources(source):
    """[(label, student_id source)]: the reference solution's own (its capstone code, demo key), then one code (demo
    key) of an id per slope of the capstone network that code's teammate does not have."""
    literal = _returned_literal(source)
    mate, why = teammates.check_code(teammates.DEMO_KEY, literal)
    assert mate is not None, why
    student = capstone.parse_code(literal)[0]
    out, slopes = [(f"teammate {mate.number}, slope {mate.slope} (the solution's)", source)], {mate.slope}
    for i in range(1, 1000):
        if len(slopes) == len(teammates.SLOPES):
            break
        other = f"{student}-{i}"
        mate = teammates.variant(teammates.number_for(teammates.DEMO_KEY, other))
        if mate.slope not in slopes:
            slopes.add(mate.slope)
            out.append((f"teammate {mate.number}, slope {mate.slope}",
                        source.replace(literal, teammates.code_for(teammates.DEMO_KEY, other))))
    return out


def _plain(value):
    """Case data for the worker: Provided callables as {"__provided__", "params"} (the worker makes them)."""
    if isinstance(value, Provided):
        return {"__provided__": value.name, "params": tuple(value.params)}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def draw_cases(exercises, solutions):
    """[{key, exercise, notebook, variant, seed, spec, cases}]: every exercise's cases for every seed (and teammate)."""
    drawn = []
    previous = teammates.class_key()
    teammates.set_class_key(teammates.DEMO_KEY)  # the codes are the demo key's
    try:
        for exercise, (notebook, verify) in exercises.items():
            spec = load_spec(verify)
            variants = [("", None)]
            if spec.reads:
                assert spec.reads == ("student_id",), f"{exercise}: the audit reads only the student_id cell"
                variants = capstone_sources(solutions[notebook]["student_id"])
            for label, source in variants:
                for seed in SEEDS if source is None or "(the solution's)" in label else SEEDS[:1]:
                    rng = np.random.default_rng(seed)
                    cases = spec.cases(rng, {"student_id": source}) if spec.reads else spec.cases(rng)
                    drawn.append({"key": f"{exercise}|{label}|{seed}", "exercise": exercise, "notebook": notebook,
                                  "variant": label, "seed": seed, "spec": spec, "cases": list(cases)})
    finally:
        teammates.set_class_key(previous)
    return drawn


def judged(case, reply):
    """None when the worker's reply is right for the case, else why not."""
    if not reply.get("ok"):
        return str(reply.get("error", "an error"))
    try:
        value = harness.decode(reply["value"])
        return case.judge(value, str(reply.get("stdout", "")))
    except Exception as exc:  # noqa: BLE001 -- a value a judge cannot take is a wrong one
        return f"could not be judged ({type(exc).__name__})"


# ------------------------------------------------------------------------------------------------ the audit
def run_audit(folder):
    """Build the release into folder and call every function of it as every exercise's answer; returns the findings."""
    timings = {}
    start = time.monotonic()
    release = build_release(folder)
    timings["build"] = time.monotonic() - start
    start = time.monotonic()
    cases_dir = folder / "cases"
    cases_dir.mkdir()
    worker = Worker(release, cases_dir, folder)  # imports the release meanwhile
    try:
        exercises = release_exercises(release)
        solutions = solution_sources()
        drawn = draw_cases(exercises, solutions)
        arity = {}
        for i, entry in enumerate(drawn):
            entry["file"] = f"{i}.pickle"
            data = [pickle.dumps((_plain(tuple(c.args)), _plain(dict(c.kwargs)), _plain(dict(c.overrides))),
                                 protocol=pickle.HIGHEST_PROTOCOL) for c in entry["cases"]]
            entry["digests"] = [hashlib.sha256(d).hexdigest() for d in data]
            with open(cases_dir / entry["file"], "wb") as handle:
                pickle.dump([pickle.loads(d) for d in data], handle, protocol=pickle.HIGHEST_PROTOCOL)
            arity[entry["key"]] = [[len(c.args), sorted(c.kwargs)] for c in entry["cases"]]
        timings["draw"] = time.monotonic() - start
        start = time.monotonic()
        hello = worker.ready(arity)
        timings["worker ready"] = time.monotonic() - start
        start = time.monotonic()
        by_key = {entry["key"]: entry for entry in drawn}
        replies = {}  # (function, digest of the case's data) -> reply: a call with the same data is made once
        results = {}  # (exercise, function) -> {variant: every case of every seed right}
        for index, (name, keys) in enumerate(zip(hello["functions"], hello["fits"])):
            for key in keys:
                entry = by_key[key]
                outcome = results.setdefault((entry["exercise"], name), {})
                if outcome.get(entry["variant"]) is False:
                    continue  # another seed of this teammate failed already
                right = True
                for case_index, case in enumerate(entry["cases"]):
                    seen = (index, entry["digests"][case_index])
                    if seen not in replies:
                        replies[seen] = worker.call(index, key, entry["file"], case_index)
                    reply = replies[seen]
                    if reply is None or reply.get("timeout"):
                        right = SLOW  # undecided: a verification run allows a call far longer
                    elif judged(case, reply) is not None:
                        right = False
                        break
                before = outcome.get(entry["variant"], True)
                outcome[entry["variant"]] = (False if not right or before is False
                                             else SLOW if SLOW in (right, before) else True)
    finally:
        worker.stop()
    timings["calls"] = time.monotonic() - start
    passing = {pair: sorted((v, ok) for v, ok in outcome.items() if ok) for pair, outcome in results.items()
               if any(outcome.values())}
    return {"release": release, "package": hello["package"], "outside": hello["outside"], "failed": hello["failed"],
            "functions": hello["functions"], "exercises": exercises, "drawn": drawn, "solutions": solutions,
            "passing": passing, "tried": len(results), "calls": len(replies), "restarts": worker.restarts,
            "timings": timings}


def solution_failures(drawn, solutions):
    """[(key, message)]: the reference solutions' own answers judged with the cases of the first seed (notebook 06:
    of the solution's teammate): the positive control of the audit's judging."""
    failures = []
    spaces = {}
    for entry in drawn:
        if entry["seed"] != SEEDS[0] or (entry["variant"] and "(the solution's)" not in entry["variant"]):
            continue
        notebook, spec = entry["notebook"], entry["spec"]
        if notebook not in spaces:
            namespace = {"__name__": "__main__"}
            sources = solutions[notebook]
            for other in sources:
                for name, target in load_spec(f"course_utils.grading.specs:{other}").namespace.items():
                    module, _, attribute = target.partition(":")
                    value = __import__(module, fromlist=["_"])
                    namespace[name] = getattr(value, attribute) if attribute else value
            for other, source in sources.items():
                exec(compile(harness.python_source(source), f"<solution {other}>", "exec"), namespace)  # noqa: S102
            spaces[notebook] = namespace
        namespace = spaces[notebook]
        for case in entry["cases"]:
            args = harness.decode(json.loads(json.dumps(_encoded(tuple(case.args)))))
            kwargs = harness.decode(json.loads(json.dumps(_encoded(dict(case.kwargs)))))
            saved = {name: namespace.get(name) for name in case.overrides}
            buffer = io.StringIO()
            try:
                namespace.update({name: p.build() for name, p in case.overrides.items()})
                with redirect_stdout(buffer):
                    value = namespace[spec.function](*args, **kwargs)
                reply = {"ok": True, "value": harness.encode(value), "stdout": buffer.getvalue()}
            except Exception as exc:  # noqa: BLE001
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            finally:
                namespace.update(saved)
            message = judged(case, reply)
            if message is not None:
                failures.append((entry["key"], f"{case.label}: {message}"))
                break
    return failures


def _encoded(value):
    if isinstance(value, Provided):
        return {"__provided__": value.name, "params": harness.encode(tuple(value.params))}
    if isinstance(value, tuple):
        return {"__tuple__": [_encoded(v) for v in value]}
    if isinstance(value, list):
        return [_encoded(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[k, _encoded(v)] for k, v in value.items()]}
    return harness.encode(value)


# ------------------------------------------------------------------------------------------------ the tests
@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    return run_audit(tmp_path_factory.mktemp("release-audit"))


def test_the_audit_calls_the_release_copy(audit):
    package = Path(audit["package"]).resolve()
    assert package.parent == (audit["release"] / "course_utils").resolve()
    assert audit["outside"] == [], "modules imported from outside the release"
    assert audit["failed"] == IMPORT_FAILURES
    assert not any(f.startswith(("authoring.", "course_utils.grading.teammates."))
                   for f in audit["functions"]), "the release holds what it should leave out"


def test_every_exercise_is_audited(audit):
    exercises = audit["exercises"]
    assert len(exercises) >= 20
    drawn = {entry["exercise"] for entry in audit["drawn"] if entry["cases"]}
    assert drawn == set(exercises)


def test_the_reference_solutions_pass_the_audits_cases(audit):
    """The positive control: judged as the audit judges, the course's own answers pass."""
    assert solution_failures(audit["drawn"], audit["solutions"]) == []


def test_no_function_of_the_release_answers_an_exercise(audit):
    passing = set(audit["passing"])
    unexpected = sorted(passing - set(ALLOWED) - set(KNOWN_LEAKS))
    assert unexpected == [], "functions of the student release that pass an exercise's verification:\n" + "\n".join(
        f"  {exercise}: {function} ({_shown(audit['passing'][(exercise, function)])})"
        for exercise, function in unexpected)


def test_allowed_has_no_stale_entries(audit):
    stale = sorted(set(ALLOWED) - set(audit["passing"]))
    assert stale == [], f"ALLOWED entries that no longer pass an exercise (remove them): {stale}"


def test_allowed_holds_no_reference_answers():
    assert [pair for pair in ALLOWED if pair[1].startswith(LEAK_PREFIXES)] == []
    assert set(ALLOWED).isdisjoint(KNOWN_LEAKS)


def test_known_leaks_have_no_stale_entries(audit):
    """A known leak that no longer answers its exercise was removed: its entry goes too (the table is empty today)."""
    stale = sorted(set(KNOWN_LEAKS) - set(audit["passing"]))
    assert stale == [], f"KNOWN_LEAKS entries that no longer pass an exercise (remove them): {stale}"


# ------------------------------------------------------------------------------------------------ the report
def _shown(variants):
    """How a pair passes: "every case", or per teammate of notebook 06; "out of time" where it passed every case it
    finished."""
    return "; ".join(f"{label or 'every case'}{' but out of time on some' if ok == SLOW else ''}"
                     for label, ok in variants)


def _group(function):
    if function.startswith("course_utils.checks."):
        return "checks"
    if function.startswith("course_utils.grading.specs."):
        return "specs"
    if function.startswith(("course_utils.grading.", "course_utils.expect.")):
        return "other"
    return "library"


def main():
    with tempfile.TemporaryDirectory(prefix="release-audit-") as folder:
        start = time.monotonic()
        found = run_audit(Path(folder))
        total = time.monotonic() - start
        control = solution_failures(found["drawn"], found["solutions"])
    print(f"release package: {found['package']}")
    print(f"modules that failed to import: {found['failed'] or 'none'}; imported from outside: {found['outside']}")
    print(f"functions: {len(found['functions'])}; (exercise, function) pairs tried: {found['tried']}; "
          f"calls: {found['calls']}; worker restarts: {found['restarts']}")
    print(f"positive control (the solutions judged alike): {control or 'all pass'}")
    for group in ("library", "checks", "specs", "other"):
        print(f"\n== {group}")
        for (exercise, function), variants in sorted(found["passing"].items(), key=lambda kv: (kv[0][1], kv[0][0])):
            if _group(function) == group:
                table = "ALLOWED" if (exercise, function) in ALLOWED else (
                    "KNOWN_LEAK" if (exercise, function) in KNOWN_LEAKS else "NEW")
                print(f"  {exercise:24s} {function}  ({table}; {_shown(variants)})")
    print("\ntimings: " + ", ".join(f"{k} {v:.1f} s" for k, v in found["timings"].items()) + f", total {total:.1f} s")


if __name__ == "__main__":
    main()
