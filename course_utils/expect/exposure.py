"""What each exercise's verification run holds: the course_utils files its sandbox exposes besides __init__.py
(``modules``) and the sentence that says what the exercise may use (``policy``).

The grader's specs take them from here (``Spec(name, cases, **allowed(name))``, course_utils/grading/verify.py) and
so do the checks, which tell a student at once when an answer that passes uses course code the verification run
will not have (course_utils.checks._common._course_code_problem). An exercise missing here has no check of that.
"""
from dataclasses import dataclass

DEFAULT_POLICY = "it may use numpy and its own code"  #: verify.Spec's default policy
VECTOR_MODULES = ("_validate.py", "vectors.py")  #: the vector helpers (notebook 03) and what they need


@dataclass(frozen=True)
class Allowed:
    """What one exercise's verification run exposes (modules) and says it may use (policy)."""

    modules: tuple = ()
    policy: str = DEFAULT_POLICY


ALLOWED = {
    # 00 start here
    "warm_up_square": Allowed(),
    # 01
    "forward_difference": Allowed(),
    "centered_difference": Allowed(),
    "relative_difference": Allowed(),
    # 02
    "forward_propagation": Allowed(),
    "backward_propagation": Allowed(),
    "gradient_check": Allowed(),
    # 03
    "dictionary_to_vector": Allowed(),
    "vector_to_dictionary": Allowed(),
    "gradients_to_vector": Allowed(),
    # 04
    "gradient_check_n": Allowed(VECTOR_MODULES, "it may use the vector helpers, but computes the centered "
                                                "differences and the difference itself"),
    "block_differences": Allowed((), "it computes the norms itself"),
    "diagnose": Allowed((), "it computes the norms itself (it may call your block_differences)"),
    "backward_propagation_n": Allowed((), "it computes the gradients itself; the course's backward pass is not there"),
    # 05
    "cost_with_l2": Allowed(),
    "directional_check": Allowed(),
    # 06
    "student_id": Allowed((), "it must return its string literal"),
    "wrong_tensors": Allowed(),
    "buggy_lines": Allowed(),
    "fixed_backward": Allowed((), "write the whole backward pass in the cell: the teammate's pass, the forward pass "
                                  "and the checks are not there"),
}


def allowed(exercise):
    """{"modules": ..., "policy": ...} of `exercise`, the keyword arguments of its verify.Spec. KeyError if none."""
    entry = ALLOWED[exercise]
    return {"modules": entry.modules, "policy": entry.policy}
