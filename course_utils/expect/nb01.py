"""Notebook 01 approximate a derivative: the known mistakes of forward_difference (fd.*), centered_difference (cd.*)
and relative_difference (rd.*), as records of course_utils.expect.mistakes. The checks (course_utils/checks/nb01.py)
and the verification specs (course_utils/grading/specs/nb01.py) name the one that explains every case.

A model takes a case -- a QuotientCase (the f, x and epsilon a difference quotient was given) or a RelativeCase (the
grad and gradapprox relative_difference was given) -- and returns what the function with that mistake returns
there: a number (or an array), or (that, a bound on its own round-off) when the mistake is noisier than the right
answer. No function here takes an exercise's own arguments (this package ships to every student).

Some mistakes have no model: the check sees them from how the results move between cases that differ in one
argument only (an ignored argument), and names them itself.
"""
from dataclasses import dataclass

import numpy as np

from course_utils.compare import noise_bound
from course_utils.expect.mistakes import CANNOT_SAY, Mistake, table

HARD_CODED = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)  #: epsilons students hard-code

FLOAT32 = ("you computed in float32 (np.float32): about 7 significant digits, so the difference of two close "
           "values is mostly round-off; keep float64 (plain Python floats, numpy's default).")
ROUNDED = "you rounded the result (round(..., 4)?): return it unrounded; round only where you print it."


@dataclass(frozen=True)
class QuotientCase:
    """What a difference quotient was given."""

    f: object
    x: float
    epsilon: float

    def quotient(self, kind, epsilon=None):
        """The right `kind` ("forward" or "centered") quotient of this case, at `epsilon` (default: its own)."""
        f, x, e = self.f, self.x, self.epsilon if epsilon is None else epsilon
        return (f(x + e) - f(x)) / e if kind == "forward" else (f(x + e) - f(x - e)) / (2 * e)

    def noise(self, epsilon=None):
        """A bound on the round-off of any order of the float operations of a quotient at `epsilon`."""
        f, x, e = self.f, self.x, self.epsilon if epsilon is None else epsilon
        return noise_bound(abs(f(x + e)) + abs(f(x)) + abs(f(x - e)), e)


def _cube(x):
    return x ** 3


def _said(model):
    """`model`, saying nothing (CANNOT_SAY) where it raises an arithmetic, value, type or index error or gives None:
    such a case neither agrees nor disagrees (a formula that cannot be evaluated there)."""
    def said(c):
        try:
            value = model(c)
        except (ArithmeticError, ValueError, TypeError, IndexError):
            return CANNOT_SAY
        return CANNOT_SAY if value is None or (isinstance(value, tuple) and value[0] is None) else value
    return said


def _on(formula):
    """A model of a quotient mistake: formula(f, x, epsilon) on the case's arguments."""
    return _said(lambda c: formula(c.f, c.x, c.epsilon))


def _hard_coded(kind, prefix):
    """The hard-coded epsilons: one mistake, a variant per epsilon (the check fills in the one that fits best)."""
    return tuple(Mistake(f"{prefix}.hard_coded_epsilon",
                         "you ignored the epsilon argument (your results match epsilon = {epsilon} hard-coded): use "
                         "the epsilon you are given.",
                         _said(lambda c, other=other: (c.quotient(kind, other), 4 * c.noise(other))))
                 for other in HARD_CODED)


def _ignored(prefix):
    """The ignored arguments: no model, the check sees them (course_utils/checks/nb01.py, _ignored)."""
    return tuple(Mistake(f"{prefix}.ignored_{name}", f"you ignored the {name} argument: your result stayed the same "
                         f"when only {name} changed.") for name in ("f", "x", "epsilon")) + (
        Mistake(f"{prefix}.ignored_arguments", "you ignored the arguments {names}: your result stayed the same when "
                "any one of them changed alone."),)


def _common(kind, prefix):
    """The mistakes both quotients share: x**3 whatever f, float32, rounding (a variant per number of digits)."""
    one_sided = ("forward difference (f(x + epsilon) - f(x)) / epsilon" if kind == "forward"
                 else "centered difference (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)")
    f32 = np.float32
    if kind == "forward":
        def in_float32(f, x, e):
            return float((f32(f(x + e)) - f32(f(x))) / f32(e))
    else:
        def in_float32(f, x, e):
            return float((f32(f(x + e)) - f32(f(x - e))) / (2 * f32(e)))
    return (
        Mistake(f"{prefix}.cube_always", f"you differentiated x**3 (the first test function) whatever f was: the "
                f"{one_sided} must call the f it is given.",
                _said(lambda c: QuotientCase(_cube, c.x, c.epsilon).quotient(kind))),
        Mistake(f"{prefix}.float32", FLOAT32, _on(in_float32)),
        *(Mistake(f"{prefix}.rounded", ROUNDED, _said(lambda c, k=k: round(c.quotient(kind), k))) for k in range(13)),
    )


FD_MISTAKES = table(
    "forward_difference",
    Mistake("fd.centered_difference", "you computed the centered difference; this exercise asks for the one-sided "
            "forward difference (f(x + epsilon) - f(x)) / epsilon.", _said(lambda c: c.quotient("centered"))),
    Mistake("fd.backward_point", "you used x - epsilon: the forward difference is (f(x + epsilon) - f(x)) / epsilon.",
            _on(lambda f, x, e: (f(x) - f(x - e)) / e)),
    Mistake("fd.divided_by_two_epsilon", "you divided by 2 * epsilon: the forward difference divides by epsilon.",
            _on(lambda f, x, e: (f(x + e) - f(x)) / (2 * e))),
    Mistake("fd.both_points_over_epsilon", "you subtracted f(x - epsilon), 2 * epsilon away from f(x + epsilon), "
            "and divided by epsilon: the forward difference is (f(x + epsilon) - f(x)) / epsilon.",
            _on(lambda f, x, e: (f(x + e) - f(x - e)) / e)),
    Mistake("fd.flipped_sign", "the sign is flipped: it is f(x + epsilon) - f(x), not f(x) - f(x + epsilon).",
            _on(lambda f, x, e: (f(x) - f(x + e)) / e)),
    Mistake("fd.no_division", "you forgot to divide by epsilon.", _on(lambda f, x, e: f(x + e) - f(x))),
    Mistake("fd.multiplied_by_epsilon", "you multiplied by epsilon instead of dividing by it.",
            _on(lambda f, x, e: (f(x + e) - f(x)) * e)),
    Mistake("fd.operator_precedence", "operator precedence: f(x + epsilon) - f(x) / epsilon divides only f(x) by "
            "epsilon; write (f(x + epsilon) - f(x)) / epsilon.", _on(lambda f, x, e: f(x + e) - f(x) / e)),
    Mistake("fd.absolute_value", "you took an absolute value: a slope can be negative, leave out abs().",
            _on(lambda f, x, e: abs(f(x + e) - f(x)) / e)),
    *_common("forward", "fd"),
    *_hard_coded("forward", "fd"),
    *_ignored("fd"),
)

CD_MISTAKES = table(
    "centered_difference",
    Mistake("cd.forward_difference", "you used the one-sided forward difference (f(x + epsilon) - f(x)) / epsilon; "
            "its error is O(epsilon), the centered one's O(epsilon^2).", _said(lambda c: c.quotient("forward"))),
    Mistake("cd.backward_difference", "you used the one-sided backward difference (f(x) - f(x - epsilon)) / "
            "epsilon; the centered difference is (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon).",
            _on(lambda f, x, e: (f(x) - f(x - e)) / e)),
    Mistake("cd.forward_numerator", "you put the one-sided numerator f(x + epsilon) - f(x) over 2 * epsilon: the "
            "centered difference subtracts f(x - epsilon), the point on the other side of x, 2 * epsilon away.",
            _on(lambda f, x, e: (f(x + e) - f(x)) / (2 * e))),
    Mistake("cd.backward_numerator", "you put the one-sided numerator f(x) - f(x - epsilon) over 2 * epsilon: the "
            "centered difference is f(x + epsilon) - f(x - epsilon), the two points 2 * epsilon apart.",
            _on(lambda f, x, e: (f(x) - f(x - e)) / (2 * e))),
    Mistake("cd.divided_by_epsilon", "you divided by epsilon: the two points are 2 * epsilon apart, so divide by "
            "(2 * epsilon).", _on(lambda f, x, e: (f(x + e) - f(x - e)) / e)),
    Mistake("cd.operator_precedence", "operator precedence: `/ 2 * epsilon` divides by 2 and then MULTIPLIES by "
            "epsilon; write / (2 * epsilon).", _on(lambda f, x, e: (f(x + e) - f(x - e)) / 2 * e)),
    Mistake("cd.flipped_sign", "the sign is flipped: it is f(x + epsilon) - f(x - epsilon).",
            _on(lambda f, x, e: (f(x - e) - f(x + e)) / (2 * e))),
    Mistake("cd.no_division", "you forgot to divide by 2 * epsilon.", _on(lambda f, x, e: f(x + e) - f(x - e))),
    Mistake("cd.numerator_precedence", "operator precedence: f(x + epsilon) - f(x - epsilon) / (2 * epsilon) divides "
            "only f(x - epsilon); put the numerator in parentheses.",
            _on(lambda f, x, e: f(x + e) - f(x - e) / (2 * e))),
    Mistake("cd.absolute_value", "you took an absolute value: a slope can be negative, leave out abs().",
            _on(lambda f, x, e: abs(f(x + e) - f(x - e)) / (2 * e))),
    *_common("centered", "cd"),
    *_hard_coded("centered", "cd"),
    *_ignored("cd"),
)


# --------------------------------------------------------------------------------- relative difference
@dataclass(frozen=True)
class RelativeCase:
    """What relative_difference was given."""

    grad: object
    approx: object

    @property
    def g(self):
        return np.asarray(self.grad, float)

    @property
    def a(self):
        return np.asarray(self.approx, float)

    @property
    def gv(self):
        return np.ravel(self.grad).astype(float)

    @property
    def av(self):
        return np.ravel(self.approx).astype(float)


def _rd(formula):
    """A model of a relative_difference mistake: formula(case), numpy's warnings silenced."""
    def model(c):
        with np.errstate(all="ignore"):
            return formula(c)
    return _said(model)


_n = np.linalg.norm


def _spectral(c):
    if c.g.ndim != 2 or min(c.g.shape) < 2:
        return _n(c.gv - c.av) / (_n(c.gv) + _n(c.av))
    return _n(c.g - c.a, 2) / (_n(c.g, 2) + _n(c.a, 2))


def _flattened_one(c):
    if c.g.ndim != 2 or c.g.shape[1] != 1 or c.g.size < 2:
        return None
    return _n(c.gv - c.a) / (_n(c.gv) + _n(c.av))


def _in_float32(c):
    g, a = np.float32(c.g), np.float32(c.a)
    return float(_n(g - a) / (_n(g) + _n(a)))


_NO_NORMS = ("you left out the norms: the relative difference is ||grad - gradapprox|| / (||grad|| + ||gradapprox||), "
             "one number, with np.linalg.norm of each; dividing the arrays entry by entry gives an array.")

RD_MISTAKES = table(
    "relative_difference",
    Mistake("rd.no_norms", _NO_NORMS, _rd(lambda c: (c.g - c.a) / (c.g + c.a))),
    Mistake("rd.no_norms", _NO_NORMS, _rd(lambda c: np.abs(c.g - c.a) / (np.abs(c.g) + np.abs(c.a)))),
    Mistake("rd.numerator_only", "you returned only the numerator ||grad - gradapprox||: divide by ||grad|| + "
            "||gradapprox|| so the difference does not depend on the gradient's size.",
            _rd(lambda c: _n(c.gv - c.av))),
    Mistake("rd.grad_norm_only", "the denominator is ||grad|| + ||gradapprox||, not ||grad|| alone (with one norm "
            "the difference comes out about twice as large when grad ≈ gradapprox).",
            _rd(lambda c: _n(c.gv - c.av) / _n(c.gv))),
    Mistake("rd.approx_norm_only", "the denominator is ||grad|| + ||gradapprox||, not ||gradapprox|| alone (with one "
            "norm the difference comes out about twice as large when grad ≈ gradapprox).",
            _rd(lambda c: _n(c.gv - c.av) / _n(c.av))),
    Mistake("rd.twice_grad_norm", "the denominator is ||grad|| + ||gradapprox||, not 2 * ||grad||: it needs "
            "gradapprox too.", _rd(lambda c: _n(c.gv - c.av) / (2 * _n(c.gv)))),
    Mistake("rd.mean_of_norms", "you divided by the mean of the two norms: the denominator is their sum ||grad|| + "
            "||gradapprox||.", _rd(lambda c: 2 * _n(c.gv - c.av) / (_n(c.gv) + _n(c.av)))),
    Mistake("rd.norm_of_sum", "the denominator is ||grad|| + ||gradapprox|| (the sum of the two norms), not the norm "
            "of the sum ||grad + gradapprox||.", _rd(lambda c: _n(c.gv - c.av) / _n(c.gv + c.av))),
    Mistake("rd.squared_norms", "you squared the norms: use np.linalg.norm(...) itself, not its square.",
            _rd(lambda c: _n(c.gv - c.av) ** 2 / (_n(c.gv) ** 2 + _n(c.av) ** 2))),
    Mistake("rd.squared_denominator", "you squared the norms in the denominator: use ||grad|| + ||gradapprox||.",
            _rd(lambda c: _n(c.gv - c.av) / (_n(c.gv) ** 2 + _n(c.av) ** 2))),
    Mistake("rd.squared_numerator", "you squared the numerator: use ||grad - gradapprox||.",
            _rd(lambda c: _n(c.gv - c.av) ** 2 / (_n(c.gv) + _n(c.av)))),
    Mistake("rd.one_norm", "you used sums of absolute values (the 1-norm); use the 2-norm np.linalg.norm.",
            _rd(lambda c: np.sum(np.abs(c.gv - c.av)) / (np.sum(np.abs(c.gv)) + np.sum(np.abs(c.av))))),
    Mistake("rd.max_norm", "you used the largest entry (the max-norm); use the 2-norm np.linalg.norm.",
            _rd(lambda c: np.max(np.abs(c.gv - c.av)) / (np.max(np.abs(c.gv)) + np.max(np.abs(c.av))))),
    Mistake("rd.square_of_sum", "you squared the sum instead of summing the squares: the 2-norm is "
            "np.sqrt(np.sum(v ** 2)), i.e. np.linalg.norm(v).",
            _rd(lambda c: abs(np.sum(c.gv - c.av)) / (abs(np.sum(c.gv)) + abs(np.sum(c.av))))),
    Mistake("rd.difference_of_norms", "the numerator is the norm of the difference ||grad - gradapprox||, not the "
            "difference of the norms.", _rd(lambda c: abs(_n(c.gv) - _n(c.av)) / (_n(c.gv) + _n(c.av)))),
    Mistake("rd.spectral_norm", "np.linalg.norm(M, 2) of a 2-D array is its largest singular value, not the 2-norm "
            "of all its entries: leave out the 2 (or flatten the arrays first).", _rd(_spectral)),
    Mistake("rd.one_flattened", "grad - gradapprox became an (n, n) matrix: you flattened only one of them, and (n,) "
            "minus (n, 1) broadcasts; flatten both or neither.", _rd(_flattened_one)),
    Mistake("rd.first_entry_only", "only the first entries grad[0] and gradapprox[0] count in your result (a fixed "
            "index, or a loop that returns in its first pass?): use all the entries.",
            _rd(lambda c: abs(c.gv[0] - c.av[0]) / (abs(c.gv[0]) + abs(c.av[0])))),
    Mistake("rd.last_entry_only", "only the last entries count in your result: in a loop, add up (+=) the squares "
            "instead of overwriting (=) them, and return after the loop.",
            _rd(lambda c: abs(c.gv[-1] - c.av[-1]) / (abs(c.gv[-1]) + abs(c.av[-1])))),
    Mistake("rd.float32", FLOAT32, _rd(_in_float32)),
    Mistake("rd.compared_with_itself", "your result is 0 although grad and gradapprox differ: did you compare a "
            "vector with itself (e.g. grad - grad)?", _rd(lambda c: 0.0 if _n(c.gv - c.av) > 0 else None)),
)
