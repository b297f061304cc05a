"""What every check shares: stub reporting, result coercion, comparisons, hints, test data."""
import contextlib
import functools
import io
import numbers
import os
import re
import sys
import textwrap
import types

import numpy as np

from course_utils import network, vectors
from course_utils.bugs import COLLEAGUE_BUGS  # noqa: F401 -- re-exported to the checks
from course_utils.compare import fmt as _fmt  # noqa: F401 -- re-exported to the checks
from course_utils.compare import within
from course_utils.expect import PRINTS_ADVICE
from course_utils.expect.exposure import ALLOWED
from course_utils.gradcheck import THRESHOLD  # noqa: F401 -- re-exported to the checks

SEED = 20240521  #: seed of the checks' own random inputs
DEEP_DIMS = (3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 2, 1)  #: a 12-layer net, so W10 < W2 as strings
#: the width a check wraps what it shows at: JupyterLab breaks a longer line of output anywhere, inside a number
#: ("1.189|091302e-07") or a word; 84 columns fit JupyterLab's output area in a window 1100 px wide with the file
#: browser open (tests/test_browser.py)
WIDTH = 84


def wrap(text, width=WIDTH):
    """`text` with every line longer than `width` broken at spaces (never inside a word or a number).

    A continued line keeps the indentation of its first line, plus two spaces after a list dash ("- dW2: ...").
    Words longer than `width` stay whole.
    """
    lines = []
    for line in str(text).split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        indent = re.match(r"\s*(?:- )?", line).group(0)
        lines += textwrap.wrap(line, width=width, subsequent_indent=" " * len(indent), break_long_words=False,
                               break_on_hyphens=False, drop_whitespace=True) or [line]
    return "\n".join(lines)




def _require_function(fn, exercise):
    if not callable(fn):
        raise TypeError(f"check_{exercise} needs your function {exercise} itself (its name, without "
                        f"calling it), got {type(fn).__name__}")


def _stub_message(exercise, fn, error):
    """The short message for a NotImplementedError raised by the student's code, or None if it was not.

    The innermost frame of the student's notebook (the globals of `fn`) that the error went through
    decides: `fn` itself (or code nested in it) -> its own stub; another function of the notebook,
    known there by its name -> a helper exercise that is still the stub.
    """
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict):
        return None
    frames, tb = [], error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals is namespace:
            frames.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    if not frames:
        return None
    raiser = frames[-1]
    if raiser is not getattr(fn, "__code__", None) \
            and getattr(namespace.get(raiser.co_name), "__code__", None) is raiser:
        return (f"{exercise} calls your {raiser.co_name}, which is still the stub: "
                "do that exercise first")
    detail = str(error)
    return f"{exercise} is not written yet" + (f": {detail}" if detail else "")


PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # course_utils/


def _students_frames(tb):
    """The traceback `tb` without the frames of course_utils (the checks' own code, which can state the answer)."""
    kept = []
    while tb is not None:
        if not os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(PACKAGE + os.sep):
            kept.append(tb)
        tb = tb.tb_next
    chain = None
    for entry in reversed(kept):
        chain = types.TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain


class CheckFailed(AssertionError):
    """The check's verdict: an AssertionError that IPython shows as its message alone.

    IPython renders an exception with `_render_traceback_` by calling it, so no frame of course_utils (whose
    source could state the answer) reaches the student; nbval and the grader see ename "AssertionError".
    """

    def _render_traceback_(self):
        return [wrap(f"AssertionError: {self}")]


CheckFailed.__name__ = CheckFailed.__qualname__ = "AssertionError"


class NotWrittenYet(NotImplementedError):
    """A stub's NotImplementedError, shown by IPython as its one line (see CheckFailed)."""

    def _render_traceback_(self):
        return [wrap(f"NotImplementedError: {self}")]


NotWrittenYet.__name__ = NotWrittenYet.__qualname__ = "NotImplementedError"


PRINTS_RULE = "{exercise} gives the right results, but it also printed {printed!r}: " + PRINTS_ADVICE


def _clip(text, width):
    return text if len(text) <= width else text[: width - 3] + "..."


def exercise_check(check):
    """Make `check_<exercise>` a check: the exercise comes from its name; it refuses what is not a function
    and, once the answers are right, what uses course code the grader will not give it
    (_course_code_problem); it reports failures as _reports_stubs says. The one decorator every check of
    course_utils.checks wears."""
    exercise = check.__name__.removeprefix("check_")

    @functools.wraps(check)
    def checked(fn):
        __tracebackhide__ = True  # noqa: F841
        _require_function(fn, exercise)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            result = check(fn)
        problem = _course_code_problem(fn, exercise)  # right answers, but would they be right when graded?
        if problem:
            raise AssertionError(problem)
        sys.stdout.write(printed.getvalue())
        return result
    return _reports_stubs(exercise)(checked)


def _course_file(obj):
    """The unit of course_utils a verification sandbox exposes or not that `obj` comes from: "vectors.py",
    "checks" (a subpackage), ...; None for anything that is not course_utils code."""
    name = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    if not isinstance(name, str) or not name.startswith("course_utils."):
        return None
    parts = name.split(".")
    if len(parts) > 2:
        return parts[1]  # a subpackage: checks, grading, expect
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None) or ""
    return parts[1] if os.path.basename(path) == "__init__.py" else f"{parts[1]}.py"


def _filled(cell):
    try:
        _ = cell.cell_contents
    except ValueError:  # a closure cell not assigned yet
        return False
    return True


def _global_names(code):
    """Every name the code object (and the functions, lambdas, comprehensions nested in it) looks up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _course_code_problem(fn, exercise):
    """What the check says when `fn`, or a function of the notebook it calls, uses course_utils code that the
    grader's verification run of `exercise` does not have (the course's own implementation, its checks):
    the check would pass and the grade be 0. None when there is nothing to say (or the exercise is not in
    course_utils.expect.exposure.ALLOWED, which the grader's specs take their modules and policy from)."""
    spec = ALLOWED.get(exercise)
    allowed = set(getattr(spec, "modules", None) or ()) | {"__init__.py"}
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)
    namespace = getattr(fn, "__globals__", None)
    if spec is None or not isinstance(namespace, dict) or not hasattr(fn, "__code__"):
        return None
    todo, seen = [fn], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        used = [(name, namespace[name]) for name in sorted(_global_names(current.__code__)) if name in namespace]
        code = current.__code__
        defaults = current.__defaults__ or ()
        used += list(zip(code.co_varnames[:code.co_argcount][len(code.co_varnames[:code.co_argcount]) - len(defaults):],
                         defaults))
        used += list((current.__kwdefaults__ or {}).items())
        used += [(name, cell.cell_contents) for name, cell in zip(code.co_freevars, current.__closure__ or ())
                 if _filled(cell)]
        for name, obj in used:
            if isinstance(obj, types.FunctionType) and obj.__globals__ is namespace:
                todo.append(obj)  # another function of the notebook: what it uses counts too
                continue
            unit = _course_file(obj)
            if unit is not None and unit not in allowed:
                if isinstance(obj, types.ModuleType):
                    where = obj.__name__
                else:
                    where = f"{obj.__module__}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"
                return (f"{exercise} gives the right results, but it uses {name} ({where}), which the grader's "
                        f"verification run does not have -- there {spec.policy}. Calling the course's own code "
                        f"earns no points: write it without {name}.")
    return None


def _reports_stubs(exercise):
    """Decorate check_<exercise>: what a failing check shows the student is only what helps.

    - AssertionError (the check's verdict): the message alone -- no line of course_utils, no chained error;
    - a stub's NotImplementedError: short (see the module doc);
    - any other error of the student's code: unchanged, with the student's own frames only.
    """
    def decorate(check):
        @functools.wraps(check)
        def run(fn):
            __tracebackhide__ = True  # noqa: F841 -- IPython and pytest leave this frame out
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    result = check(fn)
            except NotImplementedError as error:
                sys.stdout.write(printed.getvalue())
                message = _stub_message(exercise, fn, error)
                if message is None:
                    raise error.with_traceback(_students_frames(error.__traceback__)) from None
                raise NotWrittenYet(message) from None
            except AssertionError as error:
                sys.stdout.write(printed.getvalue())  # what the student's code printed helps them debug
                raise CheckFailed(*error.args).with_traceback(_students_frames(error.__traceback__)) from None
            except Exception as error:
                sys.stdout.write(printed.getvalue())
                # the student's own error, re-raised as it was (its cause and context kept), minus the course's frames
                raise error.with_traceback(_students_frames(error.__traceback__))  # noqa: B904
            lines = printed.getvalue().splitlines(keepends=True)
            extra = "".join(lines[:-1]).strip()
            if extra:  # the rule the grader applies too: a function prints nothing of its own
                raise CheckFailed(PRINTS_RULE.format(exercise=exercise, printed=_clip(extra, 200))) from None
            last = "".join(lines[-1:])
            sys.stdout.write(wrap(last.rstrip("\n")) + "\n" if last else "")  # the pass line, wrapped like a message
            return result
        return run
    return decorate


def _as_float(value, *, call):
    """The student's result as a float, or AssertionError naming the usual type mistakes; call: the call the messages
    show. (call is keyword-only: a function of (x, theta) that returns x as a float would answer notebook 02's
    backward_propagation, and the checks ship to every student -- tests/test_release_answers.py.)"""
    if value is None:
        raise AssertionError(f"{call} returned None. Did you forget `return` (maybe you printed the "
                             "result instead of returning it)?")
    if isinstance(value, (bool, np.bool_)):
        raise AssertionError(f"{call} returned {value!r}, a bool: return the number itself.")
    if isinstance(value, np.ndarray):
        if value.ndim == 0 and np.issubdtype(value.dtype, np.number):
            return float(value)
        raise AssertionError(f"{call} returned an array of shape {value.shape} instead of a float. Return "
                             "a plain number, e.g. float(x) or x.item() (np.dot of (n,1) vectors gives (1,1)).")
    if isinstance(value, numbers.Real):
        return float(value)
    raise AssertionError(f"{call} returned {_fmt(value)} ({type(value).__name__}); expected a float.")


def _close(got, want, rtol=1e-9, atol=0.0):
    """True when got is within atol + rtol |want| of want (course_utils.compare: the grader's verification uses it too)."""
    return within(got, want, rtol, atol)


def _same_arrays(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def _copy_dict(d):
    return {k: np.array(v, copy=True) for k, v in d.items()}


def _deep_parameters(seed=SEED):
    """The 12-layer parameters (W1..W12) of the vector exercises."""
    return network.initialize_parameters(list(DEEP_DIMS), seed=seed)


def _random_classic_case(rng, m):
    """A random 3-layer net (other sizes than the classic one), data X (4, m) and labels Y (1, m)."""
    parameters = network.initialize_parameters([4, 6, 3, 1], seed=int(rng.integers(1 << 30)))
    X = rng.standard_normal((4, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.int64)
    Y[0, :2] = (0, 1)  # both labels present
    return X, Y, parameters


def _vector_cost(X, Y, shapes):
    return lambda theta: network.forward_propagation_n(X, Y, vectors.vector_to_dictionary(theta, shapes))[0]
