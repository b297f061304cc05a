"""What the checks of notebook 04 and the grader's verification of it share (course_utils.checks.nb04,
course_utils.grading.specs.nb04): whether a print_msg line says there is a mistake, the classic loop's N-D
difference and gradapprox with their round-off bounds, the expected per-tensor block differences and diagnosis, and
the round-off bound of a right backward pass. It imports core modules only (README, "Layers"): the checks and the
grader import it, it imports neither.

This module ships to every student (the checks run in their kernel, the grader's specs in their repository), so
nothing here answers an exercise (tests/test_release_answers.py): the relative differences are the course library's
(course_utils.gradcheck.relative_difference, which no verification run of notebook 04 exposes), and so are the
classic loop's centered differences (course_utils.gradcheck.numerical_gradient, whose cost evaluations are recorded
for the round-off bounds and the mistakes' models); the expected block differences and suspects take their vectors
as keyword arguments only, never as an answer's (grad, gradapprox, keys).
"""
import re

import numpy as np

from course_utils import vectors
from course_utils.compare import EPS
from course_utils.gradcheck import numerical_gradient
from course_utils.gradcheck import relative_difference as _rd  # the library's: 0.0 when both vectors are zero

# ---------------------------------------------------------------------------------------------------------
# print_msg: does a printed line say there is a mistake?

_NEGATED = re.compile(r"\b(?:no|not an?|not any|without|zero|nothing)\s+(?:\w+\s+)?"
                      r"(?:mistakes?|bugs?|errors?|problems?|issues?|wrong)\b")
_MISTAKE = re.compile(r"mistake|wrong|incorrect|\bbug|fail|problem|\bissue|\berrors?\b|above|exceed"
                      r"|too (?:large|big|high)"
                      r"|greater|larger|bigger|broken|suspicious|warning|attention|careful|disagree|mismatch"
                      r"|\bbad\b|\bdiffers?\b|\u2717|\u2718|\u274c"
                      r"|\bnot (?:ok|okay|pass|correct|right|fine|good|work|match|agree|valid)"
                      r"|n't (?:ok|okay|pass|correct|right|fine|good|work|match|agree|valid)")
_RIGHT = re.compile(r"fine|correct|\bworks?\b|working|\bright\b|below|\bok\b|okay|good|pass|success|perfect|under"
                    r"|within|less|smaller|lower|agree|match|valid|\u2713|\u2714")


def _says_mistake(text):
    """True when a print_msg line says there is a mistake, False when it says the gradient is right, None when
    it says neither (the grader's verification judges print_msg with the same words)."""
    t = " ".join(str(text).lower().split())
    t = re.sub(r"relative error|error\s*=|error of", " ", t)
    negated = _NEGATED.search(t) is not None
    t = _NEGATED.sub(" ", t)
    if _MISTAKE.search(t):
        return True
    if negated or _RIGHT.search(t):
        return False
    if ">" in t:
        return True
    if "<" in t:
        return False
    return None


# ---------------------------------------------------------------------------------------------------------
# gradient_check_n: the reference computation (the classic loop) and its round-off

class _NDData:
    """The classic loop's costs for one case: J(theta +- epsilon e_i) and J(theta), J = cost(parameters dict);
    the costs of the no-np.copy loop (thetaplus = theta, so every perturbation stays in theta) are computed when
    a diagnosis needs them."""

    def __init__(self, cost, parameters, gradients, epsilon):
        theta, self.keys = vectors.dictionary_to_vector(parameters)
        shapes = vectors.parameter_shapes(parameters)
        self.theta, self.epsilon, self.shapes = theta, epsilon, shapes
        self.cost = lambda t: cost(vectors.vector_to_dictionary(t, shapes))
        self.grad = vectors.gradients_to_vector(gradients, parameters)
        n = theta.shape[0]
        costs = []  # J(theta + epsilon e_i), J(theta - epsilon e_i) for i = 0, 1, ..., as the library evaluates them

        def recorded(t):
            costs.append(float(self.cost(t)))
            return costs[-1]
        # the centered differences are the course library's (course_utils.differences.numerical_gradient, which no
        # verification run of gradient_check_n exposes): this module ships to every student
        self.approx = np.reshape(numerical_gradient(recorded, theta, epsilon), (n, 1))
        self.plus, self.minus = np.reshape(costs[0::2], (n, 1)), np.reshape(costs[1::2], (n, 1))
        self.base = float(self.cost(theta))
        self._accumulated = None

    @property
    def n(self):
        return self.grad.shape[0]

    @property
    def jmax(self):
        return float(max(np.max(np.abs(self.plus)), np.max(np.abs(self.minus)), abs(self.base), 1.0))

    def noise(self, coefficient):
        """Per entry of a gradapprox that multiplies the costs by `coefficient`: the round-off of any order of
        its float operations (the costs themselves are the same numbers for every right answer)."""
        return 4 * EPS * self.jmax * coefficient

    def accumulated(self):
        """(J_plus, J_minus) of the loop with thetaplus = theta (no np.copy): the perturbations accumulate."""
        if self._accumulated is None:
            acc_plus, acc_minus = np.zeros((self.n, 1)), np.zeros((self.n, 1))
            acc = self.theta.copy()
            for i in range(self.n):
                acc[i] += self.epsilon
                acc_plus[i] = self.cost(acc)
                t = acc.copy()
                t[i] -= self.epsilon
                acc_minus[i] = self.cost(t)
            self._accumulated = acc_plus, acc_minus
        return self._accumulated


def _rd_model(d, approx, coefficient):
    """(value, tolerance) of relative_difference(grad, approx) for a gradapprox built from the costs."""
    value = _rd(d.grad, approx)
    total = np.linalg.norm(d.grad) + np.linalg.norm(approx)
    tol = (2 * np.sqrt(d.n) * d.noise(coefficient) / total if total > 0 else 0.0) + 1e-9 * value
    return value, tol


def _nd_tolerance(d):
    """(want, tolerance) of the right difference on one case (see _NDData.noise)."""
    return _rd_model(d, d.approx, 1 / (2 * d.epsilon))


def _nd_reference(cost, parameters, gradients, epsilon):
    """(difference, tolerance, gradapprox, per-entry tolerance) of the classic loop -- what a right
    gradient_check_n returns, within tolerance. cost: cost(parameters dict) -> float."""
    d = _NDData(cost, parameters, gradients, epsilon)
    want, tol = _nd_tolerance(d)
    return want, tol, d.approx, _approx_tolerance(d)


def _approx_tolerance(d):
    return 2 * d.noise(1 / (2 * d.epsilon)) + 1e-9 * np.abs(d.approx)


# ---------------------------------------------------------------------------------------------------------
# block_differences and diagnose: the expected values

SUSPECT_THRESHOLD = 1e-5  #: diagnose's default: far above the round-off of a correct tensor, far below a bug


def _groups(keys):
    """{name: index array} in the order the names first appear in keys."""
    keys = np.asarray(list(keys), dtype=object)
    return {name: np.flatnonzero(keys == name) for name in dict.fromkeys(keys.tolist())}


def _norm(x):
    return np.sqrt(np.sum(np.square(x)))  # a numpy float: x / 0 gives inf or nan in the mistakes' models


def expected_block_differences(*, grad, gradapprox, keys):
    """{tensor: d_T} in the order of keys: the library's relative difference of each tensor's entries (0.0 where
    both are zero)."""
    g, a = np.ravel(grad).astype(float), np.ravel(gradapprox).astype(float)
    return {name: _rd(g[idx], a[idx]) for name, idx in _groups(keys).items()}


def expected_diagnose(*, grad, gradapprox, keys, threshold):
    """{suspect: ||g_T|| / ||a_T||} for the tensors whose block difference is above threshold, in keys order."""
    g, a = np.ravel(grad).astype(float), np.ravel(gradapprox).astype(float)
    groups = _groups(keys)
    blocks = expected_block_differences(grad=g, gradapprox=a, keys=keys)
    return {name: float(np.linalg.norm(g[groups[name]]) / np.linalg.norm(a[groups[name]]))
            for name, d in blocks.items() if d > threshold}


# ---------------------------------------------------------------------------------------------------------
# backward_propagation_n: the round-off of a right pass

def _backward_tolerance(X, Y, cache):
    """Per entry of every dW/db: how far a right backward pass may be from the reference -- the round-off of
    any order of its float operations, u times the sums of |terms| that make up the entry, times the number of
    operations along the way. A numerical gradient (error ~1e-10 relative at best) is far outside it."""
    _, A1, _, _, _, A2, W2, _, _, A3, W3, _ = (np.abs(np.asarray(a, dtype=float)) for a in cache)
    X = np.abs(np.asarray(X, dtype=float))
    m = X.shape[1]
    d3 = A3 + np.abs(np.reshape(np.asarray(Y, dtype=float), (1, m)))
    d2 = W3.T @ d3
    d1 = W2.T @ d2
    k = 8 * (X.shape[0] + A1.shape[0] + A2.shape[0] + m + 8) * EPS
    return {"dW3": k * (d3 @ A2.T) / m, "db3": k * d3.sum(axis=1, keepdims=True) / m,
            "dW2": k * (d2 @ A1.T) / m, "db2": k * d2.sum(axis=1, keepdims=True) / m,
            "dW1": k * (d1 @ X.T) / m, "db1": k * d1.sum(axis=1, keepdims=True) / m}
