"""The bug catalog: realistic backprop mistakes that `backward_propagation_n(..., bugs=...)` injects.

Each entry says what the mistake is, the buggy line next to the right one, and which parameter
tensors of the classic 3-layer network get a wrong gradient because of it. Tests check that a bug
corrupts exactly those tensors and nothing else.
"""
from dataclasses import dataclass

from course_utils.network import CLASSIC_SHAPES

CLASSIC_PARAMETERS = tuple(CLASSIC_SHAPES)  #: the classic net's parameters, in parameter order
COLLEAGUE_BUGS = ("dW2_times_2", "db1_4_over_m")  #: the colleague's backward pass of notebook 04 (the original's two bugs)


@dataclass(frozen=True)
class Bug:
    """One backprop mistake.

    name -- the switch passed in `bugs=` (e.g. "dW2_times_2")
    description -- one plain sentence: what went wrong
    buggy -- the buggy line of code;  correct -- the line it should be
    corrupts -- parameter names (classic network, parameter order) whose gradient it changes
    layer -- the layer the bug lives in (None: not tied to one layer)
    needs_l2 -- True when the bug only shows with L2 regularization (lambd > 0)
    """

    name: str
    description: str
    buggy: str
    correct: str
    corrupts: tuple
    layer: int | None = None
    needs_l2: bool = False


BUGS = {bug.name: bug for bug in [
    # The two classics of the original assignment come first.
    Bug("dW2_times_2",
        "A stray factor 2 in dW2: the gradient of W2 is twice what it should be.",
        "dW2 = 1./m * np.dot(dZ2, A1.T) * 2", "dW2 = 1./m * np.dot(dZ2, A1.T)",
        ("W2",), layer=2),
    Bug("db1_4_over_m",
        "db1 is averaged with 4./m instead of 1./m: four times too large.",
        "db1 = 4./m * np.sum(dZ1, axis=1, keepdims=True)", "db1 = 1./m * np.sum(dZ1, axis=1, keepdims=True)",
        ("b1",), layer=1),
    Bug("dW3_missing_1_over_m",
        "dW3 forgets to average over the m examples: it is m times too large.",
        "dW3 = np.dot(dZ3, A2.T)", "dW3 = 1./m * np.dot(dZ3, A2.T)",
        ("W3",), layer=3),
    Bug("db2_sum_without_axis",
        "db2 sums dZ2 over every entry instead of over the examples (axis=1): one number, "
        "which numpy broadcasts silently over all units of b2.",
        "db2 = 1./m * np.sum(dZ2)", "db2 = 1./m * np.sum(dZ2, axis=1, keepdims=True)",
        ("b2",), layer=2),
    Bug("relu_grad_missing_layer1",
        "The ReLU derivative of layer 1 is forgotten: dZ1 = dA1, as if ReLU were the identity.",
        "dZ1 = dA1", "dZ1 = np.multiply(dA1, np.int64(A1 > 0))",
        ("W1", "b1"), layer=1),
    Bug("relu_mask_uses_dA2",
        "The ReLU mask of layer 2 is taken from the sign of the incoming gradient dA2 "
        "instead of from the activation A2.",
        "dZ2 = np.multiply(dA2, np.int64(dA2 > 0))", "dZ2 = np.multiply(dA2, np.int64(A2 > 0))",
        ("W1", "b1", "W2", "b2"), layer=2),
    Bug("output_sign_flipped",
        "Sign error at the output: dZ3 = Y - A3, the gradient of the log-likelihood "
        "instead of the cost, so every gradient points the wrong way.",
        "dZ3 = Y - A3", "dZ3 = A3 - Y",
        CLASSIC_PARAMETERS),
    Bug("sigmoid_derivative_twice",
        "The sigmoid derivative A3 * (1 - A3) is applied on top of A3 - Y, which already "
        "contains it (cross-entropy and sigmoid simplify together).",
        "dZ3 = (A3 - Y) * A3 * (1 - A3)", "dZ3 = A3 - Y",
        CLASSIC_PARAMETERS),
    Bug("l2_term_missing",
        "With L2 regularization, the cost has lambd/(2m) * sum ||W||^2 but the backward pass "
        "forgets its gradient lambd/m * W in every dW.",
        "dW = 1./m * np.dot(dZ, A_prev.T)", "dW = 1./m * np.dot(dZ, A_prev.T) + lambd / m * W",
        ("W1", "W2", "W3"), needs_l2=True),
]}


def validate_bugs(bugs, n_layers=None, argname="bugs"):
    """Return `bugs` as a frozenset of catalog names, or raise a clear error.

    bugs -- an iterable of names from BUGS (a single string is accepted as one name)
    n_layers -- number of layers of the network; a bug tied to a deeper layer is refused
    """
    if bugs is None:
        return frozenset()
    if isinstance(bugs, str):
        bugs = (bugs,)
    try:
        names = frozenset(bugs)
    except TypeError:
        raise TypeError(f"{argname} must be an iterable of bug names from BUGS, got {type(bugs).__name__}") from None
    unknown = sorted(n for n in names if n not in BUGS)
    if unknown:
        raise ValueError(f"{argname} has unknown bug name(s) {unknown}; known bugs: {sorted(BUGS)}")
    if n_layers is not None:
        for name in names:
            layer = BUGS[name].layer
            if layer is not None and layer > n_layers:
                raise ValueError(f"{argname}: bug {name!r} lives in layer {layer}, "
                                 f"but this network has only {n_layers} layers")
            if name.startswith("relu") and layer >= n_layers:
                raise ValueError(f"{argname}: bug {name!r} needs layer {layer} to be a hidden ReLU layer, "
                                 f"but this network has only {n_layers} layers")
    return names
