"""Checks of notebook 01 approximate a derivative.

The difference quotients are tried on functions with slopes of both signs, small and large x and
several epsilons, among them inputs that differ in ONE argument only (so a function that ignores f, x
or epsilon shows it). A right answer may order its float operations differently: the expected value
is compared within a noise bound computed from the actual f values and epsilon. The known mistakes are records in
course_utils.expect.nb01; one is named only when it explains the results on every input tried, and none when two do
(course_utils.expect.mistakes.explain).
"""
import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fmt,
    _require_function,
    exercise_check,
)
from course_utils.checks.nb00 import _evidence, _gather, _matches
from course_utils.compare import noise_bound
from course_utils.expect.mistakes import explain, explaining, explains, failure
from course_utils.expect.nb01 import CD_MISTAKES, FD_MISTAKES, HARD_CODED, RD_MISTAKES, QuotientCase, RelativeCase
from course_utils.gradcheck import relative_difference


def _cube(x):
    return x ** 3


def _big_cubic(x):
    return 0.01 * x ** 3 - 5 * x


def _cases_1d(rng):
    """(label, f, x, epsilon) for the difference quotients: x**3 at 2 first, then slopes of both signs, a
    large negative x, and inputs that each differ from the first exp one in a single argument."""
    x_sin = float(rng.choice([-1.0, 1.0]) * rng.uniform(1.8, 2.8))  # |x| in (pi/2, pi): a negative slope
    x_exp = float(rng.uniform(-0.3, 0.9))  # exp and cos differ clearly here
    x_big = float(-rng.uniform(20, 40))
    return [
        ("x**3", _cube, 2.0, 1e-3),
        ("sin", np.sin, x_sin, 1e-4),
        ("exp", np.exp, x_exp, 1e-2),
        ("exp", np.exp, x_exp, 3e-3),  # only epsilon changed
        ("exp", np.exp, x_exp, 0.5),  # only epsilon changed, by a lot
        ("exp", np.exp, x_exp + 0.5, 1e-2),  # only x changed
        ("cos", np.cos, x_exp, 1e-2),  # only f changed
        ("0.01 x**3 - 5 x", _big_cubic, x_big, 1e-5),
        ("x**3", _cube, -x_sin, 2.5e-2),
    ]


def _quotient(f, x, e, kind):
    return (f(x + e) - f(x)) / e if kind == "forward" else (f(x + e) - f(x - e)) / (2 * e)


def _noise(f, x, e):
    """A bound on the round-off of any order of the float operations of a difference quotient (the same
    bound as the verification run's, course_utils.grading.specs.nb01)."""
    return noise_bound(abs(f(x + e)) + abs(f(x)) + abs(f(x - e)), e)


def _close_result(result, value, _case):
    """Whether a result (evidence, tol) is a model's prediction: a value, or (value, its own round-off bound)."""
    tol = result[1]
    if isinstance(value, tuple):  # (prediction, its own round-off bound)
        value, tol = value[0], max(tol, value[1])
    return _matches(result[0], _evidence(value), tol)


def _hard_coded(table, cases, results, failing):
    """The hard-coded epsilon that explains every result best (filled into its hint), or None."""
    best, best_score = None, np.inf
    for mistake, other in zip([m for m in table if m.id.endswith(".hard_coded_epsilon")], HARD_CODED):
        if not explains(mistake, cases, results, _close_result, needed=(failing,)):
            continue
        score = max(abs(r[0] - mistake.predict(i, c)[0]) / mistake.predict(i, c)[1]
                    for i, (c, r) in enumerate(zip(cases, results)) if r is not None)
        if score < best_score:
            best, best_score = mistake.filled(epsilon=f"{other:g}"), score
    return best


def _ignored(cases, results, wants, tols):
    """The arguments (f, x, epsilon) the student's function ignores: two inputs that differ in that argument
    only gave the same result, although the right results differ clearly (by 2 % at least, so that a result
    rounded to a few decimals is not taken for one that ignores an argument)."""
    names = ("f", "x", "epsilon")
    found = []
    for i in range(len(cases)):
        for j in range(i + 1, len(cases)):
            if results[i] is None or results[j] is None or isinstance(results[i][0], np.ndarray) \
                    or isinstance(results[j][0], np.ndarray):
                continue
            differ = [k for k in range(3) if cases[i][1 + k] is not cases[j][1 + k]
                      and cases[i][1 + k] != cases[j][1 + k]]
            if len(differ) != 1 or names[differ[0]] in found:
                continue
            tol = tols[i] + tols[j]
            apart = abs(wants[i] - wants[j])
            if abs(results[i][0] - results[j][0]) <= tol and apart > max(100 * tol, 0.02 * max(abs(wants[i]),
                                                                                                abs(wants[j]))):
                found.append(names[differ[0]])
    return [name for name in names if name in found]


def _quotient_mistake(table, cases, results, failing, wants, tols):
    """The one mistake of `table` that explains every result (the ignored arguments seen from the results), or
    None -- None also when two do (course_utils.expect.mistakes.explain)."""
    prefix = table[0].id.split(".")[0]
    model_cases = [QuotientCase(f, x, e) for _, f, x, e in cases]
    modelled = [m for m in table if not m.id.endswith(".hard_coded_epsilon")]
    found = explaining(modelled, model_cases, results, _close_result, needed=(failing,))
    fixed = _hard_coded(table, model_cases, results, failing)
    found += [fixed] if fixed is not None else []
    ignored = [name for name in _ignored(cases, results, wants, tols)
               if not (name == "epsilon" and fixed is not None
                       or name == "f" and any(m.id == f"{prefix}.cube_always" for m in found))]
    if len(ignored) == 1:
        found.append(_by_id(table, f"{prefix}.ignored_{ignored[0]}"))
    elif ignored:
        names = ", ".join(ignored[:-1]) + " and " + ignored[-1]
        found.append(_by_id(table, f"{prefix}.ignored_arguments").filled(names=names))
    return found[0] if len(found) == 1 else None


def _by_id(table, mid):
    """The record of `table` with the id `mid`."""
    return next(m for m in table if m.id == mid)


def _check_quotient(student, name, correct, table):
    _require_function(student, name)
    cases = _cases_1d(np.random.default_rng(SEED))
    wants = [_quotient(f, x, e, correct) for _, f, x, e in cases]
    tols = [1e-9 * abs(w) + _noise(f, x, e) for w, (_, f, x, e) in zip(wants, cases)]
    results = []
    for n, (label, f, x, e) in enumerate(cases):
        call = f"{name}({label}, x={x:.6g}, epsilon={e:g})"
        got = _as_float(student(f, x, e), call=call)
        results.append((got, 4 * tols[n]))
        if not _close(got, wants[n], rtol=0.0, atol=tols[n]):
            later = _gather(student, [c[1:] for c in cases], n + 1)
            results += [None if r is None else (r, 4 * t) for r, t in zip(later, tols[n + 1:])]
            raise failure(f"{call} returned {_fmt(got)}, expected {_fmt(wants[n])}.",
                          _quotient_mistake(table, cases, results, n, wants, tols))
    return wants[0]


@exercise_check
def check_forward_difference(forward_difference):
    """forward_difference(f, x, epsilon) must return (f(x + epsilon) - f(x)) / epsilon."""
    slope = _check_quotient(forward_difference, "forward_difference", "forward", FD_MISTAKES)
    print(f"forward_difference passed: slope of x**3 at 2 = {slope:.4f} (exact 12, error {abs(slope - 12):.1e})")


@exercise_check
def check_centered_difference(centered_difference):
    """centered_difference(f, x, epsilon) must return (f(x + epsilon) - f(x - epsilon)) / (2 epsilon)."""
    slope = _check_quotient(centered_difference, "centered_difference", "centered", CD_MISTAKES)
    print(f"centered_difference passed: slope of x**3 at 2 = {slope:.4f} (exact 12, error {abs(slope - 12):.1e})")


# --------------------------------------------------------------------------------- relative difference
def _rd_noise(g, a):
    """A bound on the round-off of any right way to compute the relative difference of g and a: forming
    grad - gradapprox (or scaled copies of them) costs about u times the entries' size over the norms (the
    same bound as the verification run's)."""
    g, a = np.ravel(np.asarray(g, float)), np.ravel(np.asarray(a, float))
    return noise_bound((np.sum(np.abs(g)) + np.sum(np.abs(a))) / (np.linalg.norm(g) + np.linalg.norm(a)))


def _relative_cases(rng):
    """(label, grad, gradapprox): grad vs 2 * grad first, then other shapes, signs, scales and closeness."""
    g = np.array([[1.0], [2.0], [3.0]])
    r = rng.standard_normal((5, 1))
    v = rng.standard_normal(7)
    m = rng.standard_normal((3, 4)) * 1e-3
    c = rng.standard_normal((6, 1)) * 1e3
    return [
        ("grad=[[1],[2],[3]], gradapprox=2*grad", g, 2 * g),
        ("grad, gradapprox: random (5, 1)", r, r + 0.3 * rng.standard_normal((5, 1))),
        ("grad, gradapprox: random (7,)", v, v * (1 + 0.01 * rng.standard_normal(7))),
        ("grad, gradapprox: random (3, 4) of size 1e-3", m, m + 0.5e-3 * rng.standard_normal((3, 4))),
        ("grad, gradapprox: random (6, 1) of size 1e3, difference ~1e-10", c,
         c * (1 + 1e-10 * rng.standard_normal((6, 1)))),
        ("grad: random (4, 1), gradapprox = -0.5 * grad + noise", 3 * r[:4], -1.5 * r[:4] + 0.1 * rng.standard_normal((4, 1))),
        ("grad=0 (3, 1), gradapprox random", np.zeros((3, 1)), rng.standard_normal((3, 1))),
        ("grad=2.0, gradapprox=2.5", 2.0, 2.5),
    ]


def _wants(cases):
    """The right result of every case: the course library's relative difference (which wants floats: an integer
    grad is converted first). No function here takes (grad, gradapprox): the checks ship to every student, so they
    hold nothing that answers an exercise (tests/test_release_answers.py)."""
    return [relative_difference(np.asarray(g, float), np.asarray(a, float)) for _, g, a in cases]


def _copy(value):
    return np.copy(value) if isinstance(value, np.ndarray) else value


def _mutated(before, after):
    return isinstance(before, np.ndarray) and not (isinstance(after, np.ndarray) and after.shape == before.shape
                                                   and after.dtype == before.dtype and np.array_equal(after, before))


def _call_rd(student, grad, approx, call):
    """The student's result, or AssertionError when it changed an argument in place."""
    g_in, a_in = _copy(grad), _copy(approx)
    value = student(g_in, a_in)
    for arg, before, after in (("grad", grad, g_in), ("gradapprox", approx, a_in)):
        if _mutated(before, after):
            raise AssertionError(f"{call} changed its argument {arg} in place (`{arg} -= ...`, `{arg} /= ...`, "
                                 f"{arg}[...] = ...): a function must not modify the arrays it is given. Compute "
                                 "grad - gradapprox into a new array instead.")
    return value


@exercise_check
def check_relative_difference(relative_difference_fn):
    """relative_difference(grad, gradapprox) must return ||g - a|| / (||g|| + ||a||), arguments untouched."""
    cases = _relative_cases(np.random.default_rng(SEED))
    wants = _wants(cases)
    results = []
    for n, (label, grad, approx) in enumerate(cases):
        want = wants[n]
        tol = 1e-9 * want + _rd_noise(grad, approx)
        call = f"relative_difference({label})"
        value = _call_rd(relative_difference_fn, grad, approx, call)
        evidence = _evidence(value)
        results.append(None if evidence is None else (evidence, 4 * tol))
        try:
            got, message = _as_float(value, call=call), None
        except AssertionError as error:
            got, message = None, str(error)
        if message is None and _close(got, want, rtol=0.0, atol=tol):
            continue
        later = _gather(relative_difference_fn, [(_copy(g2), _copy(a2)) for _, g2, a2 in cases], n + 1)
        results += [None if r is None else (r, 4 * (1e-9 * w2 + _rd_noise(g2, a2)))
                    for r, w2, (_, g2, a2) in zip(later, wants[n + 1:], cases[n + 1:])]
        mistake = explain(RD_MISTAKES, [RelativeCase(g2, a2) for _, g2, a2 in cases], results, _close_result,
                          needed=(n,))
        raise failure(f"{call} returned {_fmt(got)}, expected {_fmt(want)}." if message is None else message, mistake)
    print(f"relative_difference passed: grad vs 2 * grad gives {wants[0]:.4f} (= 1/3)")
