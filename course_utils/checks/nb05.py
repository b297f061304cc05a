"""Checks of notebook 05 gradient checking in practice.

directional_check runs on the classic net (its colleague's difference along seed 3 is the notebook's
reference output), on smooth costs of other sizes with right and wrong gradients, with epsilon and seed
given and left to their defaults, and once more on the same inputs (the direction must not change from call
to call):
- epsilon = 1e-2 on sum(exp(theta / 2)) makes the truncation error of a right gradient (not round-off) the
  expected value, so a direction that is not normalised (a longer step) or an ignored epsilon fails;
- a gradient of the wrong sign, and a wrong gradient with numerical < analytic, catch |numerical + analytic|
  in the denominator and a missing abs;
- the cost is recorded: where it was evaluated names a direction drawn otherwise than
  np.random.default_rng(seed) (np.random.randn, np.random.seed, an ignored seed), a step that is not
  epsilon * u with ||u|| = 1, and a one-sided difference; theta must never change, not even for a moment;
- where the expected value is round-off (a right gradient with a small epsilon) the answer is compared within
  a noise bound computed from the actual costs, theta, grad and epsilon (_directional_tolerance).

cost_with_l2 runs on the classic net (the reference output), a 12-layer net, a 5-layer net with large
weights, lambd = 0, and 1- and 2-layer nets, with cross-entropy costs and m that change from case to case.
A known mistake (a record of course_utils.expect.nb05) is named only when the answer agrees with it on EVERY case,
and none when two do (course_utils.expect.mistakes.explain; run so far: a function that
hard-codes three layers fails on the 12-layer net before it raises KeyError on the 1-layer one).
"""
import numpy as np

from course_utils import backprop, network, vectors
from course_utils.checks._common import (
    COLLEAGUE_BUGS,
    SEED,
    _as_float,
    _copy_dict,
    _deep_parameters,
    _fmt,
    _same_arrays,
    _vector_cost,
    exercise_check,
)
from course_utils.compare import within
from course_utils.expect.mistakes import explain, failure
from course_utils.expect.nb05 import DC_MISTAKES, L2_MISTAKES, L2Case, _directional_tolerance, _rd1

DEFAULT_EPSILON, DEFAULT_SEED = 1e-7, 0


def _direction(theta, seed):
    u = np.random.default_rng(seed).standard_normal(np.shape(theta))
    return u, u / np.linalg.norm(u)


class _DirCase:
    def __init__(self, label, cost, theta, grad, epsilon=None, seed=None):
        self.label, self.cost, self.theta, self.grad = label, cost, theta, grad
        self.epsilon, self.seed = epsilon, seed
        self.eps = DEFAULT_EPSILON if epsilon is None else epsilon
        self.sd = DEFAULT_SEED if seed is None else seed
        self.raw, self.u = _direction(theta, self.sd)
        e, u = self.eps, self.u
        self.j_plus, self.j_minus, self.j0 = (float(cost(theta + e * u)), float(cost(theta - e * u)),
                                              float(cost(theta)))
        self.numerical = (self.j_plus - self.j_minus) / (2 * e)
        self.analytic = float(np.sum(np.asarray(grad).ravel() * u.ravel()))
        self.want = _rd1(self.analytic, self.numerical)
        self.tol = self.tolerance(self.numerical, (self.j_plus, self.j_minus))
        self.points, self.got, self.mutated = [], None, False

    @property
    def call(self):
        extra = "" if self.epsilon is None else f", epsilon={self.epsilon:g}, seed={self.seed}"
        return f"directional_check({self.label}{extra})"

    def tolerance(self, numerical, costs, epsilon=None):
        return _directional_tolerance(costs, self.theta, self.grad, epsilon or self.eps, numerical, self.analytic)

    def model(self, numerical, costs=None, epsilon=None):
        """(value, tolerance) of the relative difference with another numerical slope."""
        return _rd1(self.analytic, numerical), self.tolerance(numerical, costs or (self.j_plus, self.j_minus), epsilon)

    def wrong(self):
        return not within(self.got, self.want, 0.0, self.tol)

    def run(self, directional_check):
        """Call the student's function on copies, recording every point the cost is evaluated at."""
        theta, grad = self.theta.copy(), self.grad.copy()
        points = []

        def recorded(t):
            points.append(np.array(t, dtype=float, copy=True))
            if not np.array_equal(theta, self.theta):
                self.mutated = True
            return self.cost(t)
        args = (recorded, theta, grad) + (() if self.epsilon is None else (self.epsilon, self.seed))
        result = directional_check(*args)
        if self.mutated or not np.array_equal(theta, self.theta):
            raise AssertionError(f"{self.call} changed theta in place (e.g. theta += epsilon * u): build new "
                                 "vectors, theta_plus = theta + epsilon * u and theta_minus = theta - epsilon * u, "
                                 "and leave theta as it is.")
        if not np.array_equal(grad, self.grad):
            raise AssertionError(f"{self.call} changed grad in place: leave the arrays you are given as they are.")
        self.got = _as_float(result, call=self.call)
        self.points = points
        return points

    def steps(self):
        """The displacements p - theta of the points the cost was evaluated at (theta's size only); a point
        within round-off of theta counts as theta itself (displacement 0)."""
        out, tiny = [], 1e-6 * min(self.eps, DEFAULT_EPSILON)
        for p in self.points:
            if p.size == self.theta.size:
                s = p.reshape(self.theta.shape) - self.theta
                out.append(s if np.linalg.norm(s) > tiny else np.zeros_like(s))
        return out


def _aligned(steps, direction):
    """Whether every nonzero step is along +-direction."""
    moves = [s for s in steps if np.linalg.norm(s) > 0]
    unit = direction / np.linalg.norm(direction)
    return bool(moves) and all(abs(float(np.sum(s * unit))) >= (1 - 1e-6) * np.linalg.norm(s) for s in moves)


def _points_problem(cases, repeat=None):
    """What the recorded points say is wrong (direction, step length), or None. repeat: the same call twice."""
    if repeat and [p.tobytes() for p in repeat[0].points] != [p.tobytes() for p in repeat[1].points]:
        return (f"{repeat[0].call} evaluated the cost at other points when called twice with the same arguments: "
                "the direction u changes from call to call, so it comes from an unseeded generator (np.random.randn "
                "or np.random.default_rng() without the seed). Draw it with "
                "u = np.random.default_rng(seed).standard_normal(theta.shape).")
    for c in cases:
        steps = c.steps()
        if not steps or _aligned(steps, c.u):
            continue
        moves = [s for s in steps if np.linalg.norm(s) > 0]
        if not moves:
            continue
        legacy = np.random.RandomState(c.sd).standard_normal(c.theta.shape)
        if _aligned(steps, legacy):
            return (f"{c.call}: the direction u comes from np.random.seed(seed) and np.random.randn (numpy's global "
                    "generator, which this check must not depend on): draw it with a local generator, "
                    "u = np.random.default_rng(seed).standard_normal(theta.shape).")
        for other in (0, 1, 42, 1234):
            if other != c.sd and _aligned(steps, _direction(c.theta, other)[0]):
                return (f"{c.call}: the cost was evaluated along np.random.default_rng({other})'s direction: you "
                        "ignored the seed argument. Draw u = np.random.default_rng(seed).standard_normal(theta.shape).")
        return (f"{c.call}: the cost was evaluated along another direction than "
                "u = np.random.default_rng(seed).standard_normal(theta.shape), normalised: draw u exactly that way, "
                "from the seed argument and with the shape of theta.")
    for c in cases:
        moves = [s for s in c.steps() if np.linalg.norm(s) > 0]
        if not moves:
            continue
        lengths = [float(np.linalg.norm(s)) for s in moves]
        raw = float(np.linalg.norm(c.raw))
        if all(abs(length / c.eps - 1) < 1e-6 for length in lengths):
            continue
        if all(abs(length / (c.eps * raw) - 1) < 1e-6 for length in lengths) and abs(raw - 1) > 1e-2:
            return (f"{c.call}: the direction u was not normalised (the cost was evaluated at theta +- epsilon * u "
                    f"with ||u|| = {raw:.3g}): divide u by np.linalg.norm(u) so that epsilon is the step length.")
        if c.eps != DEFAULT_EPSILON and all(abs(length / DEFAULT_EPSILON - 1) < 1e-6 for length in lengths):
            return (f"{c.call}: the cost was evaluated at theta +- 1e-07 * u: you ignored the epsilon argument "
                    f"(here epsilon = {c.eps:g}).")
        return (f"{c.call}: the cost was evaluated at a distance {lengths[0]:.3g} from theta, not epsilon = "
                f"{c.eps:g}: the points are theta + epsilon * u and theta - epsilon * u with ||u|| = 1.")
    return None


def _within_any(got, predicted, _case):
    """Whether `got` is a model's (value, tolerance), or any of a list of them."""
    return any(within(got, v, 0.0, t) for v, t in (predicted if isinstance(predicted, list) else [predicted]))


@exercise_check
def check_directional_check(directional_check):
    """directional_check(cost, theta, grad, epsilon=1e-7, seed=0): one random unit direction, centered."""
    X, Y, parameters = network.gradient_check_n_test_case()
    _, cache = network.forward_propagation_n(X, Y, parameters)
    theta, _ = vectors.dictionary_to_vector(parameters)
    classic = _vector_cost(X, Y, vectors.parameter_shapes(parameters))
    correct = vectors.gradients_to_vector(backprop.backward_propagation_n(X, Y, cache))
    buggy = vectors.gradients_to_vector(backprop.backward_propagation_n(X, Y, cache, bugs=COLLEAGUE_BUGS))
    rng = np.random.default_rng(SEED)
    t2 = rng.standard_normal((10, 1))

    def smooth(t):
        return float(np.sum(np.sin(t)) + 0.5 * np.sum(t * t))
    g2 = np.cos(t2) + t2
    g2[:3] *= 1.5  # a wrong gradient in a few entries (numerical < analytic along seed 7)
    t3 = rng.normal(0.0, 1.5, size=(12, 1))

    def exponential(t):
        return float(np.sum(np.exp(t / 2)))
    cases = [
        _DirCase("the classic net, correct gradient", classic, theta, correct),
        _DirCase("the classic net, the colleague's gradient", classic, theta, buggy, 1e-7, 3),
        _DirCase("sum(sin(theta)) + |theta|^2 / 2, a wrong gradient", smooth, t2, g2, 1e-5, 7),
        _DirCase("sum(exp(theta / 2)), the right gradient", exponential, t3, 0.5 * np.exp(t3 / 2), 1e-2, 11),
        _DirCase("the classic net, every gradient entry of the wrong sign", classic, theta, -correct, 1e-6, 4),
    ]
    again = _DirCase("the classic net, the colleague's gradient", classic, theta, buggy, 1e-7, 3)
    done = []
    for case in cases + [again]:
        try:
            case.run(directional_check)
        except (AssertionError, NotImplementedError):
            raise
        except Exception:
            if any(c.wrong() for c in done):
                break
            raise
        done.append(case)
    first = next((c for c in done if c.wrong()), None)
    if first is not None:
        problem = _points_problem([c for c in done if c is not again], (cases[1], again) if again in done else None)
        if problem:
            raise AssertionError(problem)
        tried = [c for c in done if c is not again]
        mistake = explain(DC_MISTAKES, tried, [c.got for c in tried], _within_any)
        message = f"{first.call} returned {_fmt(first.got)}, expected {_fmt(first.want)}"
        if first.tol > 1e-3 * abs(first.want):
            message += f" (within {first.tol:.2g}: round-off)"
        raise failure(message + ".", mistake)
    print(f"directional_check passed: difference = {cases[1].want:.3g} on notebook 04's network with the "
          "colleague's two bugs (seed 3)")


# ---------------------------------------------------------------------------------------------------------
# cost_with_l2

def _l2_close(got, predicted, _case):
    return predicted is not None and within(got, predicted, 1e-9, 1e-15)


@exercise_check
def check_cost_with_l2(cost_with_l2):
    """cost_with_l2(cross_entropy_cost, parameters, lambd, m) = cost + lambd / (2 m) * sum_l ||W_l||_F^2."""
    X, Y, classic = network.gradient_check_n_test_case()
    cce, _ = network.forward_propagation_n(X, Y, classic)
    deep = _deep_parameters()
    rng = np.random.default_rng(SEED)
    five = network.initialize_parameters([6, 5, 4, 3, 2, 1], seed=int(rng.integers(1 << 30)), scale=2.5)
    one = network.initialize_parameters([7, 1], seed=int(rng.integers(1 << 30)))
    two = network.initialize_parameters([3, 4, 1], seed=int(rng.integers(1 << 30)))
    cases = [("the classic net", cce, classic, 0.7, 3),
             ("a 12-layer net", round(float(rng.uniform(0.2, 1)), 4), deep, 0.1, 10),
             ("a 5-layer net with large weights", round(float(rng.uniform(0.2, 1)), 4), five, 2.5, 7),
             ("lambd = 0", 0.5, deep, 0.0, 4),
             ("a 1-layer net", round(float(rng.uniform(0.2, 1)), 4), one, 0.3, 5),
             ("a 2-layer net", round(float(rng.uniform(0.2, 1)), 4), two, 1.2, 2)]
    results = []
    for label, c, params, lambd, m in cases:
        want = c + network.l2_penalty(params, lambd, m)
        before = _copy_dict(params)
        call = f"cost_with_l2({label}, lambd={lambd}, m={m})"
        try:
            value = cost_with_l2(c, params, lambd, m)
        except (AssertionError, NotImplementedError):
            raise
        except Exception:
            if any(not within(got, w, 1e-9, 1e-15) for _, _, got, w in results):
                break
            raise
        if not _same_arrays(params, before):
            raise AssertionError(f"{call} changed the parameters it was given: compute with new arrays "
                                 "(np.square(W)), never W **= 2 or parameters[...] = ...")
        got = _as_float(value, call=call)
        results.append((call, L2Case(c, params, lambd, m), got, want))
    for call, _, got, want in results:
        if not within(got, want, 1e-9, 1e-15):
            mistake = explain(L2_MISTAKES, [r[1] for r in results], [r[2] for r in results], _l2_close)
            raise failure(f"{call} returned {_fmt(got)}, expected {_fmt(want)}.", mistake)
    penalty = network.l2_penalty(classic, 0.7, 3)
    print(f"cost_with_l2 passed: {cce:.4f} + L2 term {penalty:.4f} = {cce + penalty:.4f} (lambd = 0.7, m = 3)")
