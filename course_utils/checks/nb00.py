"""Checks of notebook 00 start here."""
import numpy as np

from course_utils.checks._common import (
    SEED,
    _as_float,
    _close,
    _fail,
    _hints,
    _reports_stubs,
    _require_function,
)


@_reports_stubs("warm_up_square")
def check_warm_up_square(warm_up_square):
    """warm_up_square(x) must return x ** 2."""
    _require_function(warm_up_square, "warm_up_square")
    rng = np.random.default_rng(SEED)
    for x in (3, -1.5, round(float(rng.uniform(-10, 10)), 3)):
        call = f"warm_up_square({x})"
        got = _as_float(warm_up_square(x), call)
        if not _close(got, x ** 2, 1e-12):
            _fail(call, got, x ** 2, _hints(got, [
                (2 * x, "you computed 2 * x; the square is x ** 2 (or x * x)."),
                (float(x ^ 2) if isinstance(x, int) else None, "`x ^ 2` is bitwise XOR in Python; write x ** 2."),
                (x, "you returned x unchanged."),
                (x ** 3, "you computed x ** 3."),
            ]))
    print("warm_up_square passed: warm_up_square(3) = 9")
