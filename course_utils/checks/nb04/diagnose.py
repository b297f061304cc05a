"""The check of diagnose (notebook 04); its known mistakes are records in course_utils.expect.block_differences (dg.*),
and the cases, the calls and the comparisons it shares with block_differences are in block_differences.py (whose
docstring says what they are).
"""

from course_utils import network
from course_utils.checks._common import (
    _fmt,
    exercise_check,
)
from course_utils.checks.nb04.block_differences import (
    _as_number,
    _blocks_cases,
    _cache_explains,
    _call_blocks,
    _colleague_last,
    _colleague_only,
    _compare_dicts,
    _dict_close,
    _ordered_items,
    _returned,
)
from course_utils.expect.block_differences import DG_MODELLED, DG_SEEN, BlockCase
from course_utils.expect.mistakes import explaining, failure
from course_utils.expect.nb04 import SUSPECT_THRESHOLD, expected_diagnose

_WORDS = ("return the norm ratio itself, a number such as 2.0 (the notebook turns it into words): "
          "{name}: ||g_T|| / ||a_T||.")


def _want_of(result):
    """The expected suspects of a result (call, items, grad, gradapprox, keys, threshold or None) of the check."""
    _, _, grad, approx, keys, threshold = result
    return expected_diagnose(grad=grad, gradapprox=approx, keys=keys,
                             threshold=SUSPECT_THRESHOLD if threshold is None else threshold)


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
        checked[index] = (call, [(k, _as_number(v, call, k, DG_SEEN)) for k, v in items], grad, approx, keys,
                          threshold)
    results = [checked[index] for index in range(len(called))]
    for index, (call, items, _, _, keys, _) in _colleague_last(results):
        want = _want_of(results[index])
        problem = _compare_dicts(items, want, _diagnose_tol)
        if problem is None:
            continue
        if index == 0:  # right everywhere else: say what is wrong without the colleague's suspects and ratios
            raise AssertionError(_colleague_only(call, items, want, problem, "the norm ratio ||g_T|| / ||a_T||",
                                                 _diagnose_tol))
        message = _returned(call, items, want)
        if problem == "order" and _compare_dicts(sorted(items), dict(sorted(want.items())), _diagnose_tol) is None:
            raise failure(message, DG_SEEN["sorted"])
        got_names = [k for k, _ in items]
        if problem == "keys" and set(got_names) <= set(network.CLASSIC_SHAPES) and not set(want) <= set(
                network.CLASSIC_SHAPES):
            raise failure(message, DG_SEEN["hard_coded"].filled(names=", ".join(dict.fromkeys(keys))))
        found = [DG_SEEN["cached"]] if _cache_explains(results, _want_of) else []
        found += explaining(DG_MODELLED, [BlockCase(g, a, k, t) for _, _, g, a, k, t in results],
                            [it for _, it, *_ in results], _dict_close(_diagnose_tol))
        raise failure(message, found[0] if len(found) == 1 else None)
    print("diagnose passed: suspects and ratios right on the colleague's vectors, a 12-layer net, other names, "
          "a tensor too small, a sign error, a block exactly at the threshold")
