"""What a graded exercise's status can be, and what each means to a person reading feedback."""

STATUSES = ("passed", "failed", "error", "timeout", "missing", "flagged")

# what each status means, for people reading feedback
STATUS_MEANINGS = {
    "passed": "every check passed and the verification run on fresh inputs agreed",
    "failed": "a check or the verification run found a wrong answer",
    "error": "the code raised an error, or the notebook could not be read",
    "timeout": "a cell ran longer than the time limit",
    "missing": "the notebook or the exercise cell was not in the submission",
    "flagged": "held at 0 points until a person has reviewed the code",
}
