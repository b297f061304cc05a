"""Notebook 00 start here: warm_up_square's known mistakes, the table its check (course_utils/checks/nb00.py) and
its verification spec (course_utils/grading/specs/nb00.py) name them from.

Each mistake's model is what a square with that mistake returns on a case (a SquareCase: the check's input x;
CANNOT_SAY where it cannot say). No function here returns the answer, nor takes the exercise's own argument (this
package ships to every student).
"""
from dataclasses import dataclass

import numpy as np

from course_utils.expect.mistakes import CANNOT_SAY, Mistake, table


@dataclass(frozen=True)
class SquareCase:
    """One input a check or a verification run gave warm_up_square."""

    x: float


SQUARE_MISTAKES = table(
    "warm_up_square",
    Mistake("square.times_two", "you computed 2 * x; the square is x ** 2 (or x * x).", lambda c: 2.0 * c.x),
    Mistake("square.xor", "`x ^ 2` is bitwise XOR in Python; write x ** 2.",
            lambda c: float(c.x ^ 2) if isinstance(c.x, int) else CANNOT_SAY),
    Mistake("square.unchanged", "you returned x unchanged.", lambda c: float(c.x)),
    Mistake("square.cube", "you computed x ** 3.", lambda c: float(c.x) ** 3),
    Mistake("square.square_root", "you computed the square root; the square is x ** 2.",
            lambda c: float(c.x) ** 0.5 if c.x >= 0 else CANNOT_SAY),
    Mistake("square.sign_kept", "your result is negative for a negative x: a square never is (x * abs(x)? write "
            "x ** 2).", lambda c: float(c.x) * abs(c.x)),
    Mistake("square.truncated", "you truncated x to an integer (int(x)) before squaring it.",
            lambda c: float(int(c.x)) ** 2),
    Mistake("square.float32", "you computed in float32 (np.float32): about 7 significant digits; keep x as it is, "
            "x ** 2.", lambda c: float(np.float32(c.x) ** 2)),
    # round(x ** 2, k) for k = 0..12: one mistake, a variant per number of digits (one k explains every case)
    *(Mistake("square.rounded", "you rounded the result (round(x ** 2, 6)?): return x ** 2 itself; round only "
              "where you print it.", lambda c, k=k: round(float(c.x) ** 2, k)) for k in range(13)),
)
