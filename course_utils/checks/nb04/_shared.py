"""What the checks of notebook 04 share: the default epsilon, the cost functions, random nets.
"""

from course_utils import network
from course_utils.expect.cases import random_net

DEFAULT_EPSILON = 1e-7  #: the default epsilon of gradient_check_n and of the classic loop


def classic_cost_function(X, Y):
    """J(parameters) of the classic net as forward_propagation_n computes it, as a plain function."""
    return lambda parameters: network.forward_propagation_n(X, Y, parameters)[0]


def deep_cost_function(X, Y):
    """J(parameters) of a net of any depth as forward_propagation_deep computes it (the stable formula)."""
    return lambda parameters: network.forward_propagation_deep(X, Y, parameters)[0]


def _random_net(rng, m, sizes=None):
    """A random 3-layer net of other sizes and scales than the classic one (at least 55 parameters; or of the
    layer sizes `sizes`), data X (4, m) of a random scale and labels Y (1, m) with both labels present."""
    sizes = [4, int(rng.integers(6, 9)), int(rng.integers(3, 6)), 1] if sizes is None else list(sizes)
    return random_net(rng, m, sizes, x_scale=(0.5, 3.0))
