"""Stage 5: the verification run -- the verdict computed outside the student's process.

For each graded notebook the student's exercise cells run once more, in a fresh sandbox whose file
system holds only numpy, the harness (harness.py) and the course_utils modules the exercises may use:
the modules that hold the answer to an exercise of that notebook, the checks and the grader are
absent, not blocked by name. The harness calls the student's functions on inputs drawn here, at
grading time, from a seed the submission cannot know, and sends back only plain data. The expected
values are computed here, in the grader's process, and compared here.

Each exercise names its spec in the release (cell metadata ``course.verify = "module:attribute"``);
a module that is a file of the release folder is loaded from there, so a release carries its own
specs. A spec (Spec) says which function to call, how to draw its cases (each with its own check of
the result), what the exercise may use (``namespace`` and ``modules``) and where its answer lives
(``reference_modules``, which must never be exposed).
"""
from __future__ import annotations

import importlib
import importlib.util
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_utils.grading import harness, sandbox

HARNESS = Path(harness.__file__).resolve()
MAX_OUTPUT = 64 * 2 ** 20  # bytes read back from one verification run


@dataclass(frozen=True)
class Provided:
    """A callable argument the harness builds from data: harness.PROVIDERS[name](*params)."""

    name: str
    params: tuple = ()

    def build(self):
        """The same callable, in this process (to compute expected values)."""
        return harness.PROVIDERS[self.name](*self.params)


@dataclass(frozen=True)
class Case:
    """One call of the student's function and how to judge what it returns.

    args, kwargs -- plain data and Provided callables
    judge -- judge(value, stdout) -> None when right, else a message saying what is wrong
    overrides -- name -> Provided, bound in the exercise namespace during this call (e.g. a known
        backward pass for a gradient check)
    label -- how the message names this call, e.g. "forward_difference(f, 1.3, 0.001)"
    """

    args: tuple
    judge: object
    label: str
    kwargs: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """How one exercise is verified (see the module docstring)."""

    function: str
    cases: object  # cases(rng: np.random.Generator) -> list of Case
    namespace: dict = field(default_factory=lambda: {"np": "numpy"})
    modules: tuple = ()  # course_utils files exposed in the sandbox, e.g. ("network.py",)
    reference_modules: tuple = ()  # course_utils files that hold this exercise's answer
    policy: str = "it may use numpy and its own code"
    # exercises whose cell SOURCE the cases depend on (e.g. a student id); cases(rng, {name: source or None})
    # then parses it as text, in the grader's process -- never runs it
    reads: tuple = ()
    note: object = None  # note({name: source or None}) -> str said with a passed verdict (e.g. the id read back)
    # facts({name: source or None}) -> {column: str}: what the grader read from the sources, recorded with every
    # verdict of this exercise, passed or not (a gradebook column: the student id read back)
    facts: object = None


BASE_MODULES = ("__init__.py",)


# The comparisons decide right/wrong for the notebook checks and for this verification run alike.
from course_utils.compare import as_number, close_array, close_number, describe, within  # noqa: E402,F401


# -------------------------------------------------------------------------------------------- specs
_LOADED = {}


def load_spec(reference, release_path):
    """The Spec named "module:attribute"; a module file of the release folder wins over an importable one."""
    module_name, _, attribute = reference.partition(":")
    local = Path(release_path) / f"{module_name}.py"
    key = str(local.resolve()) if local.is_file() else module_name
    if key not in _LOADED:
        if local.is_file():
            loader = importlib.util.spec_from_file_location(f"_release_specs_{len(_LOADED)}", local)
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
        _LOADED[key] = module
    spec = getattr(_LOADED[key], attribute, None)
    if not isinstance(spec, Spec):
        raise LookupError(f"verification spec {reference!r} is not a Spec")
    return spec


def policies(specs):
    """How the exercises of one notebook are verified: [(names, namespace, modules)], one harness run each.

    Exercises that may use the same course_utils modules share a run; each run's file system holds
    BASE_MODULES plus those modules. Raises LookupError when a run would expose an exercise's answer.
    """
    groups = {}
    for name, spec in specs.items():
        groups.setdefault(tuple(sorted(set(spec.modules))), []).append(name)
    out = []
    for modules, names in groups.items():
        namespace, exposed = {}, sorted(set(BASE_MODULES) | set(modules))
        for name in names:
            namespace.update(specs[name].namespace)
            leaked = set(exposed) & set(specs[name].reference_modules)
            if leaked:
                raise LookupError(f"verification of {name!r}: its answer is in {', '.join(sorted(leaked))}, "
                                  "which its own verification run would expose")
        out.append((names, namespace, exposed))
    return out


# ------------------------------------------------------------------------------------- the run
@dataclass
class Verdict:
    """The verification result of one exercise: ok, and the message when not (when ok: a note, or "")."""

    ok: bool
    message: str = ""
    facts: dict = field(default_factory=dict)  # see Spec.facts


def _encode_arg(value):
    if isinstance(value, Provided):
        return {"__provided__": value.name, "params": harness.encode(tuple(value.params))}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_arg(v) for v in value]}
    return harness.encode(value)


def _run_harness(request, workdir, uid, sandboxed, modules, timeout, call_timeout):
    """Run the harness once; returns (events, problem) -- problem is "" or why the run ended early."""
    folder = Path(tempfile.mkdtemp(prefix="verify-", dir=workdir))
    (folder / "request.json").write_text(json.dumps(request), encoding="utf-8")
    shutil.copy2(HARNESS, folder / "harness.py")
    os.chmod(folder, 0o755)
    for f in folder.iterdir():
        os.chmod(f, 0o644)
    if sandboxed:
        argv = sandbox.command([sys.executable, "/verify/harness.py", "/verify/request.json"], uid=uid,
                               package=list(modules), ro=[(str(folder), "/verify")])
        env = None
    else:  # no bubblewrap: at least the package holds only the allowed modules
        package = folder / "lib" / "course_utils"
        package.mkdir(parents=True)
        for name in modules:
            shutil.copy2(sandbox.PACKAGE / name, package / name)
        argv = [sys.executable, str(folder / "harness.py"), str(folder / "request.json")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "JPY"))}
        env.update(PYTHONPATH=str(folder / "lib"), OPENBLAS_NUM_THREADS="1", MPLBACKEND="agg")
    events, problem = _stream(argv, folder, env, timeout, call_timeout)
    shutil.rmtree(folder, ignore_errors=True)
    return events, problem


def _stream(argv, cwd, env, timeout, call_timeout):
    """Run the harness, reading its events as they come; stop it when a call or the whole run is too slow."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            cwd=str(cwd), env=env, start_new_session=True)
    lines = queue.Queue()

    def read():
        total = 0
        for line in proc.stdout:
            total += len(line)
            if total > MAX_OUTPUT:
                break
            lines.put(line)
        lines.put(None)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    events, problem = [], ""
    deadline = time.monotonic() + timeout
    call_deadline = None
    while True:
        limit = deadline if call_deadline is None else min(deadline, call_deadline)
        try:
            line = lines.get(timeout=max(0.01, limit - time.monotonic()))
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
        events.append(event)
        if "start" in event:
            call_deadline = time.monotonic() + call_timeout
        elif "call" in event:
            call_deadline = None
    if proc.poll() is None:
        os.killpg(proc.pid, 9)  # the sandbox's PID namespace dies with it
    proc.wait()
    proc.stdout.close()
    if not problem and proc.returncode != 0:
        problem = f"the verification run ended with exit status {proc.returncode}"
    elif not problem and not any(e.get("done") is True for e in events):
        problem = "the verification run ended before it was done (the exercise's code exited?)"
    return events, problem


def verify_notebook(rnb, sources, release_path, workdir, *, uid, sandboxed, timeout, seed=None):
    """Verify every exercise of one notebook whose source is in `sources` ({exercise: str}).

    Every exercise cell of the notebook runs in each harness run (they may call each other); the
    exercises are called in the run their policy allows (policies()). Returns {exercise: Verdict}.
    Never raises for anything the student's code does.
    """
    rng = np.random.default_rng(secrets.randbits(128) if seed is None else seed)
    specs = {name: load_spec(rnb.exercises[name].verify, release_path) for name in sources}
    cell_sources = [[n, _python(sources[n])] for n in rnb.exercises if n in sources]
    verdicts = {}
    for names, namespace, modules in policies(specs):
        verdicts.update(_verify_group({n: specs[n] for n in names}, cell_sources, namespace, modules, rng,
                                      workdir, uid=uid, sandboxed=sandboxed, timeout=timeout))
    return verdicts


def _python(source):
    """The cell's source with IPython syntax (%time, %%timeit, ...) turned into Python calls of get_ipython(),
    which the harness provides for the timing magics; the source itself if IPython cannot."""
    from course_utils.grading.scan import python_source

    return python_source(source)


def _verify_group(specs, cell_sources, namespace, modules, rng, workdir, *, uid, sandboxed, timeout):
    calls, owners = [], []
    given = dict(cell_sources)
    for name, spec in specs.items():
        drawn = spec.cases(rng, {n: given.get(n) for n in spec.reads}) if spec.reads else spec.cases(rng)
        for case in drawn:
            calls.append({"exercise": name, "function": spec.function,
                          "args": _encode_arg(tuple(case.args)), "kwargs": _encode_arg(dict(case.kwargs)),
                          "overrides": {k: _encode_arg(v) for k, v in case.overrides.items()}})
            owners.append((name, case))
    verdicts, cell_errors = {}, {}
    pending = list(range(len(calls)))
    deadline = time.monotonic() + timeout * (1 + len(specs))
    while pending and time.monotonic() < deadline:
        request = {"namespace": namespace, "cells": cell_sources, "calls": [calls[i] for i in pending]}
        events, problem = _run_harness(request, workdir, uid, sandboxed, modules,
                                       max(1.0, deadline - time.monotonic()), timeout)
        results, started = {}, []
        for event in events:
            if "cell" in event:
                cell_errors.setdefault(str(event["cell"]), str(event.get("error", ""))[:500])
            elif isinstance(event.get("start"), int) and 0 <= event["start"] < len(pending):
                started.append(pending[event["start"]])
            elif isinstance(event.get("call"), int) and 0 <= event["call"] < len(pending):
                results[pending[event["call"]]] = event
        for i in pending:
            if i in results:
                name, case = owners[i]
                if name not in verdicts:
                    message = _judge_call(specs[name], case, results[i], cell_errors.get(name))
                    if message is not None:
                        verdicts[name] = Verdict(False, message)
        unanswered = [i for i in pending if i not in results]
        if not problem:
            for i in unanswered:
                verdicts.setdefault(owners[i][0], Verdict(False, f"{owners[i][1].label} gave no result"))
            pending = []
            break
        crashed = next((i for i in started if i not in results), None)
        if crashed is None:  # died before any call (e.g. in a cell): every pending exercise fails
            for i in unanswered:
                verdicts.setdefault(owners[i][0], Verdict(False, f"{problem} while running the exercise cells"))
            pending = []
            break
        verdicts.setdefault(owners[crashed][0], Verdict(False, f"{problem} during {owners[crashed][1].label}"))
        pending = [i for i in unanswered if owners[i][0] not in verdicts]
    for i in pending:
        verdicts.setdefault(owners[i][0], Verdict(False, "the verification run did not finish in time"))
    for name, spec in specs.items():
        note = spec.note({n: given.get(n) for n in spec.reads}) if spec.note else ""
        verdicts.setdefault(name, Verdict(True, note))
        if spec.facts:
            verdicts[name].facts = dict(spec.facts({n: given.get(n) for n in spec.reads}))
    return verdicts


def _judge_call(spec, case, event, cell_error):
    """None when the call's result is right, else the message."""
    if not event.get("ok"):
        error = str(event.get("error", "an error"))
        where = f" (its cell raised {cell_error})" if cell_error else ""
        said = error + " " + (cell_error or "")
        if "course_utils" in said and any(w in said for w in ("No module named", "has no attribute", "cannot import")):
            return (f"{case.label} raised {error}{where}: in the verification run an exercise may not call the "
                    f"course's own answer ({spec.function}: {spec.policy})")
        return f"{case.label} raised {error}{where}"
    try:
        value = harness.decode(event.get("value"))
    except (harness.EncodeError, RecursionError, ValueError, TypeError, MemoryError) as exc:
        return f"{case.label} returned something that is not plain data ({exc})"
    try:
        message = case.judge(value, str(event.get("stdout", "")))
    except Exception as exc:  # noqa: BLE001 -- a judge must never crash the grader on odd values
        message = f"returned {describe(value)}, which could not be compared ({type(exc).__name__})"
    return None if message is None else f"{case.label} {message}"
