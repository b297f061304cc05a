"""What the checks of notebook 05 and the grader's verification of it share (course_utils.checks.nb05,
course_utils.grading.specs.nb05): directional_check's relative difference and how far a right answer may be from
it. It imports core modules only (COURSE.md "Layers"): the checks and the grader import it, it imports neither.
"""
import numpy as np

from course_utils.compare import EPS


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
