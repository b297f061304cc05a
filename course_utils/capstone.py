"""The capstone network of notebook 06 and the teammate's buggy backward passes, one per student id.

The network has four layers, none of them the ReLU of course_utils.network:

    X -> LINEAR -> TANH -> LINEAR -> LEAKY_RELU(0.1) -> LINEAR -> TANH -> LINEAR -> SIGMOID -> logistic cost

Shapes: X (n_x, m) with one example per column; Y (1, m) labels in {0, 1}; W_l (n_l, n_{l-1}); b_l (n_l, 1).
The test case has layer sizes SIZES = (4, 5, 5, 3, 1): 77 parameters, and W2 is square.

The forward pass is trusted (it is short and easy to get right; its cost J is the ground truth of every
gradient check). The backward pass is the teammate's: backward_source(student_id) is its code for one
student, buggy_backward(student_id) the function. A stable hash of the id picks one of the generated
variants (course_utils/capstone_variants.py); the course's correct backward pass is not in this package.
"""
import hashlib
import numbers
import re

import numpy as np

from course_utils._validate import as_float_array, check_mapping
from course_utils.capstone_variants import BODIES

LEAKY_SLOPE = 0.1  #: slope of the leaky ReLU of layer 2 for Z2 <= 0
SIZES = (4, 5, 5, 3, 1)  #: layer sizes of the test case (n_x, n_1, n_2, n_3, n_4)
LAYERS = 4
PARAMETER_NAMES = tuple(f"{kind}{l}" for l in range(1, LAYERS + 1) for kind in ("W", "b"))  #: W1, b1, ..., b4
GRADIENT_NAMES = tuple("d" + name for name in PARAMETER_NAMES)  #: dW1, db1, ..., db4
N_VARIANTS = len(BODIES)
PLACEHOLDERS = ("", "your id", "your-id", "jdoe42", "student id", "your student id", "...")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


# ----------------------------------------------------------------------------------------- the network
def leaky_relu(z):
    """z where z > 0, LEAKY_SLOPE * z elsewhere (elementwise; complex z: by the sign of its real part)."""
    return np.where(np.real(z) > 0, z, LEAKY_SLOPE * z)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))  # analytic, so a complex step differentiates it; the inputs stay moderate


def _forward(X, Y, parameters):
    """The forward pass without checks; works on complex parameters too (for complex-step derivatives)."""
    cache, A = {}, X
    for l in range(1, LAYERS + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = np.dot(W, A) + b
        A = {1: np.tanh, 2: leaky_relu, 3: np.tanh, 4: _sigmoid}[l](Z)
        cache.update({f"Z{l}": Z, f"A{l}": A, f"W{l}": W, f"b{l}": b})
    m = X.shape[1]
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    return cost, cache


def _check_xy(X, Y):
    X = as_float_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_x, m), got shape {X.shape}")
    Y = np.asarray(Y)
    if Y.shape != (1, X.shape[1]):
        raise ValueError(f"Y must have shape (1, m) = (1, {X.shape[1]}), got shape {Y.shape}")
    if not np.all((Y == 0) | (Y == 1)):
        raise ValueError("Y must hold labels 0 and 1 only")
    return X, Y.astype(np.float64)


def check_data(X, Y, parameters):
    """Return (X, Y, parameters) as float arrays, or raise an error that names the argument."""
    X, Y = _check_xy(X, Y)
    check_mapping(parameters, "parameters")
    missing = [name for name in PARAMETER_NAMES if name not in parameters]
    if missing:
        raise KeyError(f"parameters is missing {', '.join(missing)} (the network has W1, b1, ..., W4, b4)")
    parameters = {name: as_float_array(parameters[name], f"parameters[{name!r}]") for name in PARAMETER_NAMES}
    rows = X.shape[0]
    for l in range(1, LAYERS + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        if W.ndim != 2 or W.shape[1] != rows:
            raise ValueError(f"parameters['W{l}'] must have shape (n_{l}, {rows}), got shape {W.shape}")
        if b.shape != (W.shape[0], 1):
            raise ValueError(f"parameters['b{l}'] must have shape ({W.shape[0]}, 1), got shape {b.shape}")
        rows = W.shape[0]
    if rows != 1:
        raise ValueError(f"parameters['W4'] must have one row (one output unit), got {rows}")
    return X, Y, parameters


def forward_propagation(X, Y, parameters):
    """The trusted forward pass of the capstone network and its logistic cost.

    X -- inputs, shape (n_x, m); Y -- labels, shape (1, m)
    parameters -- dict W1, b1, ..., W4, b4 (W_l shape (n_l, n_{l-1}), b_l shape (n_l, 1), n_4 = 1)
    Returns (cost, cache): cost -- float, the cross-entropy averaged over the m examples;
    cache -- dict with Z1..Z4, A1..A4 (shape (n_l, m)) and the parameters W1..W4, b1..b4.
    """
    X, Y, parameters = check_data(X, Y, parameters)
    cost, cache = _forward(X, Y, parameters)
    return float(cost), cache


def cost_function(X, Y):
    """J as a function of the parameters alone, for a gradient check: cost(parameters) -> float."""
    X, Y = _check_xy(X, Y)
    return lambda parameters: forward_propagation(X, Y, parameters)[0]


def initialize_parameters(sizes=SIZES, seed=0):
    """Random parameters for layer sizes (n_x, n_1, n_2, n_3, 1): W_l ~ N(0, 1/n_{l-1}), b_l ~ N(0, 0.25)."""
    sizes = tuple(sizes)
    if len(sizes) != LAYERS + 1 or not all(isinstance(n, numbers.Integral) and n >= 1 for n in sizes) or sizes[-1] != 1:
        raise ValueError(f"sizes must be {LAYERS + 1} positive integers ending in 1, got {sizes!r}")
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, LAYERS + 1):
        parameters[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) / np.sqrt(sizes[l - 1]) * 1.5
        parameters[f"b{l}"] = rng.standard_normal((sizes[l], 1)) * 0.5
    return parameters


def capstone_test_case(m=10, seed=6):
    """The notebook's test case: X (4, m), Y (1, m) with both labels, parameters of SIZES (77 of them)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((SIZES[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    Y[0, :2] = (0.0, 1.0)
    return X, Y, initialize_parameters(SIZES, seed=seed + 1)


# ------------------------------------------------------------------------------------- the teammate's pass
def normalize_id(student_id):
    """The id as the variant sees it (surrounding spaces dropped, lower case), or ValueError/TypeError saying
    how to set it."""
    if not isinstance(student_id, str):
        raise TypeError(f"student_id must be a string such as \"jdoe42\", got {type(student_id).__name__}")
    text = student_id.strip()
    if text.lower() in PLACEHOLDERS:
        example = " (the example of the exercise)" if text.lower() == "jdoe42" else ""
        raise ValueError(f"student_id is {student_id!r}{example}: set it to YOUR student id, the one your instructor "
                         "gave you, between the quotes of return \"...\" -- it picks the bugs you hunt and is read "
                         "back when grading")
    if not ID_PATTERN.fullmatch(text):
        shown = repr(student_id) if len(student_id) <= 80 else f"{student_id[:40]!r}... ({len(student_id):,} characters)"
        raise ValueError(f"student_id {shown} is not an id: use 1 to 64 letters, digits and . _ @ + -, "
                         "starting with a letter or digit")
    return text.lower()


def variant(student_id):
    """The variant number (0 .. N_VARIANTS - 1) of a student id: sha256 of the normalised id, not Python's hash."""
    digest = hashlib.sha256(normalize_id(student_id).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % N_VARIANTS


_HEADER = '''def backward_propagation(X, Y, cache):
    """Your teammate's backward pass of the capstone network (two lines are wrong).

    X -- inputs, shape (n_x, m); Y -- labels, shape (1, m)
    cache -- dict from forward_propagation: Z1..Z4, A1..A4, W1..W4, b1..b4
    Returns gradients -- dict dW1, db1, ..., dW4, db4, each shaped like its parameter
    """
'''


def backward_source(student_id):
    """The source of the teammate's backward pass for this student id (a str)."""
    body = BODIES[variant(student_id)]
    return _HEADER + "".join("    " + line + "\n" if line else "\n" for line in body.splitlines())


def _compile(source):
    namespace = {"np": np}
    exec(compile(source, "<teammate's backward pass>", "exec"), namespace)  # noqa: S102 -- generated by the course
    return namespace["backward_propagation"]


def _resolve(student_id):
    """The id string from a str or from the notebook's function student_id()."""
    return student_id() if callable(student_id) else student_id


def buggy_backward(student_id):
    """The teammate's backward pass for a student id: backward_propagation(X, Y, cache) -> gradients.

    student_id -- the id (str) or a function returning it (the notebook's student_id); a function is called
    each time the pass runs, so a changed id takes effect at once.
    """
    compiled = {}

    def backward_propagation(X, Y, cache):
        number = variant(_resolve(student_id))
        if number not in compiled:
            compiled[number] = _compile(backward_source(_resolve(student_id)))
        return compiled[number](X, Y, cache)

    backward_propagation.__doc__ = "Your teammate's backward pass (see show_backward): gradients dW1, db1, ..., db4."
    return backward_propagation


def show_backward(student_id):
    """The text a notebook prints for the teammate's pass: the id and the pass's source, or what to do when the
    id is not set (student_id: a str or the notebook's function student_id)."""
    try:
        text = _resolve(student_id)
        return f"Your teammate's backward pass for student id {text!r}:\n\n" + backward_source(text)
    except NotImplementedError:
        return "Set your student id first (exercise student_id above), then run this cell again."
    except (TypeError, ValueError) as error:
        return f"Set your student id first: {error}"
