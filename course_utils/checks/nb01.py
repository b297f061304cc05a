"""Checks of notebook 01 approximate a derivative.

The difference quotients are tried on functions with slopes of both signs, small and large x and
several epsilons, among them inputs that differ in ONE argument only (so a function that ignores f, x
or epsilon shows it). A right answer may order its float operations differently: the expected value
is compared within a noise bound computed from the actual f values and epsilon. A known mistake is
named only when it explains the results on every input tried (nb00._consistent_hints).
"""
import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fail,
    _require_function,
    exercise_check,
)
from course_utils.checks.nb00 import _consistent_hints, _evidence, _gather
from course_utils.compare import noise_bound
from course_utils.gradcheck import relative_difference

HARD_CODED = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)  #: epsilons students hard-code


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


FLOAT32 = ("you computed in float32 (np.float32): about 7 significant digits, so the difference of two close "
           "values is mostly round-off; keep float64 (plain Python floats, numpy's default).")
ROUNDED = "you rounded the result (round(..., 4)?): return it unrounded; round only where you print it."


def _quotient_mistakes(cases, correct):
    """[(predict(i), hint)]: the usual mistakes of the exercise `correct` ("forward" or "centered")."""
    def mistake(formula, hint):
        return (lambda i: formula(*cases[i][1:])), hint
    one_sided = ("forward difference (f(x + epsilon) - f(x)) / epsilon" if correct == "forward"
                 else "centered difference (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)")
    if correct == "forward":
        mistakes = [
            mistake(lambda f, x, e: (f(x + e) - f(x - e)) / (2 * e),
                    "you computed the centered difference; this exercise asks for the "
                    "one-sided forward difference (f(x + epsilon) - f(x)) / epsilon."),
            mistake(lambda f, x, e: (f(x) - f(x - e)) / e,
                    "you used x - epsilon: the forward difference is (f(x + epsilon) - f(x)) / epsilon."),
            mistake(lambda f, x, e: (f(x + e) - f(x)) / (2 * e),
                    "you divided by 2 * epsilon: the forward difference divides by epsilon."),
            mistake(lambda f, x, e: (f(x + e) - f(x - e)) / e,
                    "you subtracted f(x - epsilon), 2 * epsilon away from f(x + epsilon), and divided by epsilon: "
                    "the forward difference is (f(x + epsilon) - f(x)) / epsilon."),
            mistake(lambda f, x, e: (f(x) - f(x + e)) / e,
                    "the sign is flipped: it is f(x + epsilon) - f(x), not f(x) - f(x + epsilon)."),
            mistake(lambda f, x, e: f(x + e) - f(x), "you forgot to divide by epsilon."),
            mistake(lambda f, x, e: (f(x + e) - f(x)) * e, "you multiplied by epsilon instead of dividing by it."),
            mistake(lambda f, x, e: f(x + e) - f(x) / e,
                    "operator precedence: f(x + epsilon) - f(x) / epsilon divides only f(x) by epsilon; "
                    "write (f(x + epsilon) - f(x)) / epsilon."),
            mistake(lambda f, x, e: abs(f(x + e) - f(x)) / e,
                    "you took an absolute value: a slope can be negative, leave out abs()."),
        ]
    else:
        mistakes = [
            mistake(lambda f, x, e: (f(x + e) - f(x)) / e,
                    "you used the one-sided forward difference (f(x + epsilon) - f(x)) / epsilon; "
                    "its error is O(epsilon), the centered one's O(epsilon^2)."),
            mistake(lambda f, x, e: (f(x) - f(x - e)) / e,
                    "you used the one-sided backward difference (f(x) - f(x - epsilon)) / epsilon; "
                    "the centered difference is (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)."),
            mistake(lambda f, x, e: (f(x + e) - f(x)) / (2 * e),
                    "you put the one-sided numerator f(x + epsilon) - f(x) over 2 * epsilon: the centered "
                    "difference subtracts f(x - epsilon), the point on the other side of x, 2 * epsilon away."),
            mistake(lambda f, x, e: (f(x) - f(x - e)) / (2 * e),
                    "you put the one-sided numerator f(x) - f(x - epsilon) over 2 * epsilon: the centered "
                    "difference is f(x + epsilon) - f(x - epsilon), the two points 2 * epsilon apart."),
            mistake(lambda f, x, e: (f(x + e) - f(x - e)) / e,
                    "you divided by epsilon: the two points are 2 * epsilon apart, so divide by (2 * epsilon)."),
            mistake(lambda f, x, e: (f(x + e) - f(x - e)) / 2 * e,
                    "operator precedence: `/ 2 * epsilon` divides by 2 and then MULTIPLIES by epsilon; "
                    "write / (2 * epsilon)."),
            mistake(lambda f, x, e: (f(x - e) - f(x + e)) / (2 * e),
                    "the sign is flipped: it is f(x + epsilon) - f(x - epsilon)."),
            mistake(lambda f, x, e: f(x + e) - f(x - e), "you forgot to divide by 2 * epsilon."),
            mistake(lambda f, x, e: f(x + e) - f(x - e) / (2 * e),
                    "operator precedence: f(x + epsilon) - f(x - epsilon) / (2 * epsilon) divides only "
                    "f(x - epsilon); put the numerator in parentheses."),
            mistake(lambda f, x, e: abs(f(x + e) - f(x - e)) / (2 * e),
                    "you took an absolute value: a slope can be negative, leave out abs()."),
        ]
    mistakes.append(mistake(lambda f, x, e: _quotient(_cube, x, e, correct),
                            f"you differentiated x**3 (the first test function) whatever f was: the {one_sided} "
                            "must call the f it is given."))
    f32 = np.float32
    mistakes.append(mistake(
        (lambda f, x, e: float((f32(f(x + e)) - f32(f(x))) / f32(e))) if correct == "forward" else
        (lambda f, x, e: float((f32(f(x + e)) - f32(f(x - e))) / (2 * f32(e)))), FLOAT32))
    mistakes += [mistake(lambda f, x, e, k=k: round(_quotient(f, x, e, correct), k), ROUNDED) for k in range(13)]
    return mistakes


def _hard_coded(cases, results, failing, correct):
    """The hard-coded epsilon that explains every result best, or None."""
    best, best_score = None, np.inf
    for other in HARD_CODED:
        def predict(i, other=other):
            _, f, x, _ = cases[i]
            return _quotient(f, x, other, correct), 4 * _noise(f, x, other)
        if not _consistent_hints(results, failing, [(predict, "")]):
            continue
        score = max(abs(r[0] - predict(i)[0]) / predict(i)[1] for i, r in enumerate(results) if r is not None)
        if score < best_score:
            best, best_score = other, score
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


def _quotient_hint(cases, results, failing, wants, tols, correct):
    hints = _consistent_hints(results, failing, _quotient_mistakes(cases, correct))
    fixed = _hard_coded(cases, results, failing, correct)
    if fixed is not None:
        hints.append(f"you ignored the epsilon argument (your results match epsilon = {fixed:g} hard-coded): "
                     "use the epsilon you are given.")
    ignored = [name for name in _ignored(cases, results, wants, tols)
               if not (name == "epsilon" and fixed is not None or name == "f" and any("x**3" in h for h in hints))]
    if len(ignored) == 1:
        hints.append(f"you ignored the {ignored[0]} argument: your result stayed the same when only "
                     f"{ignored[0]} changed.")
    elif ignored:
        names = ", ".join(ignored[:-1]) + " and " + ignored[-1]
        hints.append(f"you ignored the arguments {names}: your result stayed the same when any one of them "
                     "changed alone.")
    return " Or: ".join(hints)


def _check_quotient(student, name, correct):
    _require_function(student, name)
    cases = _cases_1d(np.random.default_rng(SEED))
    wants = [_quotient(f, x, e, correct) for _, f, x, e in cases]
    tols = [1e-9 * abs(w) + _noise(f, x, e) for w, (_, f, x, e) in zip(wants, cases)]
    results = []
    for n, (label, f, x, e) in enumerate(cases):
        call = f"{name}({label}, x={x:.6g}, epsilon={e:g})"
        got = _as_float(student(f, x, e), call)
        results.append((got, 4 * tols[n]))
        if not _close(got, wants[n], rtol=0.0, atol=tols[n]):
            later = _gather(student, [c[1:] for c in cases], n + 1)
            results += [None if r is None else (r, 4 * t) for r, t in zip(later, tols[n + 1:])]
            _fail(call, got, wants[n], _quotient_hint(cases, results, n, wants, tols, correct))
    return wants[0]


@exercise_check
def check_forward_difference(forward_difference):
    """forward_difference(f, x, epsilon) must return (f(x + epsilon) - f(x)) / epsilon."""
    slope = _check_quotient(forward_difference, "forward_difference", "forward")
    print(f"forward_difference passed: slope of x**3 at 2 = {slope:.4f} (exact 12, error {abs(slope - 12):.1e})")


@exercise_check
def check_centered_difference(centered_difference):
    """centered_difference(f, x, epsilon) must return (f(x + epsilon) - f(x - epsilon)) / (2 epsilon)."""
    slope = _check_quotient(centered_difference, "centered_difference", "centered")
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


def _relative_mistakes(cases):
    """[(predict(i), hint)]: the usual mistakes of relative_difference."""
    n = np.linalg.norm

    def mistake(formula, hint):
        def predict(i):
            _, g, a = cases[i]
            with np.errstate(all="ignore"):
                return formula(np.asarray(g, float), np.asarray(a, float), np.ravel(g).astype(float),
                               np.ravel(a).astype(float))
        return predict, hint

    def first(g, a, gv, av):
        return abs(gv[0] - av[0]) / (abs(gv[0]) + abs(av[0]))

    def last(g, a, gv, av):
        return abs(gv[-1] - av[-1]) / (abs(gv[-1]) + abs(av[-1]))

    def spectral(g, a, gv, av):
        if g.ndim != 2 or min(g.shape) < 2:
            return n(gv - av) / (n(gv) + n(av))
        return n(g - a, 2) / (n(g, 2) + n(a, 2))

    def flattened_one(g, a, gv, av):
        if g.ndim != 2 or g.shape[1] != 1 or g.size < 2:
            return None
        return n(gv - a) / (n(gv) + n(av))

    no_norms = ("you left out the norms: the relative difference is ||grad - gradapprox|| / (||grad|| + "
                "||gradapprox||), one number, with np.linalg.norm of each; dividing the arrays entry by entry "
                "gives an array.")
    return [
        mistake(lambda g, a, gv, av: (g - a) / (g + a), no_norms),
        mistake(lambda g, a, gv, av: np.abs(g - a) / (np.abs(g) + np.abs(a)), no_norms),
        mistake(lambda g, a, gv, av: n(gv - av),
                "you returned only the numerator ||grad - gradapprox||: divide by "
                "||grad|| + ||gradapprox|| so the difference does not depend on the gradient's size."),
        mistake(lambda g, a, gv, av: n(gv - av) / n(gv),
                "the denominator is ||grad|| + ||gradapprox||, not ||grad|| alone (with one norm the "
                "difference comes out about twice as large when grad ≈ gradapprox)."),
        mistake(lambda g, a, gv, av: n(gv - av) / n(av),
                "the denominator is ||grad|| + ||gradapprox||, not ||gradapprox|| alone (with one norm the "
                "difference comes out about twice as large when grad ≈ gradapprox)."),
        mistake(lambda g, a, gv, av: n(gv - av) / (2 * n(gv)),
                "the denominator is ||grad|| + ||gradapprox||, not 2 * ||grad||: it needs gradapprox too."),
        mistake(lambda g, a, gv, av: 2 * n(gv - av) / (n(gv) + n(av)),
                "you divided by the mean of the two norms: the denominator is their sum ||grad|| + ||gradapprox||."),
        mistake(lambda g, a, gv, av: n(gv - av) / n(gv + av),
                "the denominator is ||grad|| + ||gradapprox|| (the sum of the two norms), "
                "not the norm of the sum ||grad + gradapprox||."),
        mistake(lambda g, a, gv, av: n(gv - av) ** 2 / (n(gv) ** 2 + n(av) ** 2),
                "you squared the norms: use np.linalg.norm(...) itself, not its square."),
        mistake(lambda g, a, gv, av: n(gv - av) / (n(gv) ** 2 + n(av) ** 2),
                "you squared the norms in the denominator: use ||grad|| + ||gradapprox||."),
        mistake(lambda g, a, gv, av: n(gv - av) ** 2 / (n(gv) + n(av)),
                "you squared the numerator: use ||grad - gradapprox||."),
        mistake(lambda g, a, gv, av: np.sum(np.abs(gv - av)) / (np.sum(np.abs(gv)) + np.sum(np.abs(av))),
                "you used sums of absolute values (the 1-norm); use the 2-norm np.linalg.norm."),
        mistake(lambda g, a, gv, av: np.max(np.abs(gv - av)) / (np.max(np.abs(gv)) + np.max(np.abs(av))),
                "you used the largest entry (the max-norm); use the 2-norm np.linalg.norm."),
        mistake(lambda g, a, gv, av: abs(np.sum(gv - av)) / (abs(np.sum(gv)) + abs(np.sum(av))),
                "you squared the sum instead of summing the squares: the 2-norm is np.sqrt(np.sum(v ** 2)), "
                "i.e. np.linalg.norm(v)."),
        mistake(lambda g, a, gv, av: abs(n(gv) - n(av)) / (n(gv) + n(av)),
                "the numerator is the norm of the difference ||grad - gradapprox||, "
                "not the difference of the norms."),
        mistake(spectral, "np.linalg.norm(M, 2) of a 2-D array is its largest singular value, not the 2-norm "
                          "of all its entries: leave out the 2 (or flatten the arrays first)."),
        mistake(flattened_one, "grad - gradapprox became an (n, n) matrix: you flattened only one of them, and "
                               "(n,) minus (n, 1) broadcasts; flatten both or neither."),
        mistake(first, "only the first entries grad[0] and gradapprox[0] count in your result (a fixed index, "
                       "or a loop that returns in its first pass?): use all the entries."),
        mistake(last, "only the last entries count in your result: in a loop, add up (+=) the squares instead "
                      "of overwriting (=) them, and return after the loop."),
        mistake(lambda g, a, gv, av: float(n(np.float32(g) - np.float32(a)) / (n(np.float32(g)) + n(np.float32(a)))),
                FLOAT32),
        mistake(lambda g, a, gv, av: 0.0 if n(gv - av) > 0 else None,
                "your result is 0 although grad and gradapprox differ: did you compare a vector with itself "
                "(e.g. grad - grad)?"),
    ]


def _reference(grad, gradapprox):
    """The course's relative difference (which wants floats: an integer grad is converted first)."""
    return relative_difference(np.asarray(grad, float), np.asarray(gradapprox, float))


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
    results = []
    for n, (label, grad, approx) in enumerate(cases):
        want = _reference(grad, approx)
        tol = 1e-9 * want + _rd_noise(grad, approx)
        call = f"relative_difference({label})"
        value = _call_rd(relative_difference_fn, grad, approx, call)
        evidence = _evidence(value)
        results.append(None if evidence is None else (evidence, 4 * tol))
        try:
            got, message = _as_float(value, call), None
        except AssertionError as error:
            got, message = None, str(error)
        if message is None and _close(got, want, rtol=0.0, atol=tol):
            continue
        later = _gather(relative_difference_fn, [(_copy(g2), _copy(a2)) for _, g2, a2 in cases], n + 1)
        results += [None if r is None else (r, 4 * (1e-9 * _reference(g2, a2) + _rd_noise(g2, a2)))
                    for r, (_, g2, a2) in zip(later, cases[n + 1:])]
        hint = " Or: ".join(_consistent_hints(results, n, _relative_mistakes(cases)))
        if message is None:
            _fail(call, got, want, hint)
        raise AssertionError(message + (f"\nMost likely: {hint}" if hint else ""))
    first = _reference(cases[0][1], cases[0][2])
    print(f"relative_difference passed: grad vs 2 * grad gives {first:.4f} (= 1/3)")
