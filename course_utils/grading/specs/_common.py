"""What the verification specs share: random draws of signed numbers and parameter dictionaries."""
import numpy as np

from course_utils.grading.verify import as_number

U = np.finfo(float).eps


def _signed(rng, low, high):
    """A float with random sign and magnitude in [low, high)."""
    return float(rng.choice([-1.0, 1.0]) * rng.uniform(low, high))


def _number(value):
    return as_number(value)


def _random_parameters(rng, layers):
    sizes = [int(n) for n in rng.integers(1, 5, size=layers + 1)]
    params = {}
    for l in range(1, layers + 1):
        params[f"W{l}"] = rng.normal(0, 1, size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(0, 1, size=(sizes[l], 1))
    names = list(params)
    rng.shuffle(names)
    return {n: params[n] for n in names}


def _depths(rng):
    return [int(rng.integers(1, 4)), 3, int(rng.integers(10, 13))]
