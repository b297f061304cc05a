"""Verification specs of notebook 02 check a 1-D gradient (see course_utils/grading/verify.py)."""

from course_utils.grading.specs._common import _number, _signed
from course_utils.grading.verify import Case, Provided, Spec, close_number, describe


def _jx_cases(rng, name, formula):
    cases = []
    for _ in range(3):
        x, theta = _signed(rng, 0.2, 5), _signed(rng, 0.2, 5)
        want = formula(x, theta)
        cases.append(Case((x, theta), (lambda v, _, w=want: close_number(v, w, rtol=1e-12)),
                          f"{name}(x={x:.6g}, theta={theta:.6g})"))
    return cases


forward_propagation = Spec("forward_propagation", lambda rng: _jx_cases(rng, "forward_propagation", lambda x, t: t * x),
                           reference_modules=("checks", "widgets.py"))
backward_propagation = Spec("backward_propagation", lambda rng: _jx_cases(rng, "backward_propagation", lambda x, t: x),
                            reference_modules=("checks", "widgets.py"))


def _gradient_check_cases(rng):
    cases = []
    for k in [1.0, float(rng.uniform(1.5, 3)), float(rng.uniform(0.2, 0.7)), -float(rng.uniform(0.5, 2))]:
        x, theta = _signed(rng, 0.5, 5), _signed(rng, 0.5, 5)
        eps = float(10 ** rng.uniform(-7, -4))
        overrides = {"forward_propagation": Provided("product"), "backward_propagation": Provided("scaled_slope", (k,))}
        label = f"gradient_check(x={x:.4g}, theta={theta:.4g}, epsilon={eps:.2g}) with a backward pass giving {k:.3g} * x"
        if k == 1.0:
            judge = (lambda v, _: None if (n := _number(v)) is not None and 0 <= n < 1e-7
                     else f"returned {describe(v)}, expected a difference below 1e-7 (the backward pass is right)")
        else:
            want = abs(k - 1) / (abs(k) + 1)
            judge = (lambda v, _, w=want: close_number(v, w, rtol=1e-5))
        cases.append(Case((x, theta, eps), judge, label, overrides=overrides))
    return cases


gradient_check = Spec("gradient_check", _gradient_check_cases, reference_modules=("checks", "widgets.py"))
