"""Verification specs of notebook 04 check an N-D gradient (see course_utils/grading/verify.py): one module per
exercise, as in course_utils/checks/nb04/.

    gradient_check_n.py             the spec of gradient_check_n: nets, epsilons, the print_msg verdict
    block_differences.py            the spec of block_differences, and the cases and comparisons diagnose shares
    diagnose.py                     the spec of diagnose: drawn thresholds, a tensor exactly at the threshold
    backward_propagation_n.py       the spec of backward_propagation_n, with a net too large to differentiate
                                    numerically
    _shared.py                      the course modules that hold answers, random 3-layer nets
"""
from course_utils.grading.specs.nb04._shared import ANSWER_MODULES
from course_utils.grading.specs.nb04.backward_propagation_n import LARGE_HIDDEN, backward_propagation_n
from course_utils.grading.specs.nb04.block_differences import block_differences
from course_utils.grading.specs.nb04.diagnose import diagnose
from course_utils.grading.specs.nb04.gradient_check_n import CLASSIC_LAYER_BUGS, gradient_check_n

__all__ = ["gradient_check_n", "block_differences", "diagnose", "backward_propagation_n", "ANSWER_MODULES",
           "CLASSIC_LAYER_BUGS", "LARGE_HIDDEN"]
