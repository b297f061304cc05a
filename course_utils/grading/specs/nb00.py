"""Verification specs of notebook 00 start here (see course_utils/grading/verify.py)."""

from course_utils.grading.specs._common import _signed
from course_utils.grading.verify import Case, Spec, close_number


def _square_cases(rng):
    xs = [int(rng.integers(-50, 50)), _signed(rng, 0.1, 10), _signed(rng, 1e3, 1e4)]
    return [Case((x,), (lambda v, _, w=x * x: close_number(v, w, rtol=1e-12)), f"warm_up_square({x:.6g})")
            for x in xs]


warm_up_square = Spec("warm_up_square", _square_cases, reference_modules=("checks",))
