"""Verification spec of block_differences (notebook 04), and the cases and comparisons diagnose shares (see
course_utils/grading/verify.py).

block_differences and diagnose: vectors split into tensors of 1 to 6 entries of scales 1e-6 to 10 (an epsilon added
to a denominator shows), named like parameters (W1, b1, ..., 2 to 12 layers -- the first case 10 to 12, so W1 must
not take W10's entries -- in parameter order) or not (3 to 6 of gamma2, conv_w, b10, ..., in a random order),
each tensor's backprop gradient its gradapprox times k (k in 1/4, 1/2, 2, 3, 4, -1), with half its entries
zeroed, right up to 1e-9 or both zero; block_differences once more on its first case's keys with new values; every
value a float, not an array of one entry. The sandbox holds numpy alone. A failed verification names the known
mistake (course_utils.expect.block_differences) that explains the results, when one does.
"""
import numpy as np

from course_utils.expect.block_differences import BD_MODELLED, BlockCase
from course_utils.expect.exposure import allowed
from course_utils.expect.nb04 import expected_block_differences
from course_utils.grading.specs._common import named_mistake
from course_utils.grading.specs.nb04._shared import ANSWER_MODULES
from course_utils.grading.verify import Case, Spec, as_number, describe

_FACTORS = (0.25, 0.5, 2.0, 3.0, 4.0, -1.0)
_OTHER_NAMES = ("gamma2", "beta2", "conv_w", "conv_b", "fc_w", "fc_b", "embed", "W", "theta0", "b10", "W2b")


def _blocks(rng, names, zero=True, spread=False, a_zero=False):
    """(grad, gradapprox, keys): one tensor per name, 1 to 6 entries, each with a drawn kind of error (spread: at
    least two suspects, one with a block difference of 1 and one of 1/3 or 3/5, so a threshold can fall between;
    a_zero: at least one tensor that is zero in both, where 0 / 0 must give 0)."""
    grads, approxes, keys = [], [], []
    kinds = ["factor", "factor", "right", "right", "mask"] + (["zero"] if zero else [])
    chosen = [str(rng.choice(kinds)) for _ in names]
    suspect = int(rng.integers(len(names)))
    chosen[suspect] = "factor"  # at least one suspect
    if a_zero and len(names) >= 2:
        chosen[int(rng.choice([i for i in range(len(names)) if i != suspect]))] = "zero"
    factors = {}
    if spread and len(names) >= 2:
        i, j = (int(v) for v in rng.choice(len(names), size=2, replace=False))
        chosen[i] = chosen[j] = "factor"
        factors = {i: -1.0, j: float(rng.choice((0.25, 0.5, 2.0, 4.0)))}
    for index, (name, kind) in enumerate(zip(names, chosen)):
        size = int(rng.integers(1, 7)) if kind != "mask" else int(rng.integers(2, 7))
        a = rng.normal(0.0, float(10 ** rng.uniform(-6, 1)), size=size)  # tiny ones too: an epsilon added shows
        if kind == "factor":
            g = factors.get(index, float(rng.choice(_FACTORS))) * a
        elif kind == "right":
            g = a * (1 + 1e-9 * rng.standard_normal(size))
        elif kind == "mask":
            g = a * (np.arange(size) % 2 == 0)
        else:
            a, g = np.zeros(size), np.zeros(size)
        grads.append(g)
        approxes.append(a)
        keys += [name] * size
    return np.concatenate(grads).reshape(-1, 1), np.concatenate(approxes).reshape(-1, 1), keys


def _names(rng, parameter_like, fewest=2):
    if parameter_like:
        layers = int(rng.integers(fewest, 13))
        return [f"{kind}{l}" for l in range(1, layers + 1) for kind in "Wb"]
    names = list(rng.choice(_OTHER_NAMES, size=int(rng.integers(3, 7)), replace=False))
    return [str(n) for n in names]


def _label(name, keys, threshold=None):
    tensors = list(dict.fromkeys(keys))
    shown = ", ".join(tensors[:4]) + (", ..." if len(tensors) > 4 else "")
    return f"{name}(grad, gradapprox, keys of {len(keys)} entries in tensors {shown}" + (
        "" if threshold is None else f", threshold={threshold:.3g}") + ")"


def _judge_dict(want, rtol=1e-8):
    def judge(v, _):
        if not isinstance(v, dict):
            return f"returned {describe(v)}, expected a dict {{tensor: number}}"
        if list(v) != list(want):
            return f"returned the tensors {list(v)[:8]}, expected {list(want)[:8]} (in the order of keys)"
        for name, w in want.items():
            if isinstance(v[name], np.ndarray) and v[name].ndim > 0:
                return f"returned {describe(v[name])} for {name}, expected a number (a float)"
            got = as_number(v[name])
            if got is None or not np.isfinite(got) or abs(got - w) > rtol * abs(w) + 1e-15:
                shown = f"{got:.10g}" if got is not None else describe(v[name])
                return f"returned {shown} for {name}, expected {w:.10g}"
        return None
    return judge


def _prefix_probe(grad, approx, keys):
    """(grad, approx) with W1 wrong (its gradient twice its gradapprox, block difference 1/3) and W10 right, its
    entries scaled to W1's norm: names matched by their beginning ("W1" takes W10's entries) then give W1 another
    block difference, far beyond round-off, whatever was drawn (a W10 of W1's own error, or a million times smaller
    than W1, would hide the merge)."""
    names = np.asarray(keys).reshape(grad.shape)
    w1, w10 = names == "W1", names == "W10"
    approx = np.where((w1 | w10) & (approx == 0), 1.0, approx)  # no zero entry in either: both show in every draw
    small, large = float(np.linalg.norm(approx[w10])), float(np.linalg.norm(approx[w1]))
    approx = np.where(w10, approx * (large / small if small > 0 else 1.0), approx)
    return np.where(w1, 2.0 * approx, np.where(w10, approx, grad)), approx


def _block_cases(rng):
    cases = []
    for parameter_like, a_zero in ((True, False), (False, True), (bool(rng.integers(2)), False)):
        grad, approx, keys = _blocks(rng, _names(rng, parameter_like, 2 if cases else 10), a_zero=a_zero)  # W10 too
        if not cases:
            grad, approx = _prefix_probe(grad, approx, keys)
        cases.append(Case((grad, approx, keys), _judge_dict(expected_block_differences(grad=grad, gradapprox=approx, keys=keys)),
                          _label("block_differences", keys)))
    grad, approx, keys = cases[0].args  # the first case's keys again, new values: nothing may be kept between calls
    grad = grad * rng.uniform(0.5, 2.0, size=grad.shape)
    cases.append(Case((grad, approx, keys), _judge_dict(expected_block_differences(grad=grad, gradapprox=approx, keys=keys)),
                      _label("block_differences", keys)))
    return cases


def _dict_close(value, predicted, _case):
    """Whether the dict returned is a mistake's prediction: its tensors in its order, each value within 1e-8 relative
    (the same infinities and NaNs match) -- the checks' tolerance."""
    if not isinstance(value, dict) or list(value) != list(predicted):
        return False
    for name, w in predicted.items():
        got = None if isinstance(value[name], np.ndarray) and value[name].ndim > 0 else as_number(value[name])
        if got is None:
            return False
        w = float(w)
        if not (got == w or np.isnan(got) and np.isnan(w) or np.isfinite(got) and abs(got - w) <= 1e-8 * abs(w) + 1e-15):
            return False
    return True


def _block_case(case):
    return BlockCase(*case.args)


block_differences = Spec("block_differences", _block_cases, reference_modules=ANSWER_MODULES,
                         mistake=named_mistake(BD_MODELLED, _block_case, _dict_close), **allowed("block_differences"))

