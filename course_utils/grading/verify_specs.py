"""The verification run's specs: what a spec is (Spec, Case, Provided: see verify.py's docstring), where the
grader finds the spec of an exercise (load_spec), and which exercises share a harness run (policies).
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

# The comparisons decide right/wrong for the notebook checks and for this verification run alike (the specs
# import them from here, or from verify).
from course_utils.compare import as_number, close_array, close_number, describe, within  # noqa: F401
from course_utils.grading.harness_providers import PROVIDERS


@dataclass(frozen=True)
class Provided:
    """A callable argument the harness builds from data: PROVIDERS[name](*params) (harness_providers.py)."""

    name: str
    params: tuple = ()

    def build(self):
        """The same callable, in this process (to compute expected values)."""
        return PROVIDERS[self.name](*self.params)


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
    cases: object  # cases(rng: np.random.Generator) -> list of Case, or a str: why it cannot be judged (the verdict)
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
    # mistake(cases, events) -> the id of the known mistake that explains every result of a failed verification
    # (course_utils.expect.mistakes), or None; events[i] is the harness's result event of cases[i] (None: no
    # result). The id goes into the verdict's facts["mistake"] (the class mistake report counts it)
    mistake: object = None


BASE_MODULES = ("__init__.py",)


# -------------------------------------------------------------------------------------------- specs
SPEC_PACKAGE = "course_utils.grading.specs"  #: the installed specs; a release names "course_utils.grading.specs:<name>"
_LOADED = {}


def spec_files(specs):
    """The spec files the instructor named (--specs FILE), as a tuple of Paths. Anything that is not a list or tuple of
    files -- e.g. the release folder older callers pass -- names none: nothing is ever loaded from a folder."""
    if not isinstance(specs, (list, tuple)):
        return ()
    return tuple(Path(f) for f in specs)


def load_spec(reference, specs=()):
    """The Spec named "module:attribute" (a release notebook's course.verify).

    module is the installed package's specs (course_utils.grading.specs or one of its modules) or the stem of a file
    in `specs`, the spec files the instructor named explicitly (--specs FILE). Nothing is imported from the release
    folder or a submission, whatever they hold: in the Classroom route both are the student's own repository.
    Raises LookupError naming the reference when it names anything else or no Spec.
    """
    module_name, _, attribute = str(reference).partition(":")
    named = {f.stem: f for f in spec_files(specs)}
    if module_name in named:
        local = named[module_name]
        if not local.is_file():
            raise LookupError(f"verification spec {reference!r}: the spec file {local} does not exist")
        key = str(local.resolve())
        if key not in _LOADED:
            loader = importlib.util.spec_from_file_location(f"_named_specs_{len(_LOADED)}", local)
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
            _LOADED[key] = module
    elif module_name == SPEC_PACKAGE or module_name.startswith(SPEC_PACKAGE + "."):
        key = module_name
        if key not in _LOADED:
            try:
                _LOADED[key] = importlib.import_module(module_name)
            except ImportError:
                raise LookupError(f"verification spec {reference!r}: {module_name} is not an installed module") from None
    else:
        raise LookupError(f"verification spec {reference!r} is neither in the installed {SPEC_PACKAGE} nor in a spec "
                          "file named with --specs FILE (the grader never loads code from the release or a submission)")
    spec = getattr(_LOADED[key], attribute, None)
    if not isinstance(spec, Spec):
        raise LookupError(f"verification spec {reference!r} is not a Spec")
    return spec


def check_specs(release, specs=()):
    """Load the spec of every exercise of the release; raises LookupError naming the first one that cannot be found."""
    for rnb in release.notebooks.values():
        for exercise in rnb.exercises.values():
            try:
                load_spec(exercise.verify, specs)
            except LookupError as exc:
                raise LookupError(f"{rnb.name}, exercise {exercise.name!r}: {exc}") from None


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
