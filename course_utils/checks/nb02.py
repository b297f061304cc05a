"""Checks of notebook 02 check a 1-D gradient (J(theta) = theta * x).

The inputs: the canonical x = 2, theta = 4 first (its line is the notebook's reference output), then
inputs drawn from np.random.default_rng(SEED) with every combination of signs, scales from 1e-3 to 1e4
and the edge values x = 0 and theta = 0 -- so an answer that is right for positive numbers only (abs,
max(., 0), a sign) or for the canonical numbers only fails.

gradient_check is run three ways:
- with the notebook's own forward/backward passes, where the result is pure round-off: it is compared
  with a noise bound computed from the actual theta and epsilon (expect.nb02.noise_bound), not with one float
  order's digits, so a right answer that orders its operations differently passes;
- with backward_propagation replaced, for the call, by a WRONG pass that returns k * x (k = 2, 0.4,
  -0.5): the difference must then be |k - 1| / (|k| + 1). This is what tells a gradient_check that
  never asks backward_propagation (grad = x, or gradapprox compared with itself), or that divides by
  ||grad + gradapprox|| (equal to ||grad|| + ||gradapprox|| when both have the same sign), from a right one;
- with a theta near 1.5e9 and epsilon = 0.1: there theta +- 1e-7 rounds to theta, so a gradient_check that
  ignores its epsilon argument returns about 1 instead of round-off;
- last, with a forward pass that is not linear in theta (J = theta x + 0.9 theta**2) and its right backward pass:
  an answer that writes the slope of theta x (gradapprox = x) instead of the centered difference fails there.
The calls of forward_propagation and backward_propagation are recorded (the notebook's names are
replaced for the call and restored afterwards), which names the one-sided difference, a thetaminus built
from thetaplus, an ignored epsilon and swapped arguments. A mistake is named only when the answer agrees
with it on EVERY input, and none when two do, so that one coincidence cannot name the wrong mistake: the mistakes are
records in course_utils.expect.nb02 (course_utils.expect.mistakes.explain).
"""
import numbers

import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fmt,
    exercise_check,
)
from course_utils.expect.mistakes import explain, explaining, failure
from course_utils.expect.nb02 import (
    ANY_WRONG,
    BP_MISTAKES,
    FP_MISTAKES,
    GC_FORMULA_MISTAKES,
    GC_FORWARD,
    GC_IGNORED_EPSILON,
    GC_ITSELF,
    GC_NEVER_CALLED,
    GC_SWAPPED_SEEN,
    PassCase,
    _predicted,
    curved_noise_bound,
    noise_bound,
)
from course_utils.gradcheck import numerical_gradient, relative_difference

U = np.finfo(float).eps / 2  #: unit round-off of float64, 2**-53


def _draw(rng, sign, low, high):
    """sign * a number of 4 significant digits, log-uniform in [10**low, 10**high)."""
    return sign * float(f"{10 ** rng.uniform(low, high):.4g}")


def _cases_jx(rng):
    """(x, theta) of the 1-D passes: the canonical (2, 4), every sign combination at several scales, and
    the edge values x = 0 and theta = 0."""
    return [(2, 4),
            (_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1)),   # x < 0 < theta
            (_draw(rng, 1, -1, 1), _draw(rng, -1, -1, 1)),   # theta < 0 < x
            (_draw(rng, -1, -3, 3), _draw(rng, -1, -3, 3)),  # both negative, other scales
            (_draw(rng, 1, 2, 4), _draw(rng, 1, -3, -1)),    # large x, small theta
            (0.0, _draw(rng, -1, 0, 1)),                     # x = 0
            (_draw(rng, 1, 0, 1), 0.0)]                      # theta = 0


def _call_1d(fn, name, x, theta):
    call = f"{name}(x={x}, theta={theta})"
    try:
        return _as_float(fn(x, theta), call=call), call
    except ZeroDivisionError as error:
        raise AssertionError(f"{call} raised ZeroDivisionError ({error}): x = 0 and theta = 0 are valid inputs, "
                             "and J = theta * x and its derivative need no division.") from None


def _check_1d(fn, name, want_of, mistakes):
    """Run fn on every case; fail on the first wrong one, naming the one mistake of `mistakes` (a table of
    course_utils.expect.nb02) that agrees with fn on every case (course_utils.expect.mistakes.explain; a model that
    predicts ANY_WRONG agrees with anything but a right result)."""
    results = []
    for x, theta in _cases_jx(np.random.default_rng(SEED)):
        try:
            got, call = _call_1d(fn, name, x, theta)
        except AssertionError as error:  # not a number: reported in its turn, after any earlier wrong value
            got, call = error, None
        results.append((x, theta, got, call))

    def agrees(got, value, case):
        if value is ANY_WRONG:
            return isinstance(got, AssertionError) or not _close(got, want_of(case.x, case.theta), 1e-12)
        return not isinstance(got, AssertionError) and _close(got, value, 1e-9)
    for x, theta, got, call in results:
        if isinstance(got, AssertionError):
            raise got
        want = want_of(x, theta)
        if not _close(got, want, 1e-12):
            mistake = explain(mistakes, [PassCase(a, t) for a, t, _, _ in results], [g for _, _, g, _ in results],
                              agrees)
            raise failure(f"{call} returned {_fmt(got)}, expected {_fmt(want)}.", mistake)


@exercise_check
def check_forward_propagation(forward_propagation):
    """forward_propagation(x, theta) must return J = theta * x."""
    _check_1d(forward_propagation, "forward_propagation", lambda x, t: t * x, FP_MISTAKES)
    print("forward_propagation passed: J(x=2, theta=4) = 8")


@exercise_check
def check_backward_propagation(backward_propagation):
    """backward_propagation(x, theta) must return dtheta = x."""
    _check_1d(backward_propagation, "backward_propagation", lambda x, t: x, BP_MISTAKES)
    print("backward_propagation passed: dtheta(x=2, theta=4) = 2")


def _exact_difference(k):
    """The relative difference a right gradient_check returns in exact arithmetic (J = theta * x is linear, so
    gradapprox = x): 0 with the notebook's own backward pass (k None), |k - 1| / (|k| + 1) with a pass that returns
    k * x (for x != 0). A right answer is within round-off of it (_noise_bound)."""
    return 0.0 if k is None else abs(k - 1) / (abs(k) + 1)


def _shown_difference(case):
    """The difference the pass line shows for a case with the notebook's own passes: the course library's 1-D check
    of J = theta * x (numerical_gradient, relative_difference), one number for every right answer -- the check cell's
    output is compared with the reference output when graded, so it must not depend on the order of an answer's
    float operations."""
    gradapprox = numerical_gradient(lambda t: float(t[0, 0]) * case.x, np.array([[float(case.theta)]]), case.eps)
    return relative_difference(np.array([[float(case.x)]]), gradapprox)


class _Case:
    """One call of the student's gradient_check: x, theta, epsilon (None: the default), k (None: the
    notebook's own backward pass; else a wrong pass k * x replaces it for the call)."""

    def __init__(self, x, theta, epsilon, k):
        self.x, self.theta, self.epsilon, self.k = x, theta, epsilon, k
        self.eps = 1e-7 if epsilon is None else epsilon
        self.noise = noise_bound(theta, self.eps)
        self.want = _exact_difference(k)
        self.args = (x, theta) if epsilon is None else (x, theta, epsilon)
        self.call = f"gradient_check({', '.join(map(str, self.args))})"
        self.got = None
        self.forward_calls, self.backward_calls = [], []

    def right(self, got):
        if self.k is None:
            return bool(np.isfinite(got)) and 0 <= got <= self.noise
        return _close(got, self.want, rtol=1e-9, atol=4 * self.noise + 1e-15)

    def expected(self):
        if self.k is None:
            return (f"expected a difference of round-off size (anything from 0 to {self.noise:.2g} is right for "
                    "these inputs: the backward pass is right here)")
        return (f"expected {self.want:.4g}: for this call the check replaced backward_propagation by a WRONG one "
                f"that returns {self.k:g} * x, so the difference must be |k - 1| / (|k| + 1) = {self.want:.4g}")

    def thetas(self):
        """The theta of every recorded forward_propagation call (floats)."""
        out = []
        for args, kwargs in self.forward_calls:
            t = args[1] if len(args) > 1 else kwargs.get("theta")
            try:
                out.append(float(np.ravel(t)[0]))
            except (TypeError, ValueError, IndexError):
                pass
        return out

    def near(self, t, target):
        return abs(t - target) <= self.eps / 4 + 8 * U * abs(self.theta)

    def one_sided(self):
        ts = self.thetas()
        return (any(self.near(t, self.theta + self.eps) for t in ts) and any(self.near(t, self.theta) for t in ts)
                and not any(self.near(t, self.theta - self.eps) for t in ts))

    def other_step(self):
        """The step J was evaluated at, when it is not epsilon (an ignored argument), else None."""
        ts = self.thetas()
        step = max((abs(t - self.theta) for t in ts), default=0.0)
        if step > 0 and not any(self.near(t, self.theta + self.eps) or self.near(t, self.theta - self.eps)
                                for t in ts):
            return step
        return None


def _cases(rng, fakes):
    """The canonical call, random calls with the notebook's passes, and (fakes) calls with a wrong pass."""
    cases = [_Case(2, 4, None, None),
             _Case(_draw(rng, 1, -1, 1), _draw(rng, -1, -1, 1), 1e-7, None),
             _Case(_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1), 1e-5, None),
             _Case(_draw(rng, -1, 1, 3), _draw(rng, -1, -2, 0), 1e-3, None),
             _Case(_draw(rng, 1, -1, 1), -float(f"{rng.uniform(1.1, 2):.4g}e9"), 0.1, None)]
    if fakes:
        cases += [_Case(_draw(rng, -1, -1, 1), _draw(rng, 1, -1, 1), 1e-6, 2.0),
                  _Case(_draw(rng, 1, -9, -8), _draw(rng, -1, -1, 1), 1e-4, 0.4),
                  _Case(_draw(rng, 1, -1, 1), _draw(rng, -1, -1, 1), 1e-7, -0.5)]
    return cases


def _recording(store, fn):
    def wrapper(*args, **kwargs):
        store.append((args, kwargs))
        return fn(*args, **kwargs)
    return wrapper


def _wrong_backward(k):
    return lambda x, theta: k * x


def _run(gradient_check, namespace, case):
    """Call gradient_check for one case, with the notebook's passes recorded (and backward replaced when
    case.k is set); the notebook's names are restored afterwards, whatever happens."""
    originals = {name: namespace[name] for name in ("forward_propagation", "backward_propagation")
                 if callable(namespace.get(name))}
    stores = {"forward_propagation": case.forward_calls, "backward_propagation": case.backward_calls}
    try:
        for name, fn in originals.items():
            if name == "backward_propagation" and case.k is not None:
                fn = _wrong_backward(case.k)
            namespace[name] = _recording(stores[name], fn)
        result = gradient_check(*case.args)
    finally:
        namespace.update(originals)
    case.got = _as_float(result, call=case.call)


def _close_difference(got, predicted, case):
    value, scale = predicted
    return _close(got, value, 1e-6, 8 * case.noise * scale + 1e-15)


def _gradient_check_mistake(cases, recorded, backward_recorded):
    """The one known mistake the answers agree with on every case (see the module doc), or None -- None also when
    two do (course_utils.expect.mistakes.explain)."""
    if all(c.got == 0.0 for c in cases) and (not recorded or all(c.thetas() for c in cases)):
        return GC_ITSELF  # exactly 0 everywhere, though J was evaluated: gradapprox against itself
    sided = [c for c in cases if c.one_sided()]
    if recorded and sided:
        from_plus = all(_close(c.got, _predicted("thetaminus_from_thetaplus", c)[0], 1e-6, 8 * c.noise)
                        for c in sided)
        return GC_FORMULA_MISTAKES[0] if from_plus else GC_FORWARD
    found = []
    own = [c for c in cases if c.epsilon not in (None, 1e-7) and c.thetas()]
    steps = [(c, c.other_step()) for c in own if c.other_step() is not None]
    if recorded and steps and not any(c.near(t, c.theta + c.eps) or c.near(t, c.theta - c.eps)
                                      for c in own for t in c.thetas()):
        c, step = steps[0]
        found.append(GC_IGNORED_EPSILON.filled(epsilon=f"{c.eps:g}", step=f"{step:.2g}"))
    if backward_recorded and not any(c.backward_calls for c in cases):
        found.append(GC_NEVER_CALLED)
    swapped = [c for c in cases if c.backward_calls and c.theta != c.x]
    if swapped and all(len(c.backward_calls[0][0]) == 2 and c.backward_calls[0][0][0] == c.theta
                       and c.backward_calls[0][0][1] == c.x for c in swapped):
        found.append(GC_SWAPPED_SEEN)
    found += explaining(GC_FORMULA_MISTAKES, cases, [c.got for c in cases], _close_difference)
    found = list({m.id: m for m in found}.values())
    return found[0] if len(found) == 1 else None


@exercise_check
def check_gradient_check(gradient_check):
    """gradient_check(x, theta, epsilon=1e-7) -- with the notebook's forward/backward_propagation --
    must return the relative difference of the centered 1-D check (see the module doc)."""
    namespace = getattr(gradient_check, "__globals__", None)
    namespace = namespace if isinstance(namespace, dict) else {}
    # The check runs the student's function with the notebook's own passes; check those first.
    for fname, want in (("forward_propagation", 8.0), ("backward_propagation", 2.0)):
        fn = namespace.get(fname)
        if callable(fn):
            got = fn(2, 4)
            if not (isinstance(got, numbers.Real) or (isinstance(got, np.ndarray) and got.size == 1)) \
                    or not _close(float(np.asarray(got).ravel()[0]), want, 1e-12):
                raise AssertionError(f"gradient_check calls your {fname}, which returned {_fmt(got)} for "
                                     f"x=2, theta=4 (expected {want:g}). Fix {fname} first (its own check "
                                     "cell tells you how), run its cell again, then this one.")
    recorded = callable(namespace.get("forward_propagation"))
    backward_recorded = callable(namespace.get("backward_propagation"))
    cases = _cases(np.random.default_rng(SEED), fakes=backward_recorded)
    for case in cases:
        _run(gradient_check, namespace, case)
    wrong = next((c for c in cases if not c.right(c.got)), None)
    mistake = _gradient_check_mistake(cases, recorded, backward_recorded) if wrong else None
    if wrong is None and recorded and any(c.one_sided() for c in cases):
        c = next(c for c in cases if c.one_sided())
        raise failure(f"{c.call} returned {_fmt(c.got)}, but it evaluated J at theta + epsilon and at theta, never at "
                      "theta - epsilon.", GC_FORWARD)
    if wrong is not None:
        raise failure(f"{wrong.call} returned {_fmt(wrong.got)}, {wrong.expected()}.", mistake)
    if recorded and backward_recorded:
        _check_curved(gradient_check, namespace)
    print(f"gradient_check passed: difference = {_shown_difference(cases[0]):.2g} < 1e-07")


CURVED = (1.5, 0.8, 0.9)  #: x, theta, c of the curved case: J = theta x + c theta**2, slope x + 2 c theta = 2.94


def _check_curved(gradient_check, namespace):
    """Run gradient_check once more with a forward pass that is not linear in theta (J = theta x + c theta**2) and
    its right backward pass: the difference must be round-off. An answer that writes the slope of theta x
    (gradapprox = x) instead of taking the centered difference of forward_propagation passes every case above
    -- there the forward pass is theta x -- and fails this one."""
    x, theta, c = CURVED
    epsilon = 1e-7
    originals = {name: namespace[name] for name in ("forward_propagation", "backward_propagation")}
    try:
        namespace["forward_propagation"] = lambda x, theta: theta * x + c * theta * theta
        namespace["backward_propagation"] = lambda x, theta: x + 2 * c * theta
        got = _as_float(gradient_check(x, theta, epsilon), call=f"gradient_check({x}, {theta}, {epsilon})")
    finally:
        namespace.update(originals)
    bound = 4 * curved_noise_bound(x, theta, c, epsilon)
    if not (np.isfinite(got) and 0 <= got <= bound):
        raise failure(f"with the forward pass J = theta * x + {c} * theta**2 and its right backward pass (slope x + "
                      f"{2 * c:g} * theta), gradient_check({x}, {theta}, {epsilon}) returned {_fmt(got)}, expected a "
                      f"difference of round-off size (below {bound:.1g}). It passes where J = theta * x, so gradapprox "
                      "does not follow forward_propagation there: compute it from forward_propagation(x, theta + "
                      "epsilon) and forward_propagation(x, theta - epsilon), whatever J is.")
