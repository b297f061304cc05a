"""Verification specs of notebook 01 approximate a derivative (see course_utils/grading/verify.py)."""
import numpy as np

from course_utils.gradcheck import relative_difference as _reference_rd
from course_utils.grading.specs._common import U, _signed
from course_utils.grading.verify import Case, Provided, Spec, close_number


def _quotient_cases(rng, name, formula):
    cases = []
    for _ in range(4):
        kind = rng.integers(2)
        if kind == 0:
            f = Provided("polynomial", (tuple(float(c) for c in rng.normal(0, 2, size=4)),))
        else:
            f = Provided("wave", (_signed(rng, 0.5, 3), _signed(rng, 0.5, 3), _signed(rng, 0.1, 1)))
        x, eps = _signed(rng, 0.1, 2.5), float(10 ** rng.uniform(-5, -2))
        fn = f.build()
        want = formula(fn, x, eps)
        noise = 8 * U * max(abs(fn(x + eps)), abs(fn(x - eps)), abs(fn(x)), 1.0) / eps  # round-off of any order
        cases.append(Case((f, x, eps), (lambda v, _, w=want, a=noise: close_number(v, w, rtol=1e-9, atol=a)),
                          f"{name}(f, {x:.6g}, {eps:.3g})"))
    return cases


forward_difference = Spec(
    "forward_difference", lambda rng: _quotient_cases(rng, "forward_difference", lambda f, x, e: (f(x + e) - f(x)) / e),
    reference_modules=("gradcheck.py", "checks", "widgets.py"))
centered_difference = Spec(
    "centered_difference",
    lambda rng: _quotient_cases(rng, "centered_difference", lambda f, x, e: (f(x + e) - f(x - e)) / (2 * e)),
    reference_modules=("gradcheck.py", "checks", "widgets.py"))


def _relative_difference_cases(rng):
    cases = []
    shapes = [(int(rng.integers(3, 9)), 1), (int(rng.integers(2, 5)), int(rng.integers(2, 5))),
              (int(rng.integers(3, 9)), 1), ()]
    for n, shape in enumerate(shapes):
        scale = float(10 ** rng.uniform(-3, 3))
        grad = np.asarray(rng.normal(0, scale, size=shape))
        if n == 0:  # close: a good gradient
            approx = grad * (1 + rng.normal(0, float(10 ** rng.uniform(-6, -2)), size=shape))
        elif n == 1:  # unrelated: not aligned, so ||g + a|| differs from ||g|| + ||a||
            approx = np.asarray(rng.normal(0, scale, size=shape))
        else:  # a wrong sign and size
            approx = -float(rng.uniform(0.2, 3)) * grad
        grad, approx = (float(grad), float(approx)) if shape == () else (grad, approx)
        want = float(_reference_rd(grad, approx))
        cases.append(Case((grad, approx), (lambda v, _, w=want: close_number(v, w, rtol=1e-9, atol=1e-15)),
                          f"relative_difference(grad, gradapprox) with shape {shape}"))
    same = rng.normal(0, 1, size=(4, 1))
    cases.append(Case((same, same.copy()), (lambda v, _: close_number(v, 0.0, atol=1e-15)),
                      "relative_difference(g, g)"))
    return cases


relative_difference = Spec("relative_difference", _relative_difference_cases,
                           reference_modules=("gradcheck.py", "checks"))
