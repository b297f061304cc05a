"""Mistakes as data: a known mistake is a record, the way a bug is a record in course_utils/bugs.py, and one
function decides which mistake explains a student's answers.

A Mistake has a stable id (``<exercise abbreviation>.<snake_case_name>``, e.g. ``gcn.one_sided_difference``), the
hint a check prints after "Most likely: ", and a model: what a function with that mistake returns on each case
the check tried -- a callable model(case), or the stored values, one per case. Each exercise has a table of them
(a tuple of Mistakes, registered with `table`).

The rule, in one place (`explain`): a mistake is named only when it explains EVERY case -- its model gives what
the student's function gave on each case where both say something -- so that two mistakes which agree on one input
by chance are never confused; and when two mistakes explain the answers, none is named: a hint that names the
wrong mistake is worse than none.

A check that names a mistake raises `failure(message, mistake)`: an AssertionError whose text is the message and,
when a mistake explains the answers, "\\nMost likely: <hint>" -- and whose id is machine-readable (`mistake_of`).
The grader never imports the checks; it finds an id from an exercise and a hint with `named`, over the tables
registered in the modules TABLES lists.

It sits below the checks and the grader, with the rest of course_utils.expect: it imports nothing of course_utils
but the tables' modules (TABLES, all in course_utils.expect), and those only when `registered` is asked.

Using it for an exercise whose mistakes are not records yet: put them in a table (Mistake(id, hint, model) for each,
registered with table(exercise, ...) in a course_utils.expect module listed in TABLES), collect the cases the check
tried and what the student's function gave on each, and raise failure(message, explain(table, cases, results,
close)). A verification spec gets the same id with grading.specs._common.named_mistake(table, case_of, close).
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any


class _CannotSay:
    def __repr__(self):
        return "CANNOT_SAY"


CANNOT_SAY = _CannotSay()
"""What a model returns on a case it cannot predict (e.g. `x ^ 2` on a float): that case neither agrees nor
disagrees. A model that raises on a case disagrees with it (the mistake would not give that result)."""
NO_RESULT = None  #: a result the engine skips: the student's function gave nothing usable on that case

#: the errors a model may raise on a case it cannot reproduce: the mistake does not explain that case
MODEL_ERRORS = (ArithmeticError, ValueError, TypeError, KeyError, IndexError)

#: the modules that hold the course's mistake tables (imported by `named`, for the grader)
TABLES = ("course_utils.expect.nb00", "course_utils.expect.nb01", "course_utils.expect.nb02",
          "course_utils.expect.nb03", "course_utils.expect.gradient_check_n", "course_utils.expect.block_differences",
          "course_utils.expect.backward_propagation_n", "course_utils.expect.nb05", "course_utils.expect.nb06_mistakes")


@dataclass(frozen=True)
class Mistake:
    """One known mistake of an exercise.

    id -- stable, ``<exercise abbreviation>.<snake_case_name>``: what the class mistake report counts
    hint -- the sentence a check prints after "Most likely: " when this mistake explains the answers; a hint that
        says what the answer shows has fields ("{where}"), which the check fills in (`filled`)
    model -- what the mistaken function returns: model(case) -> its result on that case (CANNOT_SAY: no
        prediction there; an exception of MODEL_ERRORS: it disagrees), or a sequence of stored results, one per
        case, in the cases' order (None or CANNOT_SAY for no prediction)
    """

    id: str
    hint: str
    model: Callable[[Any], Any] | Sequence | None = None

    def __post_init__(self):
        head, dot, name = self.id.partition(".")
        if not (dot and head and name and self.id == self.id.lower() and " " not in self.id):
            raise ValueError(f"a mistake id is '<exercise>.<snake_case_name>', got {self.id!r}")
        if not isinstance(self.hint, str) or not self.hint.strip():
            raise ValueError(f"mistake {self.id}: its hint must be a sentence, got {self.hint!r}")

    def filled(self, **fields):
        """This mistake, its hint's fields filled in (str.format)."""
        return replace(self, hint=self.hint.format(**fields))

    def says(self, hint):
        """Whether `hint` is this mistake's hint, its fields (if any) filled in with anything."""
        if hint.strip() == self.hint.strip():
            return True
        if "{" not in self.hint:
            return False
        pattern = re.sub(r"\\\{\w+(?:![rsa])?(?::[^}]*)?\\\}", lambda _: "(.+?)", re.escape(self.hint.strip()))
        return re.fullmatch(pattern, hint.strip(), re.DOTALL) is not None

    def predict(self, index, case):
        """What this mistake returns on `case`, the index-th case (CANNOT_SAY when it cannot say)."""
        if self.model is None:
            return CANNOT_SAY
        if callable(self.model):
            return self.model(case)
        value = self.model[index] if index < len(self.model) else CANNOT_SAY
        return CANNOT_SAY if value is None else value


def explains(mistake, cases, results, close, needed=()):
    """Whether `mistake` explains every result: on each case with a result (not NO_RESULT) where the model says
    something, close(result, prediction, case) is true; it says something on at least one such case, and on every
    index of `needed` (e.g. the case that failed)."""
    said = set()
    for i, (case, result) in enumerate(zip(cases, results)):
        if result is NO_RESULT:
            if i in needed:
                return False
            continue
        try:
            predicted = mistake.predict(i, case)
            if predicted is CANNOT_SAY:
                continue
            if not close(result, predicted, case):
                return False
        except MODEL_ERRORS:
            return False
        said.add(i)
    return bool(said) and all(i in said for i in needed)


def explaining(mistakes, cases, results, close, needed=()):
    """Every mistake of `mistakes` (distinct ids, in table order) that explains every result (see `explains`)."""
    found = {}
    for mistake in mistakes:
        if mistake.id not in found and explains(mistake, cases, results, close, needed):
            found[mistake.id] = mistake
    return list(found.values())


def explain(mistakes, cases, results, close, needed=()):
    """The one mistake that explains every case, or None -- None also when two (distinct ids) explain them.

    mistakes -- the exercise's table (Mistake records; records that share an id are variants of one mistake)
    cases -- what the check tried, in order; each is passed to the models and to close
    results -- what the student's function gave, one per case (NO_RESULT where it gave nothing usable)
    close -- close(result, prediction, case) -> whether the result is the prediction (the check's tolerance)
    needed -- indices of the cases every named mistake must predict (e.g. the one that failed)
    """
    found = explaining(mistakes, cases, results, close, needed)
    return found[0] if len(found) == 1 else None


# ------------------------------------------------------------------------------------------ the failure
class Said(str):
    """A check's message that knows the id of the mistake it names (None: no mistake named). It is the text of
    the AssertionError, so the id survives when the error is raised again with the same args."""

    mistake: str | None = None

    def __new__(cls, text, mistake=None):
        said = super().__new__(cls, text)
        said.mistake = mistake
        return said


def most_likely(mistake):
    """The line a check appends for `mistake` (a Mistake or None): "\\nMost likely: <hint>", or ""."""
    return f"\nMost likely: {mistake.hint}" if mistake is not None else ""


def failure(message, mistake=None):
    """The AssertionError a check raises: `message`, then `most_likely(mistake)`; the mistake's id (or None) is
    its `.mistake` and its text's (see mistake_of)."""
    mid = mistake.id if mistake is not None else None
    error = AssertionError(Said(message + most_likely(mistake), mid))
    error.mistake = mid
    return error


def mistake_of(error):
    """The id of the mistake a check's AssertionError names, or None."""
    mid = getattr(error, "mistake", None)
    if mid is None and getattr(error, "args", None):
        mid = getattr(error.args[0], "mistake", None)
    return mid


# ------------------------------------------------------------------------------------------ the tables
_REGISTRY: dict[str, tuple[Mistake, ...]] = {}


def table(exercise, *mistakes):
    """Register `mistakes` as (part of) the table of `exercise` and return them as a tuple. Every id of an exercise
    names one hint; an id already registered with another hint raises ValueError."""
    known = {m.id: m for m in _REGISTRY.get(exercise, ())}
    for m in mistakes:
        if not isinstance(m, Mistake):
            raise TypeError(f"table({exercise!r}): {m!r} is not a Mistake")
        if m.id in known and known[m.id].hint != m.hint:
            raise ValueError(f"mistake {m.id} of {exercise} has two hints")
        known.setdefault(m.id, m)
    _REGISTRY[exercise] = tuple(known.values())
    return tuple(mistakes)


def registered(exercise=None):
    """{exercise: its Mistakes} of every table imported so far (TABLES included), or one exercise's Mistakes."""
    for module in TABLES:
        importlib.import_module(module)
    return dict(_REGISTRY) if exercise is None else _REGISTRY.get(exercise, ())


def find(exercise, mid):
    """The registered Mistake of `exercise` with the id `mid`, or None."""
    return next((m for m in registered(exercise) if m.id == mid), None)


def named(exercise, hint):
    """The id of the mistake of `exercise` whose hint is `hint` (what follows "Most likely: " in a check's
    message), or None."""
    if not hint:
        return None
    table = registered(exercise)
    return next((m.id for m in table if m.hint.strip() == hint.strip()), None) or \
        next((m.id for m in table if m.says(hint)), None)
