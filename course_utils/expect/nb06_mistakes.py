"""Notebook 06 hunt the bugs: the known mistakes of wrong_tensors (wt.*), buggy_lines (bl.*) and fixed_backward
(fb.*), as records of course_utils.expect.mistakes. The checks (course_utils/checks/nb06.py) name them.

fixed_backward's first three have models: what the student's pass returns on a FixCase (the case, the teammate and
what the pass returned on the cases before). The others are named from what the answer shows -- a threshold on
the student's own block differences, the slope or the factor measured from the student's pass -- and some hints say
what was measured (their fields, e.g. "{other:g}", are filled in by the check). No hint names a tensor or a line
(the check would be an oracle for the teammate's bugs; see the checks' module doc), and no model is one of the
teammate's own bugs.
"""
from dataclasses import dataclass

import numpy as np

from course_utils import capstone
from course_utils.expect.mistakes import Mistake, table
from course_utils.expect.nb06 import exact_gradients, teammate_gradients

RAISED = "(raised)"  #: what a FixCase's result or prediction is when the pass raises (or returns no dict)


@dataclass(frozen=True)
class FixCase:
    """One network fixed_backward was called on: the check's case (label, X, Y, parameters, cache), the teammate
    (its slope is the network's) and earlier, [(FixCase, what the pass returned)] of the calls before."""

    case: tuple
    mate: object
    earlier: tuple = ()

    def exact(self, slope=None):
        _, X, Y, parameters, _ = self.case
        return exact_gradients(X, Y, parameters, self.mate.slope if slope is None else slope)


def gradients_agree(got, model):
    """Whether the student's gradients `got` are `model`'s (shapes, and values to 1e-7 of each tensor's norm)."""
    def close(name):
        value = np.asarray(got[name], dtype=float)
        return value.shape == model[name].shape and \
            np.linalg.norm(value - model[name]) <= 1e-7 * (np.linalg.norm(model[name]) + 1e-12)
    return isinstance(got, dict) and all(name in got and close(name) for name in capstone.GRADIENT_NAMES)


def outcome_agrees(got, model, case=None):
    """explain's close for fixed_backward: both raised (RAISED), or the same gradients (gradients_agree)."""
    return (got is RAISED) == (model is RAISED) and (got is RAISED or gradients_agree(got, model))


def explained_cases(cases, results, mate):
    """(FixCases, outcomes) for explain from [(the check's case, what the pass returned: a dict, or None when it
    raised or returned something else)] in the order of the calls."""
    fixes = []
    for case, _ in zip(cases, results):
        fixes.append(FixCase(case, mate, tuple(zip(fixes, results))))
    return fixes, [RAISED if got is None else got for got in results]


def _or_raised(model):
    """model, with RAISED where it raises as a pass would (the case counts only if the student's pass raised too)."""
    def predict(c):
        try:
            return model(c)
        except (ValueError, IndexError, ArithmeticError):
            return RAISED
    return predict


def _memo(c):
    earlier = next((got for e, got in c.earlier if e.case[1].shape == c.case[1].shape), None)
    return earlier if earlier is not None else c.exact()


FB_MEMO = Mistake("fb.cached_between_calls", "you kept results between calls (a cache keyed by X.shape?): compute the "
                  "gradients from this call's X, Y and cache every time.", _or_raised(_memo))
FB_TEAMMATE_UNCHANGED = Mistake("fb.teammate_unchanged", "you returned your teammate's gradients unchanged: fix the "
                                "two wrong lines.",
                                _or_raised(lambda c: teammate_gradients(c.mate, c.case[1], c.case[2], c.case[4])))
FB_SIGN = Mistake("fb.opposite_sign", "every gradient has the opposite sign: dZ4 = A4 - Y (not Y - A4).",
                  _or_raised(lambda c: {n: -v for n, v in c.exact().items()}))
FB_MODELLED = table("fixed_backward", FB_MEMO, FB_TEAMMATE_UNCHANGED, FB_SIGN)  #: explained by their models
FB_SLOPE_OTHER = Mistake("fb.other_slope", "your pass uses the leaky ReLU slope {other:g} for Z <= 0, and your "
                         "network's is {slope:g} (each teammate's network has its own: it is printed with your "
                         "teammate's pass).")
FB_NO_1_OVER_M = Mistake("fb.missing_1_over_m", "the 1/m is missing: every dW and db averages over the m examples, "
                         "1. / m * ...")
FB_HARD_CODED_M = Mistake("fb.hard_coded_m", "m is hard-coded to {c} (your gradients are m / {c} times the right "
                          "ones): use m = X.shape[1].")
FB_FLOAT32 = Mistake("fb.float32", "your gradients are right to about 1e-7 only, float32's precision: keep every "
                     "array float64 (no astype(np.float32), np.float32(...) or dtype=np.float32).")
table("fixed_backward", FB_SLOPE_OTHER, FB_NO_1_OVER_M, FB_HARD_CODED_M, FB_FLOAT32)

WT_TOO_LOW = Mistake("wt.threshold_too_low", "you also named tensors whose block difference is round-off: the "
                     "centered differences of a right gradient differ from it by about 1e-8 to 1e-6 here, a wrong "
                     "line's by 1e-2 or more; put your threshold between the two (e.g. 1e-5).")
WT_TOO_HIGH = Mistake("wt.threshold_too_high", "your threshold is too high: a wrong gradient's block difference can "
                      "be a few hundredths, far below 1; every tensor far above round-off (above 1e-5, say) is "
                      "wrong.")
WT_NONE_NAMED = Mistake("wt.none_named", "you named no tensor, but a pass with a wrong line has wrong gradients: if "
                        "your gradient check found none, check that it compares your teammate's gradients with the "
                        "centered differences of J (not with themselves) and that its threshold is far below 1e-2.")
_CASE = "the names are case-sensitive (and have no spaces): write them as listed, {listed!r}, not {given!r}."
WT_CASE = Mistake("wt.names_case", _CASE)
table("wrong_tensors", WT_TOO_LOW, WT_TOO_HIGH, WT_NONE_NAMED, WT_CASE)

BL_CASE = Mistake("bl.names_case", _CASE)
BL_TENSOR_NAMED = Mistake("bl.named_a_tensor", "you named a tensor; name the LINE, by the variable it assigns: dW1 "
                          "for the line dW1 = ..., dZ1 for dZ1 = ...")
BL_NO_SUCH_LINE = Mistake("bl.no_such_line", "the pass has no such line: it assigns dZ4, dW4, db4, then dA3, dZ3, "
                          "... down to db1 (no dA4: the output layer starts from dZ4 = A4 - Y).")
BL_ONE_LINE = Mistake("bl.one_line", "you named one line, and the pass has two wrong ones: after fixing the first in "
                      "a copy of the pass, run your gradient check again; what is still wrong points at the second.")
BL_SPREAD = Mistake("bl.lines_do_not_spread_so", "read the pattern of wrong tensors (section 5): a wrong dZ_l or dA_l "
                    "line spreads to dW_l, db_l and every layer below it; a wrong dW_l or db_l line stays in its own "
                    "tensor.")
table("buggy_lines", BL_CASE, BL_TENSOR_NAMED, BL_NO_SUCH_LINE, BL_ONE_LINE, BL_SPREAD)
