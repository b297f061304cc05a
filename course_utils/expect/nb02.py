"""Notebook 02 check a 1-D gradient (J(theta) = theta * x): the known mistakes of forward_propagation (fp.*),
backward_propagation (bp.*) and gradient_check (gc.*), as records of course_utils.expect.mistakes. The checks
(course_utils/checks/nb02.py) name the one that explains every case.

A model of fp/bp takes a PassCase (the x and theta the pass was given) and returns what the pass with that mistake
returns, or ANY_WRONG where it cannot say more than "not the right value" (x ** theta for x <= 0). A model of gc takes
a case of the check (an object with x, theta, eps -- the epsilon used -- and k, the factor of the wrong backward pass
the check put in for the call, None for the notebook's own) and returns (the difference in exact arithmetic, the
scale of its round-off). Some gradient_check mistakes have no model: the check sees them in the calls of the passes
it recorded (where J was evaluated, what backward_propagation was given), and names them itself. No function here
takes an exercise's own arguments (this package ships to every student).
"""
from dataclasses import dataclass

from course_utils.expect.mistakes import CANNOT_SAY, Mistake, table

UNIT_ROUNDOFF = 2.0 ** -53  #: u of float64


def noise_bound(theta, epsilon):
    """The largest relative difference a RIGHT centered check of J = theta * x can return: round-off only.

    theta +- epsilon, the two J and their difference are rounded, so gradapprox = x (1 + delta) with
    |delta| <= 2u |theta| / epsilon + 6u, whatever the order of the operations (thetaminus = theta - epsilon or
    thetaplus - 2 epsilon, / (2 epsilon) or / epsilon / 2, ...). This allows twice that."""
    u = UNIT_ROUNDOFF
    return 4 * u * (abs(theta) + epsilon) / epsilon + 16 * u


def curved_noise_bound(x, theta, c, epsilon):
    """noise_bound for the forward pass J = theta x + c theta**2 (slope s = x + 2 c theta, not 0): J(theta +- epsilon)
    and theta +- epsilon rounded, relative to the step 2 epsilon s; twice that."""
    u, s = UNIT_ROUNDOFF, x + 2 * c * theta
    return (4 * u * (abs(theta * x) + abs(c) * (abs(theta) + epsilon) ** 2 + abs(s) * (abs(theta) + epsilon))
            / (epsilon * abs(s)) + 16 * u)


@dataclass(frozen=True)
class PassCase:
    """What forward_propagation or backward_propagation was given."""

    x: float
    theta: float


class _AnyWrong:
    def __repr__(self):
        return "ANY_WRONG"


ANY_WRONG = _AnyWrong()  #: a prediction "anything but the right value" (the check's close decides)

FP_MISTAKES = table(
    "forward_propagation",
    Mistake("fp.returned_x", "you returned x, which is dJ/dtheta (the backward pass); the forward pass returns "
            "J = theta * x.", lambda c: c.x),
    Mistake("fp.returned_theta", "you returned theta; J = theta * x.", lambda c: c.theta),
    Mistake("fp.added", "you added: J = theta * x is a product.", lambda c: c.theta + c.x),
    Mistake("fp.power", "you computed x ** theta; J = theta * x.",
            lambda c: float(c.x) ** c.theta if c.x > 0 else ANY_WRONG),
)

BP_MISTAKES = table(
    "backward_propagation",
    Mistake("bp.returned_theta", "you returned theta, the derivative of J with respect to x; dJ/dtheta = x.",
            lambda c: c.theta),
    Mistake("bp.returned_j", "you returned J = theta * x (the forward pass); the derivative dJ/dtheta is x.",
            lambda c: c.theta * c.x),
)

# ------------------------------------------------------------------------------------------ gradient_check
PADS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12)  #: what students add to a denominator


def _predicted(mistake, c):
    """(value, noise scale) the mistake `mistake` gives on case c in exact arithmetic, with backward pass k * x;
    CANNOT_SAY where x = 0 makes it 0 / 0 whatever the formula; ValueError (it disagrees) where it is 0 / 0 else."""
    x, theta, epsilon, k = c.x, c.theta, c.eps, c.k or 1
    g, a = k * x, x
    value, scale = None, 1.0
    if mistake == "thetaminus_from_thetaplus":
        a = x / 2
    elif mistake == "no_2":
        a = 2 * x
    elif mistake == "precedence":
        a = x * epsilon * epsilon
    elif mistake == "swapped_backward":
        g = k * theta
    elif mistake == "abs_J":
        a = abs(x)
    elif mistake == "hard_2e7":
        a = x * epsilon / 1e-7
    if mistake == "no_denominator":
        value, scale = abs(g - a), abs(x)
    elif mistake == "norm_of_sum":
        value = abs(g - a) / abs(g + a) if g + a else None
    elif not (g or a):
        value = None
    elif mistake == "squared":
        value = (g - a) ** 2 / (g * g + a * a)
    elif mistake == "signed":
        value = (g - a) / (abs(g) + abs(a))
    elif mistake == "max_den":
        value = abs(g - a) / max(abs(g), abs(a))
    elif mistake.startswith("padded"):
        value = abs(g - a) / (abs(g) + abs(a) + float(mistake.split(" ")[1]))
    else:
        value = abs(g - a) / (abs(g) + abs(a))
    if value is None:
        if not (c.x or c.k and c.k * c.x):  # x = 0: 0 / 0, whatever the formula
            return CANNOT_SAY
        raise ValueError(f"{mistake}: 0 / 0")
    return value, scale


def _model(mistake):
    return lambda c: _predicted(mistake, c)


FROM_PLUS = ("J was evaluated at theta instead of theta - epsilon: thetaminus must be theta - epsilon (building it "
             "from thetaplus gives just theta, and a one-sided difference; divided by 2 * epsilon it is half the "
             "slope: difference about 1/3).")

# the mistakes the check sees in the recorded calls (no model)
GC_ITSELF = Mistake("gc.compared_with_itself", "you compared gradapprox with itself (a difference of exactly 0 is too "
                    "good to be true): grad must come from backward_propagation(x, theta).")
GC_FORWARD = Mistake("gc.one_sided_difference", "you used the one-sided difference (J(theta + epsilon) - J(theta)) / "
                     "epsilon; the check uses the centered one with thetaminus = theta - epsilon.")
GC_IGNORED_EPSILON = Mistake("gc.ignored_epsilon", "you ignored the epsilon argument: for epsilon = {epsilon} J was "
                             "evaluated at theta +- {step}, not at theta +- epsilon.")
GC_NEVER_CALLED = Mistake("gc.backward_never_called", "gradient_check never called backward_propagation: grad = "
                          "backward_propagation(x, theta) (the check replaced backward_propagation by a wrong one, "
                          "and your result did not change).")
_SWAPPED = "the arguments of backward_propagation are swapped: call backward_propagation(x, theta)."
GC_SWAPPED_SEEN = Mistake("gc.swapped_backward_arguments", _SWAPPED)

# the mistakes of the formula, with models, in the order the check tries them
GC_FORMULA_MISTAKES = table(
    "gradient_check",
    Mistake("gc.thetaminus_from_thetaplus", FROM_PLUS, _model("thetaminus_from_thetaplus")),
    Mistake("gc.missing_factor_2", "gradapprox divides by epsilon instead of 2 * epsilon, so it is twice grad "
            "(difference 1/3).", _model("no_2")),
    Mistake("gc.operator_precedence", "operator precedence: `/ 2 * epsilon` multiplies by epsilon, so gradapprox is "
            "about 0 and the difference about 1; write / (2 * epsilon).", _model("precedence")),
    Mistake("gc.swapped_backward_arguments", _SWAPPED, _model("swapped_backward")),
    Mistake("gc.numerator_only", "you returned only the numerator ||grad - gradapprox||; divide by ||grad|| + "
            "||gradapprox||.", _model("no_denominator")),
    Mistake("gc.norm_of_sum", "the denominator is ||grad|| + ||gradapprox||, not ||grad + gradapprox||: the two agree "
            "only when grad and gradapprox have the same sign (with a backward pass giving -0.5 * x your difference "
            "is 3 instead of 1).", _model("norm_of_sum")),
    Mistake("gc.absolute_j_difference", "you took the absolute value of J_plus - J_minus: a slope can be negative; "
            "gradapprox = (J_plus - J_minus) / (2 * epsilon).", _model("abs_J")),
    Mistake("gc.hard_coded_2e_7", "you divided by 2e-7, which is 2 * epsilon only for the default epsilon: divide by "
            "(2 * epsilon).", _model("hard_2e7")),
    Mistake("gc.squared_norms", "you squared the norms (or left out their square roots): the difference is "
            "||grad - gradapprox|| / (||grad|| + ||gradapprox||).", _model("squared")),
    Mistake("gc.signed_numerator", "your difference can be negative: its numerator is the NORM ||grad - gradapprox|| "
            "(np.linalg.norm), not grad - gradapprox.", _model("signed")),
    Mistake("gc.max_denominator", "the denominator is ||grad|| + ||gradapprox||, the sum of the two norms, not the "
            "larger one.", _model("max_den")),
    *(Mistake("gc.padded_denominator", "you added a small number to the denominator (... + 1e-8): divide by "
              "||grad|| + ||gradapprox|| exactly.", _model(f"padded {pad:g}")) for pad in PADS),
)
table("gradient_check", GC_ITSELF, GC_FORWARD, GC_IGNORED_EPSILON, GC_NEVER_CALLED, GC_SWAPPED_SEEN)
