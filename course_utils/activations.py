"""Activation functions of the course networks."""
import numpy as np


def sigmoid(z):
    """Logistic sigmoid 1 / (1 + exp(-z)), computed without overflow for large |z|.

    z -- numpy array of any shape (or a scalar)
    Returns an array of the same shape with values in [0, 1].
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)  # ints and bools: compute in float64
    e = np.exp(-np.abs(z))  # never overflows: the exponent is <= 0
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(z):
    """Rectified linear unit max(0, z), elementwise.

    z -- numpy array of any shape (or a scalar)
    Returns an array of the same shape.
    """
    return np.maximum(0, z)
