"""Random networks for the cases of checks and verification specs (one generator for both)."""
import numpy as np


def random_net(rng, m, sizes, x_scale=(0.5, 3.0)):
    """A random net of layer sizes `sizes` ([n_x, n_1, ..., 1]), data X (n_x, m) and labels Y (1, m), int64, with
    both labels among the first two examples.

    Each W_l is normal with a standard deviation drawn from U(0.5, 1.5) / sqrt(n_{l-1}) (so activations keep their
    size through the layers), each b_l normal with 0.5; X is normal with a standard deviation drawn from
    U(*x_scale). The draws come in that order from rng, so a caller that draws the sizes first gets the same
    network from the same seed every time."""
    parameters = {}
    for l in range(1, len(sizes)):
        scale = float(rng.uniform(0.5, 1.5)) / np.sqrt(sizes[l - 1])
        parameters[f"W{l}"] = rng.normal(0.0, scale, size=(sizes[l], sizes[l - 1]))
        parameters[f"b{l}"] = rng.normal(0.0, 0.5, size=(sizes[l], 1))
    X = rng.normal(0.0, float(rng.uniform(*x_scale)), size=(sizes[0], m))
    Y = rng.integers(0, 2, size=(1, m))
    Y[0, :2] = (0, 1)[:m]
    return X, Y, parameters
