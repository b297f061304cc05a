"""block_differences' and diagnose's known mistakes (notebook 04 check an N-D gradient, sections 3 and 4): records of
course_utils.expect.mistakes (bd.* and dg.*). Their checks (course_utils/checks/nb04/block_differences.py and
diagnose.py) name the one that explains every case (course_utils.expect.mistakes.explain).

A model takes a BlockCase (the grad, gradapprox and keys the function was given, and the threshold, None for the
default) and returns the dict {tensor: value} the function with that mistake returns. Some mistakes have no model:
the check sees them in the results themselves (values kept between calls, an epsilon in a denominator, a nan for an
all-zero tensor, the tensors' order, the classic network's names, one-entry arrays), and names them itself.
No function here takes an exercise's own arguments (this package ships to every student).
"""
from dataclasses import dataclass

import numpy as np

from course_utils.expect.mistakes import Mistake, table
from course_utils.expect.nb04 import SUSPECT_THRESHOLD, _groups, _norm, expected_block_differences
from course_utils.gradcheck import THRESHOLD


@dataclass(frozen=True)
class BlockCase:
    """What block_differences or diagnose was given (threshold None: diagnose's default)."""

    grad: np.ndarray
    approx: np.ndarray
    keys: list
    threshold: float | None = None

    @property
    def g(self):
        return np.ravel(self.grad).astype(float)

    @property
    def a(self):
        return np.ravel(self.approx).astype(float)

    @property
    def groups(self):
        return _groups(self.keys)

    @property
    def t(self):
        return SUSPECT_THRESHOLD if self.threshold is None else self.threshold


def _prefix_groups(keys):
    """{name: index array} of the entries whose key starts with the name: W1 takes W10, W11, W12 too."""
    keys = [str(k) for k in keys]
    return {name: np.flatnonzero([k.startswith(name) for k in keys]) for name in dict.fromkeys(keys)}


def _per_block(c, numerator, denominator, groups=None):
    """{tensor: numerator / denominator} over each tensor's entries, with the 0.0-when-both-are-zero guard of a right
    answer."""
    g, a = c.g, c.a
    out = {}
    for name, idx in (c.groups if groups is None else groups).items():
        den = float(denominator(g[idx], a[idx]))
        out[name] = float(numerator(g[idx], a[idx])) / den if den > 0 else 0.0
    return out


def _both(gt, at):
    return _norm(gt) + _norm(at)


def _difference(gt, at):
    return _norm(gt - at)


def _prefix_blocks(c):
    return _per_block(c, _difference, _both, _prefix_groups(c.keys))


_ONE_NORM_BLOCK = "the denominator is ||g_T|| + ||a_T||: you left one of the two norms out."

BD_MODELLED = table(
    "block_differences",
    Mistake("bd.prefix_names", "W1's entries include those of W10, W11, W12 (and b1's those of b10, ...): you matched "
            "the names by their beginning (k.startswith(name), name in k); compare whole names, keys[i] == name.",
            _prefix_blocks),
    Mistake("bd.overall_denominator", "each tensor's difference is divided by the norms of the WHOLE vectors; d_T uses "
            "only T's entries in the denominator too: ||g_T - a_T|| / (||g_T|| + ||a_T||).",
            lambda c: _per_block(c, _difference, lambda gt, at: _norm(c.g) + _norm(c.a))),
    Mistake("bd.one_norm_in_denominator", _ONE_NORM_BLOCK,
            lambda c: _per_block(c, _difference, lambda gt, at: _norm(gt))),
    Mistake("bd.one_norm_in_denominator", _ONE_NORM_BLOCK,
            lambda c: _per_block(c, _difference, lambda gt, at: _norm(at))),
    Mistake("bd.numerator_only", "you returned only the numerator ||g_T - a_T||; divide by ||g_T|| + ||a_T||.",
            lambda c: {n: float(_norm(c.g[idx] - c.a[idx])) for n, idx in c.groups.items()}),
    Mistake("bd.no_square_roots", "the norms are square roots of sums of squares: you left the square roots out.",
            lambda c: _per_block(c, lambda gt, at: np.sum(np.square(gt - at)),
                                 lambda gt, at: np.sum(gt * gt) + np.sum(at * at))),
    Mistake("bd.difference_of_norms", "you used the difference of the norms, | ||g_T|| - ||a_T|| |, which is 0 for a "
            "gradient of the right size pointing the wrong way: use the norm of the difference, ||g_T - a_T||.",
            lambda c: _per_block(c, lambda gt, at: abs(_norm(gt) - _norm(at)), _both)),
    Mistake("bd.overall_difference", "every tensor got the overall difference: compute it over each tensor's own "
            "entries.", lambda c: {n: float(_norm(c.g - c.a) / (_norm(c.g) + _norm(c.a))) for n in c.groups}),
)

_CACHED = ("the values of an earlier call with the same keys: you kept results between calls (a cache keyed by "
           "keys?); compute them from grad and gradapprox on every call.")
_SORTED = ("the right values, in another order: list the tensors in the order their names first appear in keys "
           "(the parameter order, W1, b1, W2, ... -- not sorted, where \"W10\" comes before \"W2\").")
_HARD_CODED = ("the names must come from keys, not from a list of the classic network's names: this case has "
               "tensors {names}.")
_ONE_ENTRY_AXIS = ("a norm or a sum over axis=0 of a (k, 1) column keeps one axis (np.linalg.norm(v, axis=0) has "
                   "shape (1,)): wrap the number in float(...), or take the norm of the whole block, "
                   "float(np.linalg.norm(v)).")
_ONE_ENTRY_DOT = ("np.dot of two (k, 1) columns, or a product with a .T, is a (1, 1) array: wrap the number in "
                  "float(...), or use np.linalg.norm.")


def _seen(prefix):
    """The mistakes both checks see in the results (no model), under the exercise's abbreviation."""
    return {
        "cached": Mistake(f"{prefix}.cached_between_calls", _CACHED),
        "sorted": Mistake(f"{prefix}.sorted_order", _SORTED),
        "hard_coded": Mistake(f"{prefix}.classic_names_hard_coded", _HARD_CODED),
        "one_entry_axis": Mistake(f"{prefix}.one_entry_array_axis", _ONE_ENTRY_AXIS),
        "one_entry_dot": Mistake(f"{prefix}.one_entry_array_dot", _ONE_ENTRY_DOT),
    }


BD_SEEN = dict(
    _seen("bd"),
    epsilon=Mistake("bd.epsilon_in_denominator", "you added a small number to the denominator (... + 1e-8): d_T is "
                    "exactly ||g_T - a_T|| / (||g_T|| + ||a_T||); give 0.0 only where that denominator is 0."),
    zero_block=Mistake("bd.zero_block_nan", "a tensor whose grad and gradapprox are both zero gives 0 / 0: its "
                       "difference is 0.0 (nothing disagrees), as relative_difference returns."),
)
table("block_differences", *BD_SEEN.values())


# ------------------------------------------------------------------------------------------ diagnose
def _ratios(c):
    g, a = c.g, c.a
    with np.errstate(divide="ignore", invalid="ignore"):
        return {n: _norm(g[idx]) / _norm(a[idx]) for n, idx in c.groups.items()}


def _pick(c, test, value):
    """{tensor: value(tensor)} of the tensors whose block difference passes test."""
    blocks = expected_block_differences(grad=c.grad, gradapprox=c.approx, keys=c.keys)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {n: value(n, blocks) for n, d in blocks.items() if test(d)}


def _prefix_suspects(c):
    g, a, prefix = c.g, c.a, _prefix_groups(c.keys)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {n: float(_norm(g[prefix[n]]) / _norm(a[prefix[n]])) for n, d in _prefix_blocks(c).items() if d > c.t}


def _sums(c):
    g, a, groups = c.g, c.a, c.groups
    return _pick(c, lambda d: d > c.t, lambda n, _: float(np.sum(g[groups[n]]) / np.sum(a[groups[n]])))


_IGNORED_THRESHOLD = "you ignored the threshold argument: compare with the threshold you are given."

DG_MODELLED = table(
    "diagnose",
    Mistake("dg.prefix_names", BD_MODELLED[0].hint, _prefix_suspects),
    Mistake("dg.inverted_ratio", "the ratio is upside down: ||g_T|| / ||a_T|| (backprop over gradapprox), so 2 means "
            "2 times too big.", lambda c: _pick(c, lambda d: d > c.t, lambda n, _: 1 / _ratios(c)[n])),
    Mistake("dg.at_threshold", "a tensor whose block difference equals the threshold is not a suspect: keep the "
            "tensors whose difference is strictly above it (d > threshold).",
            lambda c: _pick(c, lambda d: d >= c.t, lambda n, _: _ratios(c)[n])),
    Mistake("dg.ignored_threshold", _IGNORED_THRESHOLD,
            lambda c: _pick(c, lambda d: d > SUSPECT_THRESHOLD, lambda n, _: _ratios(c)[n])),
    Mistake("dg.ignored_threshold", _IGNORED_THRESHOLD,
            lambda c: _pick(c, lambda d: d > THRESHOLD, lambda n, _: _ratios(c)[n])),
    Mistake("dg.every_tensor", "you returned every tensor: keep only the suspects, whose block difference is above "
            "the threshold.", lambda c: _pick(c, lambda d: True, lambda n, _: _ratios(c)[n])),
    Mistake("dg.ratio_from_difference", "k = (1 + d) / (1 - d) undoes |k - 1| / (k + 1) only for k > 1: the "
            "difference is the same for k and 1/k, so it cannot say too big from too small. Use the norm ratio "
            "||g_T|| / ||a_T||.",
            lambda c: _pick(c, lambda d: d > c.t, lambda n, b: (1 + b[n]) / (1 - b[n]) if b[n] < 1 else np.inf)),
    Mistake("dg.ratio_of_sums", "use the ratio of the norms ||g_T|| / ||a_T||, not of the sums of the entries (signs "
            "cancel in a sum).", _sums),
)
DG_SEEN = _seen("dg")
table("diagnose", *DG_SEEN.values())
