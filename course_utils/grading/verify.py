"""Stage 5: the verification run -- the verdict computed outside the student's process.

For each graded notebook the student's exercise cells run once more, in a fresh sandbox whose file
system holds only numpy, the harness (harness.py, with harness_codec.py and harness_providers.py) and the
course_utils modules the exercises may use: the modules that hold the answer to an exercise of that notebook, the
checks and the grader are absent, not blocked by name. The harness calls the student's functions on inputs drawn
here, at grading time, from a seed the submission cannot know, and sends back only plain data. The expected values
are computed here, in the grader's process, and compared here.

Each exercise names its spec in the release (cell metadata ``course.verify = "module:attribute"``):
a module of the installed course_utils.grading.specs, or the stem of a spec file the instructor names
explicitly (``--specs FILE``). Nothing is ever imported from the release folder or a submission. A
spec (Spec) says which function to call, how to draw its cases (each with its own check of the result),
what the exercise may use (``namespace`` and ``modules``) and where its answer lives
(``reference_modules``, which must never be exposed).

Here: the run and its verdicts. The spec's classes and the loading of specs are in verify_specs.py (their names
are imported here too: verify.Spec, verify.load_spec, ...).
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import numpy as np

from course_utils.grading import harness, scan_process
from course_utils.grading.harness_run import run_harness
from course_utils.grading.verify_specs import (  # noqa: F401  (specs and the grader import them from here)
    BASE_MODULES,
    SPEC_PACKAGE,
    Case,
    Provided,
    Spec,
    as_number,
    check_specs,
    close_array,
    close_number,
    describe,
    load_spec,
    policies,
    spec_files,
    within,
)


# ------------------------------------------------------------------------------------- the run
@dataclass
class Verdict:
    """The verification result of one exercise: ok, and the message when not (when ok: a note, or "")."""

    ok: bool
    message: str = ""
    facts: dict = field(default_factory=dict)  # see Spec.facts
    budget: bool = False  # not done because the grading time budget ran out (the record says timed out)


def _encode_arg(value):
    if isinstance(value, Provided):
        return {"__provided__": value.name, "params": harness.encode(tuple(value.params))}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_arg(v) for v in value]}
    return harness.encode(value)


BUDGET_OUT = "the grading time budget ran out before the verification run was done"


def verify_notebook(rnb, sources, specs, workdir, *, uid, sandboxed, timeout, seed=None, deadline=None, call=None,
                    skip_cells=()):
    """Verify every exercise of one notebook whose source is in `sources` ({exercise: str}).

    specs -- the spec files the instructor named (Release.specs; see load_spec).
    Every exercise cell of the notebook runs in each harness run (they may call each other); the
    exercises are called in the run their policy allows (policies()). Returns {exercise: Verdict}.
    Never raises for anything the student's code does.
    sandboxed -- True (a bubblewrap sandbox), False (none: as an unprivileged uid when the grader is root)
    deadline -- time.time() by which verification must end: what is left undone then gets a Verdict with
        budget=True; call -- the exercises to call (default all; the others get a failed Verdict with their
        facts only: e.g. their check failed in the notebook, so no verdict can give them points);
        skip_cells -- exercises whose cells are not run (they hung in the notebook and would hang here).
    """
    rng = np.random.default_rng(secrets.randbits(128) if seed is None else seed)
    specs = {name: load_spec(rnb.exercises[name].verify, spec_files(specs)) for name in sources}
    # the cells as Python (IPython syntax turned by the sandboxed parser process, scan_process.python_untrusted: the
    # harness loads no IPython then), or as written where the parser could not (the harness turns them itself,
    # harness.python_source); a spec that reads a cell (spec.reads) parses its text as written, no transformer run on it
    stop = None if deadline is None else time.monotonic() + (deadline - time.time())
    every_cell = [[n, sources[n]] for n in rnb.exercises if n in sources]
    cell_sources = [_as_python(n, text, stop) for n, text in every_cell if n not in skip_cells]
    verdicts = {}
    for names, namespace, modules in policies(specs):
        verdicts.update(_verify_group({n: specs[n] for n in names}, cell_sources, namespace, modules, rng,
                                      workdir, uid=uid, sandboxed=sandboxed, timeout=timeout, stop=stop,
                                      call=set(sources) if call is None else set(call), given=dict(every_cell)))
    return verdicts


def _as_python(exercise, text, stop=None):
    """[exercise, source, whether source is already Python] for the harness's request (past the budget's end, stop,
    the parser is not asked: no run will start)."""
    python = None if stop is not None and time.monotonic() >= stop else scan_process.python_untrusted(text)
    return [exercise, text, False] if python is None else [exercise, python, True]


def _verify_group(specs, cell_sources, namespace, modules, rng, workdir, *, uid, sandboxed, timeout, given, stop=None,
                  call=None):
    """given -- {exercise: its cell as written} (what a spec that reads a cell reads)."""
    calls, owners = [], []
    verdicts, cell_errors = {}, {}
    for name, spec in specs.items():
        if call is not None and name not in call:
            verdicts[name] = Verdict(False, "not verified (the notebook's check did not pass)")
            continue
        if stop is not None and time.monotonic() >= stop:
            verdicts[name] = Verdict(False, BUDGET_OUT, budget=True)
            continue
        drawn = spec.cases(rng, {n: given.get(n) for n in spec.reads}) if spec.reads else spec.cases(rng)
        if isinstance(drawn, str):  # the spec cannot judge this submission (e.g. no usable capstone code): the verdict
            verdicts[name] = Verdict(False, drawn)
            continue
        for case in drawn:
            calls.append({"exercise": name, "function": spec.function,
                          "args": _encode_arg(tuple(case.args)), "kwargs": _encode_arg(dict(case.kwargs)),
                          "overrides": {k: _encode_arg(v) for k, v in case.overrides.items()}})
            owners.append((name, case))
    pending = list(range(len(calls)))
    judged = {}  # call index -> _judge_call's message (None: right), judged as the results come
    answered = {}  # call index -> its result event (for the specs that name mistakes)
    deadline = time.monotonic() + timeout * (1 + len(specs))
    if stop is not None:
        deadline = min(deadline, stop)
    while pending and time.monotonic() < deadline:
        request = {"namespace": namespace, "cells": cell_sources, "calls": [calls[i] for i in pending]}
        events, problem = run_harness(request, workdir, uid, sandboxed, modules,
                                       max(1.0, deadline - time.monotonic()), timeout,
                                       enough=_enough(pending, owners, specs, verdicts, judged, cell_errors))
        results, started = {}, []
        for event in events:
            if "cell" in event:
                cell_errors.setdefault(str(event["cell"]), str(event.get("error", ""))[:500])
            elif isinstance(event.get("start"), int) and 0 <= event["start"] < len(pending):
                started.append(pending[event["start"]])
            elif isinstance(event.get("call"), int) and 0 <= event["call"] < len(pending):
                results[pending[event["call"]]] = event
        answered.update(results)
        for i in pending:
            if i in results:
                name, case = owners[i]
                if name not in verdicts:
                    message = judged[i] if i in judged else _judge_call(specs[name], case, results[i],
                                                                        cell_errors.get(name))
                    if message is not None:
                        verdicts[name] = Verdict(False, message)
        unanswered = [i for i in pending if i not in results]
        if problem and stop is not None and time.monotonic() >= stop - 0.5:  # cut by the budget, not by itself
            for i in unanswered:
                verdicts.setdefault(owners[i][0], Verdict(False, BUDGET_OUT, budget=True))
            pending = []
            break
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
        out_of_budget = stop is not None and time.monotonic() >= stop
        verdicts.setdefault(owners[i][0], Verdict(False, BUDGET_OUT, budget=True) if out_of_budget
                            else Verdict(False, "the verification run did not finish in time"))
    for name, spec in specs.items():
        note = spec.note({n: given.get(n) for n in spec.reads}) if spec.note else ""
        verdicts.setdefault(name, Verdict(True, note))
        if spec.facts:
            verdicts[name].facts = dict(spec.facts({n: given.get(n) for n in spec.reads}))
        if spec.mistake is not None and not verdicts[name].ok:
            mine = [i for i, (owner, _) in enumerate(owners) if owner == name]
            try:
                mistake = spec.mistake([owners[i][1] for i in mine], [answered.get(i) for i in mine])
            except Exception:  # noqa: BLE001 -- naming a mistake must never crash the grader on odd values
                mistake = None
            if mistake:
                verdicts[name].facts["mistake"] = mistake
    return verdicts


def _enough(pending, owners, specs, verdicts, judged, cell_errors):
    """The `enough` of one harness run over the calls `pending` (harness_run.stream): judges each result as it comes (into
    judged; cell errors into cell_errors, as _verify_group records them) and says True once every call still to come
    belongs to an exercise that has failed -- a verdict is its first failing call, so those calls cannot change it,
    however long they would take."""
    failed = set(verdicts)  # exercises decided before this run (none of their calls is pending)

    def enough(event):
        if "cell" in event:
            cell_errors.setdefault(str(event["cell"]), str(event.get("error", ""))[:500])
            return False
        at = event.get("call")
        if not (isinstance(at, int) and 0 <= at < len(pending)):
            return False
        i = pending[at]
        name, case = owners[i]
        if name not in failed:
            judged[i] = _judge_call(specs[name], case, event, cell_errors.get(name))
            if judged[i] is not None:
                failed.add(name)
        return all(owners[j][0] in failed for j in pending[at + 1:])

    return enough


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
