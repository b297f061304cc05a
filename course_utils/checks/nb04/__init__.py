"""Checks of notebook 04 check an N-D gradient: one module per exercise.

    gradient_check_n.py             check_gradient_check_n: the cases, the calls, the print_msg verdict (its known
                                    mistakes are records in course_utils.expect.gradient_check_n)
    block_differences.py            check_block_differences, and the cases and comparisons diagnose shares
    diagnose.py                     check_diagnose (its known mistakes, like block_differences', are records in
                                    course_utils.expect.block_differences)
    backward_propagation_n.py       check_backward_propagation_n: the fixed backward pass and its mistakes
    _shared.py                      the default epsilon, the cost functions, random nets

The expected values and tolerances the checks share with the grader are in course_utils.expect.nb04 (no function
there or here can be called as an exercise's answer: the package ships to every student). A known
mistake is named only when the answer agrees with it (the mistake applied to the reference computation) on EVERY
case, so that one coincidence cannot name the wrong mistake.
"""
from course_utils.checks.nb04._shared import DEFAULT_EPSILON, classic_cost_function, deep_cost_function
from course_utils.checks.nb04.backward_propagation_n import (
    CACHE_NAMES,
    COLLEAGUE_FACTORS,
    GRADIENT_KEYS,
    INTERMEDIATE_KEYS,
    STILL_THE_COLLEAGUES,
    check_backward_propagation_n,
)
from course_utils.checks.nb04.block_differences import _blocks_cases, check_block_differences
from course_utils.checks.nb04.diagnose import check_diagnose
from course_utils.checks.nb04.gradient_check_n import _gcn_cases, check_gradient_check_n

__all__ = ["check_gradient_check_n", "check_block_differences", "check_diagnose", "check_backward_propagation_n",
           "DEFAULT_EPSILON", "classic_cost_function", "deep_cost_function", "GRADIENT_KEYS", "INTERMEDIATE_KEYS",
           "CACHE_NAMES", "COLLEAGUE_FACTORS", "STILL_THE_COLLEAGUES", "_gcn_cases", "_blocks_cases"]
