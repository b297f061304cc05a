"""Verification specs of notebook 00 start here (see course_utils/grading/verify.py). A failed verification names
the known mistake that explains every result, from the check's own table (course_utils.expect.nb00)."""
import numpy as np

from course_utils.compare import as_number, close_number, describe, within
from course_utils.expect.exposure import allowed
from course_utils.expect.nb00 import SQUARE_MISTAKES, SquareCase
from course_utils.grading.specs._common import _signed, named_mistake
from course_utils.grading.verify import Case, Spec


def _scalar_close(value, want, rtol=1e-9, atol=0.0):
    """close_number, but a number only: an array of one entry ((1,), (1, 1)) is the wrong shape."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"returned {describe(value)}, expected a number (a float) close to {want:.6g}"
    return close_number(value, want, rtol=rtol, atol=atol)


def _square_cases(rng):
    """Integers and floats of both signs (at least one negative of each) and of small and large size."""
    xs = [int(rng.integers(2, 50)), -int(rng.integers(2, 50)), _signed(rng, 0.1, 10), -float(rng.uniform(0.1, 10)),
          float(rng.uniform(0.05, 0.95)), _signed(rng, 1e3, 1e4)]
    return [Case((x,), (lambda v, _, w=x * x: _scalar_close(v, w, rtol=1e-12)), f"warm_up_square({x:.6g})")
            for x in xs]


def _square_close(value, predicted, _):
    got = as_number(value)
    return got is not None and within(got, predicted, 1e-9, 0.0)


warm_up_square = Spec("warm_up_square", _square_cases, reference_modules=("checks",),
                      mistake=named_mistake(SQUARE_MISTAKES, lambda case: SquareCase(case.args[0]), _square_close),
                      **allowed("warm_up_square"))
