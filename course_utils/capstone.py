"""The capstone network of notebook 06 and the teammate's buggy backward passes, one per student id.

The network has four layers, none of them the ReLU of course_utils.network:

    X -> LINEAR -> TANH -> LINEAR -> LEAKY_RELU(0.1) -> LINEAR -> TANH -> LINEAR -> SIGMOID -> logistic cost

Shapes: X (n_x, m) with one example per column; Y (1, m) labels in {0, 1}; W_l (n_l, n_{l-1}); b_l (n_l, 1).
The test case has layer sizes SIZES = (4, 5, 5, 3, 1): 77 parameters, and W2 is square.

The forward pass is trusted (it is short and easy to get right; its cost J is the ground truth of every
gradient check). The backward pass is the teammate's, and it comes with a capstone code that the instructor
gives each student ("jdoe42:17:k3m9x2qab7lp4t6w": the student id, the teammate's number, the teammate's key).
teammate(code) opens that one teammate: its backward pass (with two wrong lines), its source and its network's
leaky-ReLU slope, which differs between teammates. The teammates are stored sealed
(course_utils/capstone_teammates.py: each encrypted with its own key), so a code opens its own teammate and no
other, and the course's correct backward pass is not in this package. Which teammate a student id gets, and its
key, follow from a class key that only the instructor and the grader hold (course_utils/grading/teammates.py,
left out of the student release); the grader checks that a code was issued for the student's id.
"""
import base64
import functools
import hashlib
import hmac
import json
import numbers
import re
import zlib
from dataclasses import dataclass

import numpy as np

from course_utils._validate import as_float_array, check_mapping
from course_utils.capstone_teammates import FINGERPRINT, SEALED

LEAKY_SLOPE = 0.1  #: slope of the leaky ReLU of layer 2 for Z2 <= 0 in the example network (a teammate has its own)
SIZES = (4, 5, 5, 3, 1)  #: layer sizes of the test case (n_x, n_1, n_2, n_3, n_4)
LAYERS = 4
PARAMETER_NAMES = tuple(f"{kind}{l}" for l in range(1, LAYERS + 1) for kind in ("W", "b"))  #: W1, b1, ..., b4
GRADIENT_NAMES = tuple("d" + name for name in PARAMETER_NAMES)  #: dW1, db1, ..., db4
N_VARIANTS = len(SEALED)  #: how many teammates the release holds
KEY_FINGERPRINT = FINGERPRINT  #: names the class key the teammates were sealed with (not the key)
PLACEHOLDERS = ("", "your id", "your-id", "jdoe42", "student id", "your student id", "...", "your code",
                "jdoe42:17:k3m9x2qab7lp4t6w", "your capstone code")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
KEY_PATTERN = re.compile(r"[a-z2-7]{16}")  #: the key part of a code: 10 bytes in lower-case base32
EXAMPLE_CODE = "jdoe42:17:k3m9x2qab7lp4t6w"


# ----------------------------------------------------------------------------------------- the network
def leaky_relu(z, slope=LEAKY_SLOPE):
    """z where z > 0, slope * z elsewhere (elementwise; complex z: by the sign of its real part)."""
    return np.where(np.real(z) > 0, z, slope * z)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))  # analytic, so a complex step differentiates it; the inputs stay moderate


def _forward(X, Y, parameters, slope=LEAKY_SLOPE):
    """The forward pass without checks; works on complex parameters too (for complex-step derivatives)."""
    cache, A = {}, X
    for l in range(1, LAYERS + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = np.dot(W, A) + b
        A = np.tanh(Z) if l in (1, 3) else leaky_relu(Z, slope) if l == 2 else _sigmoid(Z)
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


def check_slope(slope):
    """The slope as a float, or ValueError: a number from 0 to 1 (exclusive)."""
    if isinstance(slope, bool) or not isinstance(slope, numbers.Real) or not 0 < slope < 1:
        raise ValueError(f"slope must be a number between 0 and 1 (the leaky ReLU's slope for z <= 0), got {slope!r}")
    return float(slope)


def forward_propagation(X, Y, parameters, slope=LEAKY_SLOPE):
    """The trusted forward pass of the capstone network and its logistic cost.

    X -- inputs, shape (n_x, m); Y -- labels, shape (1, m)
    parameters -- dict W1, b1, ..., W4, b4 (W_l shape (n_l, n_{l-1}), b_l shape (n_l, 1), n_4 = 1)
    slope -- the leaky ReLU's slope for z <= 0 (your teammate's network: teammate(code).slope)
    Returns (cost, cache): cost -- float, the cross-entropy averaged over the m examples;
    cache -- dict with Z1..Z4, A1..A4 (shape (n_l, m)) and the parameters W1..W4, b1..b4.
    """
    X, Y, parameters = check_data(X, Y, parameters)
    cost, cache = _forward(X, Y, parameters, check_slope(slope))
    return float(cost), cache


def cost_function(X, Y, slope=LEAKY_SLOPE):
    """J as a function of the parameters alone, for a gradient check: cost(parameters) -> float."""
    X, Y = _check_xy(X, Y)
    slope = check_slope(slope)
    return lambda parameters: forward_propagation(X, Y, parameters, slope)[0]


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
    """The id as the grader sees it (surrounding spaces dropped, lower case), or ValueError/TypeError saying
    how to set it."""
    if not isinstance(student_id, str):
        raise TypeError(f"the student id must be a string such as \"jdoe42\", got {type(student_id).__name__}")
    text = student_id.strip()
    if text.lower() in PLACEHOLDERS:
        raise ValueError(f"the student id is {student_id!r}: use YOUR student id, the one your instructor gave you")
    if not ID_PATTERN.fullmatch(text):
        shown = repr(student_id) if len(student_id) <= 80 else f"{student_id[:40]!r}... ({len(student_id):,} characters)"
        raise ValueError(f"the student id {shown} is not an id: use 1 to 64 letters, digits and . _ @ + -, "
                         "starting with a letter or digit")
    return text.lower()


def _set_it(code, why):
    return ValueError(f"student_id returns {code!r}: {why}. Return YOUR capstone code, exactly as your instructor "
                      f"gave it, between the quotes of return \"...\" (it looks like {EXAMPLE_CODE!r}: your student "
                      "id, your teammate's number and 16 letters and digits, separated by colons)")


def parse_code(code):
    """(student id, teammate number, key bytes) of a capstone code, or TypeError/ValueError saying what to fix."""
    if not isinstance(code, str):
        raise TypeError(f"student_id must return your capstone code as a string such as {EXAMPLE_CODE!r}, got "
                        f"{type(code).__name__}")
    text = code.strip()
    if text.lower() in PLACEHOLDERS:
        example = " (the example of the exercise)" if text.lower() in ("jdoe42", EXAMPLE_CODE) else ""
        raise _set_it(code if len(code) <= 80 else code[:40] + "...", f"that is a placeholder{example}")
    parts = text.split(":")
    if len(parts) != 3:
        shown = code if len(code) <= 80 else code[:40] + "..."
        if len(parts) == 1 and ID_PATTERN.fullmatch(text):
            raise _set_it(shown, "that is a student id alone, not the capstone code")
        raise _set_it(shown, "that is not a capstone code")
    student, number, key = (part.strip() for part in parts)
    normalize_id(student)
    if not number.isdigit() or len(number) > 6:
        raise _set_it(code, f"its middle part {number!r} must be a number")
    if not KEY_PATTERN.fullmatch(key.lower()):
        raise _set_it(code, f"its last part {key!r} must be 16 letters and digits 2-7")
    return student, int(number), base64.b32decode(key.upper())


def _keystream(key, n):
    blocks = (hashlib.sha256(key + i.to_bytes(4, "big")).digest() for i in range(-(-n // 32)))
    return b"".join(blocks)[:n]


def seal(payload, key):
    """The sealed form (str) of a teammate's payload (a JSON-able dict) under its key (bytes): the course's own
    stream cipher (SHA-256 in counter mode) with an HMAC tag, so a wrong key is told, not decoded into noise."""
    plain = zlib.compress(json.dumps(payload, sort_keys=True).encode("utf-8"), 9)
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(key, len(plain))))
    tag = hmac.new(key, cipher, hashlib.sha256).digest()[:8]
    return base64.b64encode(tag + cipher).decode("ascii")


def unseal(sealed, key):
    """The payload of a sealed teammate, or None when the key is not its key."""
    raw = base64.b64decode(sealed)
    tag, cipher = raw[:8], raw[8:]
    if not hmac.compare_digest(tag, hmac.new(key, cipher, hashlib.sha256).digest()[:8]):
        return None
    return json.loads(zlib.decompress(bytes(a ^ b for a, b in zip(cipher, _keystream(key, len(cipher))))))


_HEADER = '''def backward_propagation(X, Y, cache):
    """Your teammate's backward pass of the capstone network (two lines are wrong).

    X -- inputs, shape (n_x, m); Y -- labels, shape (1, m)
    cache -- dict from forward_propagation: Z1..Z4, A1..A4, W1..W4, b1..b4
    Returns gradients -- dict dW1, db1, ..., dW4, db4, each shaped like its parameter
    """
'''


def source_of(body):
    """The source of a backward pass from its body (the generated variants hold bodies)."""
    return _HEADER + "".join("    " + line + "\n" if line else "\n" for line in body.splitlines())


@functools.lru_cache(maxsize=32)
def _compile(source):
    namespace = {"np": np}
    exec(compile(source, "<teammate's backward pass>", "exec"), namespace)  # noqa: S102 -- generated by the course
    return namespace["backward_propagation"]


@dataclass(frozen=True)
class Teammate:
    """One student's teammate: the backward pass with two wrong lines, and the network it is for.

    student_id -- the id the code was issued for; number -- which of the N_VARIANTS teammates;
    slope -- the leaky ReLU's slope for z <= 0 in this teammate's network; source -- the backward pass's code.
    """

    student_id: str
    number: int
    slope: float
    source: str

    def backward_propagation(self, X, Y, cache):
        """The teammate's (buggy) backward pass: gradients dW1, db1, ..., db4."""
        return _compile(self.source)(X, Y, cache)

    def forward_propagation(self, X, Y, parameters):
        """The trusted forward pass of this teammate's network (its slope): (cost, cache)."""
        return forward_propagation(X, Y, parameters, self.slope)

    def cost_function(self, X, Y):
        """J(parameters) -> float of this teammate's network, for a gradient check."""
        return cost_function(X, Y, self.slope)


def _resolve(code):
    """The code string from a str or from the notebook's function student_id()."""
    return code() if callable(code) else code


def teammate(code):
    """The teammate a capstone code opens (a Teammate), or ValueError/TypeError saying what to fix.

    code -- the code (str) or the notebook's function student_id that returns it.
    """
    code = _resolve(code)
    student, number, key = parse_code(code)
    payload = unseal(SEALED[number], key) if number < N_VARIANTS else None
    if payload is None:
        raise ValueError(f"the capstone code {code.strip()!r} opens none of this release's teammates: check it "
                         "character by character against the one your instructor gave you (a code of another "
                         "class's release does not open this one)")
    return Teammate(student.strip(), number, float(payload["slope"]), source_of(payload["body"]))


def backward_source(code):
    """The source of the teammate's backward pass for a capstone code (a str)."""
    return teammate(code).source


def buggy_backward(code):
    """The teammate's backward pass for a code: backward_propagation(X, Y, cache) -> gradients.

    code -- the code (str) or a function returning it (the notebook's student_id); a function is called each
    time the pass runs, so a changed code takes effect at once.
    """
    def backward_propagation(X, Y, cache):
        return teammate(code).backward_propagation(X, Y, cache)

    backward_propagation.__doc__ = "Your teammate's backward pass (see show_backward): gradients dW1, db1, ..., db4."
    return backward_propagation


def show_backward(code):
    """The text a notebook prints for the teammate: its slope and its pass's source, or what to do when the code is
    not set (code: a str or the notebook's function student_id)."""
    try:
        mate = teammate(code)
    except NotImplementedError:
        return "Set your capstone code first (exercise student_id above), then run this cell again."
    except (TypeError, ValueError) as error:
        return f"Set your capstone code first: {error}"
    return (f"Your teammate (number {mate.number}) for student id {mate.student_id!r}. In its network the leaky "
            f"ReLU's slope for z <= 0 is {mate.slope:g}. Its backward pass:\n\n" + mate.source)
