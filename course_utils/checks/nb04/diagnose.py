"""The check of diagnose (notebook 04): its known mistakes and the check; the cases, the calls and the
comparisons it shares with block_differences are in block_differences.py (whose docstring says what they are).
"""
import numpy as np

from course_utils import network
from course_utils.checks._common import (
    THRESHOLD,
    _fmt,
    exercise_check,
)
from course_utils.checks.nb04.block_differences import (
    _CACHED_BLOCKS,
    _HARD_CODED,
    _PREFIX,
    _SORTED,
    _as_number,
    _block_models,
    _blocks_cases,
    _cache_explains,
    _call_blocks,
    _colleague_last,
    _colleague_only,
    _compare_dicts,
    _ordered_items,
    _prefix_groups,
    _returned,
)
from course_utils.expect.nb04 import (
    SUSPECT_THRESHOLD,
    _groups,
    _norm,
    reference_block_differences,
    reference_diagnose,
)

_INVERTED = "the ratio is upside down: ||g_T|| / ||a_T|| (backprop over gradapprox), so 2 means 2 times too big."
_AT_THRESHOLD = ("a tensor whose block difference equals the threshold is not a suspect: keep the tensors whose "
                 "difference is strictly above it (d > threshold).")
_IGNORED_THRESHOLD = "you ignored the threshold argument: compare with the threshold you are given."
_EVERY_TENSOR = "you returned every tensor: keep only the suspects, whose block difference is above the threshold."
_FROM_D = ("k = (1 + d) / (1 - d) undoes |k - 1| / (k + 1) only for k > 1: the difference is the same for k and 1/k, "
           "so it cannot say too big from too small. Use the norm ratio ||g_T|| / ||a_T||.")
_WORDS = ("return the norm ratio itself, a number such as 2.0 (the notebook turns it into words): "
          "{name}: ||g_T|| / ||a_T||.")
_SUMS = "use the ratio of the norms ||g_T|| / ||a_T||, not of the sums of the entries (signs cancel in a sum)."


def _diagnose_models(grad, gradapprox, keys, threshold):
    """{hint: {suspect: value}} of the known diagnose mistakes on one case (threshold None: the default)."""
    t = SUSPECT_THRESHOLD if threshold is None else threshold
    g, a = np.ravel(grad).astype(float), np.ravel(gradapprox).astype(float)
    groups = _groups(keys)
    blocks = reference_block_differences(grad, gradapprox, keys)
    prefix = _prefix_groups(keys)
    prefix_blocks = _block_models(grad, gradapprox, keys)[_PREFIX]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = {n: _norm(g[idx]) / _norm(a[idx]) for n, idx in groups.items()}

    def pick(test, value):
        return {n: value(n) for n, d in blocks.items() if test(d)}
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            _PREFIX: {n: float(_norm(g[prefix[n]]) / _norm(a[prefix[n]])) for n, d in prefix_blocks.items() if d > t},
            _INVERTED: pick(lambda d: d > t, lambda n: 1 / ratio[n]),
            _AT_THRESHOLD: pick(lambda d: d >= t, lambda n: ratio[n]),
            _IGNORED_THRESHOLD: pick(lambda d: d > SUSPECT_THRESHOLD, lambda n: ratio[n]),
            _IGNORED_THRESHOLD + " ": pick(lambda d: d > THRESHOLD, lambda n: ratio[n]),
            _EVERY_TENSOR: pick(lambda d: True, lambda n: ratio[n]),
            _FROM_D: pick(lambda d: d > t, lambda n: (1 + blocks[n]) / (1 - blocks[n]) if blocks[n] < 1 else np.inf),
            _SUMS: pick(lambda d: d > t, lambda n: float(np.sum(g[groups[n]]) / np.sum(a[groups[n]]))),
        }


def _diagnose_tol(w):
    return 1e-8 * abs(w) + 1e-300


@exercise_check
def check_diagnose(diagnose):
    """diagnose(grad, gradapprox, keys, threshold=1e-5) must return {suspect: ||g_T|| / ||a_T||} (module doc)."""
    called = [_call_blocks(diagnose, "diagnose", label, grad, approx, keys, threshold) + (grad, approx, keys, threshold)
              for label, grad, approx, keys, threshold in _blocks_cases()]
    checked = {}
    for index, (call, result, grad, approx, keys, threshold) in _colleague_last(called):  # the colleague's suspects last
        if isinstance(result, (list, tuple, set)) and all(isinstance(n, str) for n in result):
            raise AssertionError(f"{call} returned {_fmt(result)}, a {type(result).__name__} of names: return a "
                                 "dict {suspect: norm ratio ||g_T|| / ||a_T||}, e.g. {'gamma': 0.25}.")
        items = _ordered_items(result, call, "suspects' names")
        for name, value in items:
            if isinstance(value, str):
                raise AssertionError(f"{call} returned {value!r} for {name}: " + _WORDS.format(name=name))  # noqa: TRY004
        checked[index] = (call, [(k, _as_number(v, call, k)) for k, v in items], grad, approx, keys, threshold)
    results = [checked[index] for index in range(len(called))]
    for index, (call, items, grad, approx, keys, threshold) in _colleague_last(results):
        want = reference_diagnose(grad, approx, keys, SUSPECT_THRESHOLD if threshold is None else threshold)
        problem = _compare_dicts(items, want, _diagnose_tol)
        if problem is None:
            continue
        if index == 0:  # right everywhere else: say what is wrong without the colleague's suspects and ratios
            raise AssertionError(_colleague_only(call, items, want, problem, "the norm ratio ||g_T|| / ||a_T||",
                                                 _diagnose_tol))
        message = _returned(call, items, want)
        if problem == "order" and _compare_dicts(sorted(items), dict(sorted(want.items())), _diagnose_tol) is None:
            raise AssertionError(message + f"\nMost likely: {_SORTED}")
        got_names = [k for k, _ in items]
        if problem == "keys" and set(got_names) <= set(network.CLASSIC_SHAPES) and not set(want) <= set(
                network.CLASSIC_SHAPES):
            raise AssertionError(message + "\nMost likely: " + _HARD_CODED.format(names=", ".join(dict.fromkeys(keys))))
        hints = []
        if _cache_explains(results, lambda r: reference_diagnose(*r[2:5], SUSPECT_THRESHOLD if r[5] is None else r[5])):
            hints.append(_CACHED_BLOCKS)
        for hint in _diagnose_models(*results[0][2:]):
            if all(_compare_dicts(it, _diagnose_models(g, a, k, t)[hint], _diagnose_tol) is None
                   for _, it, g, a, k, t in results):
                hints.append(hint.strip())
        raise AssertionError(message + (f"\nMost likely: {' Or: '.join(dict.fromkeys(hints))}" if hints else ""))
    print("diagnose passed: suspects and ratios right on the colleague's vectors, a 12-layer net, other names, "
          "a tensor too small, a sign error, a block exactly at the threshold")
