"""What the notebooks' checks (course_utils.checks) and the grader's verification (course_utils.grading) share, below
both: the rules every exercise follows, what each exercise's verification run holds (exposure), and the reference
formulas, tolerances and judges both compute the expected answers with (nb04, nb05).

It imports core modules only (README, "Layers"; tests/test_layers.py): the checks import it and so does the
grader, it imports neither -- a student's kernel that runs a check loads no grading module, and the grader no
check. It holds answers (nb04's reference block differences, ...), so no verification sandbox exposes it.
"""

# The rule for a function that prints (apart from what an exercise asks, like print_msg): it fails, in the
# notebook's check and in the grader alike, with these words.
PRINTS_ADVICE = "remove the print calls from your function (a check prints only its own line, which the grader compares)"
