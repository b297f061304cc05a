"""The bug catalog: realistic backprop mistakes that `backward_propagation_n(..., bugs=...)` injects.

Each entry is the one home of its mistake: what went wrong, the buggy line next to the right one,
which parameter tensors of the classic 3-layer network get a wrong gradient because of it, and the
behaviour itself -- a small pure function (`inject`) that the backward pass
(course_utils/backprop.py) applies at a named point, its `stage`, of the layer the bug lives in.
The backward pass knows the stages, never the bugs. Tests check that every bug does what its buggy
line does and corrupts exactly the tensors it names (tests/test_bugs.py).
"""
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from course_utils.network import CLASSIC_SHAPES

CLASSIC_PARAMETERS = tuple(CLASSIC_SHAPES)  #: the classic net's parameters, in parameter order
COLLEAGUE_BUGS = ("dW2_times_2", "db1_4_over_m")  #: the colleague's backward pass of notebook 04 (the original's two bugs)


@dataclass(frozen=True)
class Stage:
    """A point of the backward pass where bugs may replace the value computed there.

    value -- the correct value the backward pass offers at this point (what the hook receives)
    hidden_only -- True when the point exists only in hidden (ReLU) layers, not at the sigmoid output
    """

    value: str
    hidden_only: bool = False


#: The points of the backward pass, in the order it reaches them for each layer l (from L down to 1).
STAGES = {
    "dZ_out": Stage("dZ_L = A_L - Y, the gradient of the cost at the output's pre-activation (layer L only)"),
    "dW": Stage("dW_l = 1/m * dZ_l A_{l-1}^T, before any L2 term"),
    "dW_l2": Stage("dW_l + lambd/m * W_l, the L2 term added (reached only when lambd > 0)"),
    "db": Stage("db_l = 1/m * sum of dZ_l over the examples (axis 1), shape (n_l, 1)"),
    "dZ_relu": Stage("dZ_l = dA_l * relu'(Z_l), through the ReLU of a hidden layer", hidden_only=True),
}


@dataclass(frozen=True)
class At:
    """What a bug's hook may read where it runs (the backward pass's own values; None where a stage has none).

    l -- the layer; m -- the number of examples; Y -- labels, shape (1, m)
    A -- A_l, shape (n_l, m) (stages dZ_out, dZ_relu); A_prev -- A_{l-1} (stage dW)
    W -- W_l (stage dW_l2); dZ -- dZ_l, shape (n_l, m) (stages dW, db)
    dA -- dA_l, shape (n_l, m) (stage dZ_relu); dW -- dW_l before the L2 term (stage dW_l2)
    lambd -- the L2 strength (stage dW_l2)
    """

    l: int
    m: int
    Y: np.ndarray = None
    A: np.ndarray = None
    A_prev: np.ndarray = None
    W: np.ndarray = None
    dZ: np.ndarray = None
    dA: np.ndarray = None
    dW: np.ndarray = None
    lambd: float = 0.0


@dataclass(frozen=True)
class Bug:
    """One backprop mistake, and its behaviour.

    name -- the switch passed in `bugs=` (e.g. "dW2_times_2")
    description -- one plain sentence: what went wrong
    buggy -- the buggy line of code;  correct -- the line it should be
    corrupts -- parameter names (classic network, parameter order) whose gradient it changes
    stage -- the point of the backward pass where it acts, a key of STAGES
    inject -- its behaviour: inject(value, at) -> the buggy value, where value is the correct value
              at `stage` and `at` an At with what the backward pass has there; a pure function
    layer -- the layer the bug lives in (None: every layer that has `stage`)
    needs_l2 -- True when the bug only shows with L2 regularization (lambd > 0)
    """

    name: str
    description: str
    buggy: str
    correct: str
    corrupts: tuple
    stage: str
    inject: Callable = field(repr=False, compare=False)
    layer: int | None = None
    needs_l2: bool = False

    def __post_init__(self):
        if self.stage not in STAGES:
            raise ValueError(f"Bug {self.name!r}: stage must be one of {list(STAGES)}, got {self.stage!r}")

    @property
    def min_layers(self):
        """The fewest layers a network needs for this bug: its layer (or 1), plus one when that layer must be hidden."""
        layer = 1 if self.layer is None else self.layer
        return layer + 1 if STAGES[self.stage].hidden_only else layer


BUGS = {bug.name: bug for bug in [
    # The two classics of the original assignment come first.
    Bug("dW2_times_2",
        "A stray factor 2 in dW2: the gradient of W2 is twice what it should be.",
        "dW2 = 1./m * np.dot(dZ2, A1.T) * 2", "dW2 = 1./m * np.dot(dZ2, A1.T)",
        ("W2",), "dW", lambda dW, at: dW * 2, layer=2),
    Bug("db1_4_over_m",
        "db1 is averaged with 4./m instead of 1./m: four times too large.",
        "db1 = 4./m * np.sum(dZ1, axis=1, keepdims=True)", "db1 = 1./m * np.sum(dZ1, axis=1, keepdims=True)",
        ("b1",), "db", lambda db, at: db * 4, layer=1),  # 4./m * s == 4 * (1./m * s) exactly (a power of 2)
    Bug("dW3_missing_1_over_m",
        "dW3 forgets to average over the m examples: it is m times too large.",
        "dW3 = np.dot(dZ3, A2.T)", "dW3 = 1./m * np.dot(dZ3, A2.T)",
        ("W3",), "dW", lambda dW, at: dW * at.m, layer=3),  # the buggy line's value to the last bit or two
    Bug("db2_sum_without_axis",
        "db2 sums dZ2 over every entry instead of over the examples (axis=1): one number, "
        "which numpy broadcasts silently over all units of b2.",
        "db2 = 1./m * np.sum(dZ2)", "db2 = 1./m * np.sum(dZ2, axis=1, keepdims=True)",
        ("b2",), "db", lambda db, at: np.full(db.shape, 1.0 / at.m * np.sum(at.dZ)), layer=2),
    Bug("relu_grad_missing_layer1",
        "The ReLU derivative of layer 1 is forgotten: dZ1 = dA1, as if ReLU were the identity.",
        "dZ1 = dA1", "dZ1 = np.multiply(dA1, np.int64(A1 > 0))",
        ("W1", "b1"), "dZ_relu", lambda dZ, at: at.dA, layer=1),
    Bug("relu_mask_uses_dA2",
        "The ReLU mask of layer 2 is taken from the sign of the incoming gradient dA2 "
        "instead of from the activation A2.",
        "dZ2 = np.multiply(dA2, np.int64(dA2 > 0))", "dZ2 = np.multiply(dA2, np.int64(A2 > 0))",
        ("W1", "b1", "W2", "b2"), "dZ_relu", lambda dZ, at: at.dA * (at.dA > 0), layer=2),
    # Two mistakes at the output; both act on dZ_L, in this order when both are on.
    Bug("output_sign_flipped",
        "Sign error at the output: dZ3 = Y - A3, the gradient of the log-likelihood "
        "instead of the cost, so every gradient points the wrong way.",
        "dZ3 = Y - A3", "dZ3 = A3 - Y",
        CLASSIC_PARAMETERS, "dZ_out", lambda dZ, at: at.Y - at.A),
    Bug("sigmoid_derivative_twice",
        "The sigmoid derivative A3 * (1 - A3) is applied on top of A3 - Y, which already "
        "contains it (cross-entropy and sigmoid simplify together).",
        "dZ3 = (A3 - Y) * A3 * (1 - A3)", "dZ3 = A3 - Y",
        CLASSIC_PARAMETERS, "dZ_out", lambda dZ, at: dZ * at.A * (1 - at.A)),
    Bug("l2_term_missing",
        "With L2 regularization, the cost has lambd/(2m) * sum ||W||^2 but the backward pass "
        "forgets its gradient lambd/m * W in every dW.",
        "dW = 1./m * np.dot(dZ, A_prev.T)", "dW = 1./m * np.dot(dZ, A_prev.T) + lambd / m * W",
        ("W1", "W2", "W3"), "dW_l2", lambda dW, at: at.dW, needs_l2=True),
]}


def validate_bugs(bugs, n_layers=None, argname="bugs"):
    """Return `bugs` as a frozenset of catalog names, or raise a clear error.

    bugs -- an iterable of names from BUGS (a single string is accepted as one name)
    n_layers -- number of layers of the network; a bug that needs more layers (Bug.min_layers) is refused
    """
    if bugs is None:
        return frozenset()
    if isinstance(bugs, str):
        bugs = (bugs,)
    try:
        names = frozenset(bugs)
    except TypeError:
        raise TypeError(f"{argname} must be an iterable of bug names from BUGS, got {type(bugs).__name__}") from None
    unknown = sorted((n for n in names if n not in BUGS), key=str)
    if unknown:
        raise ValueError(f"{argname} has unknown bug name(s) {unknown}; known bugs: {sorted(BUGS)}")
    if n_layers is not None:
        for name in sorted(names):
            bug = BUGS[name]
            if n_layers >= bug.min_layers:
                continue
            if bug.layer is not None and bug.layer > n_layers:
                raise ValueError(f"{argname}: bug {name!r} lives in layer {bug.layer}, "
                                 f"but this network has only {n_layers} layers")
            where = "a hidden ReLU layer" if bug.layer is None else f"layer {bug.layer} to be a hidden ReLU layer"
            raise ValueError(f"{argname}: bug {name!r} needs {where}, but this network has only {n_layers} layers")
    return names


def injector(names):
    """The named bugs as one function inject(stage, l, value, **at) -> value, for the backward pass.

    names -- bug names already checked by validate_bugs. At point `stage` of layer l the backward pass
    calls inject with the correct value and what a hook may read there (the fields of At); every named
    bug of that stage whose layer is l (or None) replaces the value, in catalog order.
    """
    chosen = [bug for bug in BUGS.values() if bug.name in names]

    def inject(stage, l, value, **at):
        for bug in chosen:
            if bug.stage == stage and bug.layer in (None, l):
                value = bug.inject(value, At(l=l, **at))
        return value

    return inject
