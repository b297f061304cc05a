"""What the verification specs of notebook 04 share: the course modules that hold answers, random 3-layer nets.
"""
from course_utils.expect.cases import random_net

ANSWER_MODULES = ("gradcheck.py", "differences.py", "fastcost.py", "checks", "expect", "widgets.py",
                  "widget_base.py", "widget_epsilon.py", "widget_bug_picker.py", "widget_bug_lab.py", "plots.py")


def _classic_case(rng, m=None, labels_2d=None, hidden=None):
    """A random 3-layer net of random sizes (or hidden = (n1, n2)) and scales, X (4, m) of a random scale, labels
    of shape (m,) or (1, m)."""
    m = int(rng.integers(3, 8)) if m is None else m
    sizes = [4, int(rng.integers(3, 7)), int(rng.integers(2, 5)), 1] if hidden is None else [4, *hidden, 1]
    X, Y, params = random_net(rng, m, sizes, x_scale=(0.5, 2.5))
    Y = Y.astype(float).reshape(m)
    if labels_2d if labels_2d is not None else bool(rng.integers(2)):
        Y = Y.reshape(1, m)
    return X, Y, params
