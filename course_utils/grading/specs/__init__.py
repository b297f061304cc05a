"""Verification specs of the course's exercises (see verify.py): for each exercise, the cases drawn at
grading time, how each result is judged, and what the exercise may use.

Every expected value is computed here, in the grader's process, from the course's reference code;
none of it enters a verification sandbox. One module per notebook (nb00 ... nb06; nb04 is a package with one
module per exercise). Names are the exercise names; release notebooks point at them with
``course.verify = "course_utils.grading.specs:<exercise>"``.
"""
from course_utils.grading.specs.nb00 import *  # noqa: F401,F403
from course_utils.grading.specs.nb01 import *  # noqa: F401,F403
from course_utils.grading.specs.nb02 import *  # noqa: F401,F403
from course_utils.grading.specs.nb03 import *  # noqa: F401,F403
from course_utils.grading.specs.nb04 import *  # noqa: F401,F403
from course_utils.grading.specs.nb05 import *  # noqa: F401,F403
from course_utils.grading.specs.nb06 import *  # noqa: F401,F403
