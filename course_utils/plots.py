"""Plots of the course. Every function takes an optional `ax` and returns the figure.

Colours come from the Okabe-Ito palette, which stays distinguishable with the common kinds of
colour blindness; tensors also differ by marker shape so nothing relies on colour alone.
"""
import matplotlib.pyplot as plt
import numpy as np

#: Okabe-Ito colour-blind-safe palette (black left out: it is kept for lines of reference)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
THRESHOLD_COLOR = "#000000"
#: how a suspect tensor's entries are drawn in the per-parameter error plots: larger, with a black outline
SUSPECT_EDGE, SUSPECT_SIZE, SUSPECT_LINEWIDTH = "#000000", 46, 1.4
SUSPECT_LABEL = "suspect: larger,\nblack outline,\nbold name"


def threshold_label(threshold):
    """The legend text of the dashed line: it is the threshold of the OVERALL difference, not of a tensor's."""
    return f"threshold of the\noverall difference\n({threshold:.0e})"


def tensor_label(name, suspect):
    """The name drawn next to a tensor's bar (in bold for a suspect; a longer label would collide with its
    neighbours': b2, W3 and b3 sit a few entries apart)."""
    return f" {name}"


def tensor_style(index):
    """(colour, marker) of the index-th tensor, cycling through the palette."""
    return PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)]


def _axes(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


#: a tensor's name sits a little above (or below) its bar, so two names on either side never touch
LABEL_NUDGE = {"above": 1.15, "below": 1 / 1.3}
#: per-entry errors below this are drawn at it: exact matches (error 0) and round-off dust are not lost
ERROR_FLOOR = 1e-12
ERROR_XLABEL = "entry of θ (W1, b1, W2, … flattened; errors below 1e-12 drawn at 1e-12)"


def label_sides(centers, heights, min_gap=4.0, min_decades=0.8):
    """Where to put each tensor's name in the per-parameter error plot: "above" or "below" its bar.

    centers -- x of each label (entries of θ), in order; heights -- y of each bar (> 0, log axis)
    A label goes above its bar unless a label already placed above is closer than `min_gap` entries
    in x and `min_decades` powers of ten in y (it would overlap, e.g. b2, W3 and b3 all at 1): then
    below, if that side is free (else above all the same). Returns a list of "above"/"below".
    """
    placed, sides = [], []
    for x, y in zip(centers, np.log10(np.maximum(np.asarray(heights, dtype=float), 1e-300))):
        clash = {side for px, py, side in placed if abs(px - x) < min_gap and abs(py - y) < min_decades}
        side = "below" if "above" in clash and "below" not in clash else "above"
        placed.append((x, y, side))
        sides.append(side)
    return sides


def plot_parameter_errors(result, ax=None, title=None):
    """Per-parameter error of a gradient check, on a log scale, one colour per tensor.

    result -- a GradCheckResult from course_utils.gradcheck.check_gradients
    Draws every checked entry's error |g - a| / (||g_T|| + ||a_T||) at its position in theta,
    the threshold of the overall difference as a dashed line, each tensor's block difference as a
    short bar, suspects larger with a black outline, their names in bold and "(suspect)" in the
    legend, entries at a ReLU kink as hollow markers. Returns the figure.
    """
    if not hasattr(result, "errors") or not hasattr(result, "keys"):
        raise TypeError(f"result must be a GradCheckResult from check_gradients, got {type(result).__name__}")
    fig, ax = _axes(ax, (9, 4))
    errors = np.asarray(result.errors, dtype=float)
    keys = np.asarray(result.keys)
    shown = np.where(errors > ERROR_FLOOR, errors, ERROR_FLOOR)
    index = np.arange(errors.size)
    labels = []
    for k, name in enumerate(dict.fromkeys(result.keys)):
        colour, marker = tensor_style(k)
        where = (keys == name) & result.checked
        kink = where & result.kinks
        plain = where & ~result.kinks
        suspect = name in result.suspects
        label = f"{name} (suspect)" if suspect else name
        ax.scatter(index[plain], shown[plain], s=SUSPECT_SIZE if suspect else 22, color=colour, marker=marker,
                   label=label, edgecolors=SUSPECT_EDGE if suspect else "none", linewidths=SUSPECT_LINEWIDTH, zorder=3)
        if kink.any():
            ax.scatter(index[kink], shown[kink], s=40, facecolors="none", edgecolors=colour, marker=marker,
                       linewidths=1.2, zorder=3)
        span = np.flatnonzero(keys == name)
        block = max(result.block_differences[name], ERROR_FLOOR)
        ax.hlines(block, span[0] - 0.4, span[-1] + 0.4, color=colour, linewidth=2.5, alpha=0.6, zorder=2)
        labels.append(((span[0] + span[-1]) / 2, block, tensor_label(name, suspect), colour, suspect))
    for (x, y, text, colour, suspect), side in zip(labels, label_sides([lb[0] for lb in labels], [lb[1] for lb in labels])):
        ax.text(x, y * LABEL_NUDGE[side], text, color=colour, ha="center", va="bottom" if side == "above" else "top",
                fontsize=9, fontweight="bold" if suspect else "normal")
    ax.axhline(result.threshold, color=THRESHOLD_COLOR, linestyle="--", linewidth=1,
               label=threshold_label(result.threshold))
    if result.kinks.any():
        ax.scatter([], [], s=40, facecolors="none", edgecolors="grey", label="at a ReLU kink")
    ax.set_yscale("log")
    ax.set_ylim(bottom=ERROR_FLOOR / 3, top=3)
    ax.set_xlabel(ERROR_XLABEL)
    ax.set_ylabel("error of the entry (log)")
    ax.set_title(title or f"Per-parameter error — difference {result.difference:.2g}, {result.verdict}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9, frameon=False)
    ax.grid(True, which="major", axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_error_vs_epsilon(epsilons, errors, ax=None, labels=None, reference_slopes=True):
    """Error of a finite-difference approximation against epsilon, log-log.

    epsilons -- 1-D array of the epsilons tried (> 0)
    errors -- dict label -> errors (same length as epsilons), or one array
    labels -- optional dict label -> legend text
    reference_slopes -- draw dotted guides of slope 1 and 2 (truncation of one-sided / centered)
    Returns the figure.
    """
    eps = np.asarray(epsilons, dtype=float)
    if eps.ndim != 1 or eps.size < 2 or np.any(eps <= 0):
        raise ValueError("epsilons must be a 1-D array of at least two positive numbers")
    if not isinstance(errors, dict):
        errors = {"error": errors}
    fig, ax = _axes(ax, (6.5, 4.5))
    for k, (name, err) in enumerate(errors.items()):
        err = np.asarray(err, dtype=float)
        if err.shape != eps.shape:
            raise ValueError(f"errors[{name!r}] has shape {err.shape}, expected {eps.shape} like epsilons")
        colour, marker = tensor_style(k)
        ax.loglog(eps, np.maximum(err, 1e-18), marker=marker, markersize=4, color=colour,
                  label=(labels or {}).get(name, name))
    if reference_slopes:
        finite = np.concatenate([np.asarray(e, dtype=float) for e in errors.values()])
        finite = finite[finite > 0]
        low = finite.min() if finite.size else 1e-18
        e0 = eps.max()
        top = finite.max() if finite.size else 1.0
        for slope, style in ((1, ":"), (2, "-.")):
            guide = top * (eps / e0) ** slope
            keep = guide >= low  # guides stop where the data stop, so they never squash the plot
            ax.loglog(eps[keep], guide[keep], style, color="grey", linewidth=1, label=f"slope {slope} (ε^{slope})")
    ax.set_xlabel("ε (log scale)")
    ax.set_ylabel("absolute error (log scale)")
    ax.set_title("Error of the finite difference against ε")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_theta_by_tensor(theta, keys, ax=None):
    """θ as a bar per entry, coloured by the tensor it came from.

    theta -- (n, 1) or (n,); keys -- n tensor names (from dictionary_to_vector)
    Returns the figure.
    """
    values = np.asarray(theta, dtype=float).ravel()
    keys = list(keys)
    if len(keys) != values.size:
        raise ValueError(f"keys has {len(keys)} names but theta has {values.size} entries")
    fig, ax = _axes(ax, (9, 3))
    for k, name in enumerate(dict.fromkeys(keys)):
        where = np.flatnonzero(np.asarray(keys) == name)
        colour, _ = tensor_style(k)
        ax.bar(where, values[where], width=0.85, color=colour, label=f"{name} ({where.size})")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xlabel("index in θ")
    ax.set_ylabel("value")
    ax.set_title(f"θ: {values.size} parameters in one vector, coloured by tensor")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_check_cost(n_params, seconds, ax=None, labels=None):
    """Time of a gradient check against the number of parameters, log-log.

    n_params -- 1-D array of parameter counts
    seconds -- dict label -> times (same length), or one array
    Returns the figure.
    """
    n = np.asarray(n_params, dtype=float)
    if not isinstance(seconds, dict):
        seconds = {"full check": seconds}
    fig, ax = _axes(ax, (6.5, 4.5))
    for k, (name, t) in enumerate(seconds.items()):
        t = np.asarray(t, dtype=float)
        if t.shape != n.shape:
            raise ValueError(f"seconds[{name!r}] has shape {t.shape}, expected {n.shape} like n_params")
        colour, marker = tensor_style(k)
        ax.loglog(n, t, marker=marker, color=colour, label=(labels or {}).get(name, name))
    ax.set_xlabel("number of parameters (log scale)")
    ax.set_ylabel("seconds (log scale)")
    ax.set_title("Cost of a gradient check")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig
