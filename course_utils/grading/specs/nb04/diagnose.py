"""Verification spec of diagnose (notebook 04; see course_utils/grading/verify.py).

The vectors are block_differences' (block_differences.py: tensors named like parameters or not, each with a drawn
kind of error); diagnose with the default threshold, twice a drawn one that falls between two suspects' block
differences (so a threshold ignored for a fixed one, or honoured only when it is 0.5, fails), and a tensor exactly at
the threshold (d = 0.5); every value a float, not an array of one entry. The sandbox holds numpy alone. A failed
verification names the known mistake (course_utils.expect.block_differences) that explains the results, when one
does.
"""
import itertools

import numpy as np

from course_utils.expect.block_differences import DG_MODELLED
from course_utils.expect.exposure import allowed
from course_utils.expect.nb04 import SUSPECT_THRESHOLD, expected_block_differences, expected_diagnose
from course_utils.grading.specs._common import named_mistake
from course_utils.grading.specs.nb04._shared import ANSWER_MODULES
from course_utils.grading.specs.nb04.block_differences import (
    _block_case,
    _blocks,
    _dict_close,
    _judge_dict,
    _label,
    _names,
    _prefix_probe,
)
from course_utils.grading.verify import Case, Spec


def _clear_threshold(rng, grad, approx, keys):
    """A threshold at least 5 % away from every tensor's block difference: where it can, between two suspects'
    block differences (so that a diagnose that ignores its threshold for a fixed one fails), else in 1e-7 .. 0.9."""
    blocks = [d for d in expected_block_differences(grad=grad, gradapprox=approx, keys=keys).values() if d > 0]
    big = sorted(d for d in set(blocks) if d > 1e-3)
    gaps = [(low, high) for low, high in itertools.pairwise(big) if high > 1.2 * low]
    if gaps:
        low, high = gaps[int(rng.integers(len(gaps)))]
        return float(np.exp(rng.uniform(np.log(low * 1.06), np.log(high / 1.06))))
    for _ in range(100):
        t = float(10 ** rng.uniform(-7, -0.05))
        if all(abs(d - t) > 0.05 * t for d in blocks):
            return t
    return SUSPECT_THRESHOLD


def _diagnose_cases(rng):
    cases = []
    for parameter_like, drawn in ((True, False), (False, True), (bool(rng.integers(2)), True)):
        grad, approx, keys = _blocks(rng, _names(rng, parameter_like, 2 if cases else 10), zero=False, spread=drawn)
        if not cases:  # W1 a suspect, W10 right: names matched by their beginning merge W1 with W10 and show
            grad, approx = _prefix_probe(grad, approx, keys)
        if drawn:
            t = _clear_threshold(rng, grad, approx, keys)
            args = (grad, approx, keys, t)
        else:
            t, args = SUSPECT_THRESHOLD, (grad, approx, keys)
        cases.append(Case(args, _judge_dict(expected_diagnose(grad=grad, gradapprox=approx, keys=keys, threshold=t)),
                          _label("diagnose", keys, None if not drawn else t)))
    # a tensor exactly at the threshold: ||(9, 12) - (3, 4)|| / (15 + 5) = 0.5 in any order of operations
    for _ in range(100):  # the other tensors stay clear of 0.5 (a factor 3 gives 0.5 up to rounding)
        grad, approx, keys = _blocks(rng, _names(rng, False)[:2], zero=False)
        if all(abs(d - 0.5) > 0.025 for d in expected_block_differences(grad=grad, gradapprox=approx, keys=keys).values()):
            break
    boundaries = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [len(keys)]
    at = int(rng.choice(boundaries))
    grad = np.insert(grad, at, [[9.0], [12.0]], axis=0)
    approx = np.insert(approx, at, [[3.0], [4.0]], axis=0)
    keys = keys[:at] + ["edge", "edge"] + keys[at:]
    want = expected_diagnose(grad=grad, gradapprox=approx, keys=keys, threshold=0.5)
    cases.append(Case((grad, approx, keys, 0.5), _judge_dict(want),
                      _label("diagnose", keys, 0.5)))
    return cases


diagnose = Spec("diagnose", _diagnose_cases, reference_modules=ANSWER_MODULES,
                mistake=named_mistake(DG_MODELLED, _block_case, _dict_close), **allowed("diagnose"))

