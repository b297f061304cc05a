"""backward_propagation_n's known mistakes (notebook 04 check an N-D gradient, section 5): records of
course_utils.expect.mistakes (bpn.*). Its check (course_utils/checks/nb04/backward_propagation_n.py) names, for each
wrong gradient, the mistake that explains that gradient on every case -- the first of BPN_TENSOR_ORDER that does: a
constant factor is only named when no more specific mistake explains the gradient -- and the error carries the id
when one mistake explains every wrong gradient.

The whole-pass mistakes have a model: it takes a case of the check (an object with X, Y and cache) and returns the
gradients dict the classic backward pass with that mistake returns. The others have no model: the check sees them in
the gradients themselves (a factor, a shape, a transpose, values kept between calls, a dA masked in place). A hint
with fields ({key}: the gradient; {k}: a factor; {l}: a layer) is filled in by the check. No function here takes an
exercise's own arguments (this package ships to every student).
"""
import numpy as np

from course_utils.bugs import BUGS
from course_utils.expect.mistakes import Mistake, table

EXERCISE = "backward_propagation_n"

WHOLE_PASS = ("sign", "sigmoid_twice", "mask2_dA", "mask2_none", "mask1_dA", "mask1_none")  #: their model's names


def _mistaken_backward(X, Y, cache, *, mistake):
    """The classic backward pass with the whole-pass mistake `mistake` (one of WHOLE_PASS): the sign of dZ3, the
    sigmoid derivative applied twice, a ReLU mask taken from dA or missing. A model of a mistake only: there is no
    mistake-free setting (nothing here answers an exercise)."""
    if mistake not in WHOLE_PASS:
        raise ValueError(f"unknown mistake {mistake!r}: one of {', '.join(WHOLE_PASS)}")
    _, A1, _, _, _, A2, W2, _, _, A3, W3, _ = cache
    m = X.shape[1]
    dZ3 = (Y - A3) if mistake == "sign" else (A3 - Y)
    if mistake == "sigmoid_twice":
        dZ3 = dZ3 * A3 * (1 - A3)
    out = {"dW3": 1.0 / m * (dZ3 @ A2.T), "db3": 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)}
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * {"mask2_dA": dA2 > 0, "mask2_none": 1.0}.get(mistake, A2 > 0)
    out.update(dW2=1.0 / m * (dZ2 @ A1.T), db2=1.0 / m * np.sum(dZ2, axis=1, keepdims=True))
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * {"mask1_dA": dA1 > 0, "mask1_none": 1.0}.get(mistake, A1 > 0)
    out.update(dW1=1.0 / m * (dZ1 @ X.T), db1=1.0 / m * np.sum(dZ1, axis=1, keepdims=True))
    return out


def _whole_pass(mistake):
    return lambda c: _mistaken_backward(c.X, c.Y, c.cache, mistake=mistake)


# the factors of m, tried first
MISSING_1_OVER_M = Mistake("bpn.missing_1_over_m", "the 1./m is missing: the sum over the m examples must be averaged "
                           "(1./m * ...).")
HARD_CODED_M = Mistake("bpn.hard_coded_m_3", "m / 3 times the right value wherever m is not 3: did you hard-code m = "
                       "3? Use m = X.shape[1].")
M_FROM_Y = Mistake("bpn.m_from_y_shape", "m is taken from Y.shape[0], which is 1 when Y has shape (1, m): use m = "
                   "X.shape[1] (the examples are the columns of X).")
# the whole-pass mistakes (with models), in the order the check tries them
WHOLE_PASS_MISTAKES = (
    Mistake("bpn.sign_of_dz3", "every gradient has the opposite sign: the output layer's dZ3 = A3 - Y (not Y - A3).",
            _whole_pass("sign")),
    Mistake("bpn.sigmoid_derivative_twice", BUGS["sigmoid_derivative_twice"].description + " Write dZ3 = A3 - Y.",
            _whole_pass("sigmoid_twice")),
    Mistake("bpn.relu_mask2_from_da", "the ReLU mask of layer 2 is taken from the sign of dA2 instead of from A2: "
            "dZ2 = np.multiply(dA2, np.int64(A2 > 0)).", _whole_pass("mask2_dA")),
    Mistake("bpn.relu_mask2_missing", "the ReLU derivative of layer 2 is missing (dZ2 = dA2, or a mask that is always "
            "1 such as A2 >= 0): dZ2 = np.multiply(dA2, np.int64(A2 > 0)).", _whole_pass("mask2_none")),
    Mistake("bpn.relu_mask1_from_da", "the ReLU mask of layer 1 is taken from the sign of dA1 instead of from A1: "
            "dZ1 = np.multiply(dA1, np.int64(A1 > 0)).", _whole_pass("mask1_dA")),
    Mistake("bpn.relu_mask1_missing", "the ReLU derivative of layer 1 is missing (dZ1 = dA1, or a mask that is always "
            "1 such as A1 >= 0): dZ1 = np.multiply(dA1, np.int64(A1 > 0)).", _whole_pass("mask1_none")),
)
# one gradient's own mistakes, seen in its values
LOST_AXIS = Mistake("bpn.lost_keepdims", "{key} has lost its second axis: np.sum(..., axis=1, keepdims=True) keeps "
                    "the shape (n, 1).")
SUM_OF_EVERY_ENTRY = Mistake("bpn.sum_over_every_entry", "{key} sums over every entry instead of over the examples: "
                             "np.sum(dZ, axis=1, keepdims=True) (one number per unit).")
TRANSPOSED = Mistake("bpn.transposed_dw", "{key} is transposed: dW = 1./m * np.dot(dZ, A_prev.T) has the shape of W.")
OPPOSITE_SIGN = Mistake("bpn.opposite_sign", "{key} has the opposite sign of the right gradient: look for a stray "
                        "minus in that line.")
STRAY_FACTOR = Mistake("bpn.stray_factor", "{key} is {k} times the right value: look for a stray factor in that "
                       "line.")
# seen in the whole result
COLLEAGUE_BUG = Mistake("bpn.colleague_bug_unfixed", "not fixed yet: your diagnose (section 4) names the tensors whose "
                        "gradient is wrong and how far off each is; fix the lines that compute them (every dW and db "
                        "is averaged once over the m examples, 1./m).")
RETURN_IN_LOOP = Mistake("bpn.return_inside_loop", "your function returns inside its layer loop, after the first layer "
                         "it computes: return once the loop is done (check the indentation of `return`).")
CACHED = Mistake("bpn.cached_between_calls", "you kept results between calls (a cache keyed by X.shape?): compute the "
                 "gradients from this call's X, Y and cache every time.")
IN_PLACE_MASK = Mistake("bpn.in_place_mask", "you masked dA{l} in place (dA{l}[A{l} <= 0] = 0, or np.multiply(..., "
                        "out=dA{l})), so the dA{l} you return is dZ{l}: compute dZ{l} as a new array, dZ{l} = "
                        "np.multiply(dA{l}, np.int64(A{l} > 0)).")

BPN_MISTAKES = table(EXERCISE, MISSING_1_OVER_M, HARD_CODED_M, M_FROM_Y, *WHOLE_PASS_MISTAKES, LOST_AXIS,
                     SUM_OF_EVERY_ENTRY, TRANSPOSED, OPPOSITE_SIGN, STRAY_FACTOR, COLLEAGUE_BUG, RETURN_IN_LOOP, CACHED,
                     IN_PLACE_MASK)
