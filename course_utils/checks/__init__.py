"""The checks behind the notebooks' check cells: one `check_<exercise>(student_function)` per exercise.

Each check calls the student's function on the course's canonical inputs and on inputs drawn with
a local np.random.default_rng(SEED) (so a function that only knows the canonical answer fails),
and compares with expected values computed at run time from the course library (course_utils.gradcheck,
backprop, lab) or from closed forms -- never from a reference answer: the checks ship to every student, and
no function in them answers an exercise (tests/test_release_answers.py). When the answer is wrong it raises
AssertionError saying what was expected, what came out and, for the well-known mistakes, what the student
most likely did (each mistake is modelled and its result compared with the student's). When the answer is right it prints
ONE short line with rounded numbers that are the same on every run and machine, and returns None.

A stub's NotImplementedError stays a NotImplementedError, re-raised with a short message and a
short traceback (no frames of the check's own source): "<exercise> is not written yet: <the stub's
message>", or, when the function under check calls another exercise of the notebook that is still a
stub (gradient_check calling forward_propagation), "<exercise> calls your <other>, which is still the
stub: do that exercise first". Any other error raised by the student's code propagates unchanged;
passing something that is not a function raises TypeError. No check reads or changes numpy's global
random state.
"""
from course_utils.checks._common import COLLEAGUE_BUGS, DEEP_DIMS, SEED, THRESHOLD  # noqa: F401
from course_utils.checks.nb00 import check_warm_up_square  # noqa: F401
from course_utils.checks.nb01 import (  # noqa: F401
                                      check_centered_difference,
                                      check_forward_difference,
                                      check_relative_difference,
)
from course_utils.checks.nb02 import (  # noqa: F401
                                      check_backward_propagation,
                                      check_forward_propagation,
                                      check_gradient_check,
)
from course_utils.checks.nb03 import (  # noqa: F401
                                      check_dictionary_to_vector,
                                      check_gradients_to_vector,
                                      check_vector_to_dictionary,
)
from course_utils.checks.nb04 import (  # noqa: F401
                                      check_backward_propagation_n,
                                      check_block_differences,
                                      check_diagnose,
                                      check_gradient_check_n,
)
from course_utils.checks.nb05 import (  # noqa: F401
                                      check_cost_with_l2,
                                      check_directional_check,
)
from course_utils.checks.nb06 import (  # noqa: F401
                                      check_buggy_lines,
                                      check_fixed_backward,
                                      check_student_id,
                                      check_wrong_tensors,
)
