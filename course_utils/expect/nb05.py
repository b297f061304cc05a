"""What the checks of notebook 05 and the grader's verification of it share (course_utils.checks.nb05,
course_utils.grading.specs.nb05): directional_check's relative difference and how far a right answer may be from
it, and the known mistakes of cost_with_l2 (l2.*) and directional_check (dc.*). It imports core modules only (README,
"Layers"): the checks and the grader import it, it imports neither.
"""
from dataclasses import dataclass

import numpy as np

from course_utils.compare import EPS
from course_utils.expect.mistakes import Mistake, table


def _rd1(analytic, numerical):
    total = abs(numerical) + abs(analytic)
    return float(abs(numerical - analytic) / total) if total > 0 else 0.0


def _directional_tolerance(cost_values, theta, grad, epsilon, numerical, analytic):
    """How far a right directional_check may be from the reference: the round-off of any order of its float
    operations -- the points theta +- epsilon u (rounded differently: |grad| |theta| u), the costs divided by
    2 epsilon in another order (u |J| / epsilon), and grad . u summed in another order (n u |grad|)."""
    theta, grad = np.asarray(theta, dtype=float), np.asarray(grad, dtype=float)
    jmax = max(max(abs(float(v)) for v in cost_values), 1.0)
    g = float(np.linalg.norm(grad))
    eta_numerical = 4 * EPS * (jmax + g * (float(np.linalg.norm(theta)) + epsilon)) / epsilon
    eta_analytic = 2 * EPS * theta.size * g
    total = abs(numerical) + abs(analytic)
    value = _rd1(analytic, numerical)
    return (2 * (eta_numerical + eta_analytic) / total if total > 0 else 0.0) + 1e-9 * value


# ------------------------------------------------------------------------------------------ the known mistakes
# Records of course_utils.expect.mistakes; the checks (course_utils/checks/nb05.py) name the one that explains every
# case (course_utils.expect.mistakes.explain). No model takes an exercise's own arguments (this package ships to
# every student): each takes a case object.

@dataclass(frozen=True)
class L2Case:
    """What cost_with_l2 was given: the cross-entropy cost c, the parameters, lambd and m."""

    c: float
    params: dict
    lambd: float
    m: int

    @property
    def squares(self):
        """sum(W_l ** 2) of each layer l = 1 .. L."""
        return [float(np.sum(np.square(w))) for w in self.weights]

    @property
    def weights(self):
        layers = len([k for k in self.params if k.startswith("W")])
        return [self.params[f"W{l}"] for l in range(1, layers + 1)]

    def with_sum(self, total, factor=None):
        """c + factor * total, factor lambd / (2 m) by default."""
        return self.c + (self.lambd / (2 * self.m) if factor is None else factor) * total


def _biases(c):
    bs = sum(float(np.sum(np.square(c.params[f"b{l}"]))) for l in range(1, len(c.weights) + 1))
    return c.with_sum(sum(c.squares) + bs)


L2_MISTAKES = table(
    "cost_with_l2",
    Mistake("l2.biases_regularized", "you regularized the biases too: L2 uses the W's only, not the b's.", _biases),
    Mistake("l2.missing_half", "the factor is lambd / (2 * m): you forgot the 1/2.",
            lambda c: c.with_sum(sum(c.squares), c.lambd / c.m)),
    Mistake("l2.operator_precedence", "operator precedence: `lambd / 2 * m` multiplies by m; write lambd / (2 * m).",
            lambda c: c.with_sum(sum(c.squares), c.lambd / 2 * c.m)),
    Mistake("l2.not_divided_by_m", "divide by m as well: the factor is lambd / (2 * m).",
            lambda c: c.with_sum(sum(c.squares), c.lambd / 2)),
    Mistake("l2.factor_lambd", "the factor is lambd / (2 * m), not lambd.",
            lambda c: c.with_sum(sum(c.squares), c.lambd)),
    Mistake("l2.three_layers_only", "only W1, W2, W3 were summed: loop over every layer, l = 1 .. len(parameters) "
            "// 2.", lambda c: c.with_sum(sum(c.squares[:3])) if len(c.squares) >= 3 else None),
    Mistake("l2.last_layer_left_out", "the last layer's W was left out (range(1, L) stops at L - 1): loop over l = 1 "
            ".. L, range(1, L + 1).", lambda c: c.with_sum(sum(c.squares[:-1]))),
    Mistake("l2.norms_not_squared", "square the Frobenius norms: np.sum(np.square(W)), or np.linalg.norm(W) ** 2.",
            lambda c: c.with_sum(sum(float(np.linalg.norm(w)) for w in c.weights))),
    Mistake("l2.weights_not_squared", "np.sum(W) adds the weights up without squaring them: use "
            "np.sum(np.square(W)).", lambda c: c.with_sum(sum(float(np.sum(w)) for w in c.weights))),
    Mistake("l2.square_of_sum", "square every weight, then sum: np.sum(np.square(W)), not np.sum(W) ** 2.",
            lambda c: c.with_sum(sum(float(np.sum(w)) ** 2 for w in c.weights))),
    Mistake("l2.term_only", "you returned only the L2 term: add it to cross_entropy_cost.",
            lambda c: c.lambd / (2 * c.m) * sum(c.squares)),
    Mistake("l2.m_from_shape", "m is the number of examples you are given, not a shape of W1: use the argument m.",
            lambda c: c.with_sum(sum(c.squares), c.lambd / (2 * c.weights[0].shape[1]))),
    Mistake("l2.ignored_lambd", "you ignored the lambd argument (this matches lambd = 0.7): use the lambd you are "
            "given.", lambda c: c.with_sum(sum(c.squares), 0.7 / (2 * c.m))),
)

# directional_check: a model takes a case of the check (an object with got, eps, tol, numerical, analytic, j_plus,
# j0, j_minus and model(numerical) -> (the difference with that numerical slope, its tolerance)) and returns a
# (value, tolerance) pair, or a list of them (any of them).
DC_MISTAKES = table(
    "directional_check",
    Mistake("dc.missing_factor_2", "the centered difference divides by 2 * epsilon, not by epsilon: (cost(theta + "
            "epsilon * u) - cost(theta - epsilon * u)) / (2 * epsilon).", lambda c: c.model(2 * c.numerical)),
    Mistake("dc.operator_precedence", "operator precedence: `/ 2 * epsilon` multiplies by epsilon; write "
            "/ (2 * epsilon).", lambda c: c.model(c.numerical * c.eps * c.eps)),
    Mistake("dc.compared_with_itself", "a difference of exactly 0 is too good to be true: compare the numerical "
            "slope with grad . u, not with itself.", lambda c: (0.0, 0.0)),
    Mistake("dc.one_sided_difference", "you used a one-sided difference (cost(theta + epsilon * u) - cost(theta)) / "
            "epsilon; use the centered one, (cost(theta + epsilon * u) - cost(theta - epsilon * u)) / (2 * epsilon).",
            lambda c: [c.model((c.j_plus - c.j0) / c.eps), c.model((c.j0 - c.j_minus) / c.eps)]),
    Mistake("dc.signed_difference", "the difference is a distance, never negative: take the absolute value of the "
            "numerator, abs(numerical - analytic) / (abs(numerical) + abs(analytic)); yours keeps its sign.",
            lambda c: [(s * (c.numerical - c.analytic) / (abs(c.numerical) + abs(c.analytic)), c.tol)
                       for s in (1.0, -1.0) if abs(c.numerical) + abs(c.analytic) > 0]),
    Mistake("dc.second_point_theta", "the second point is theta itself, not theta - epsilon * u (e.g. theta_minus = "
            "theta_plus - epsilon * u, which is theta again): use cost(theta - epsilon * u).",
            lambda c: c.model((c.j_plus - c.j0) / (2 * c.eps))),
)
