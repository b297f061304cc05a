"""The verification harness's PROVIDERS: small callables built from data (a polynomial, a quadratic cost, ...).

A spec passes one as an argument (verify_specs.Provided); the harness's codec builds it in the sandbox from its name
and parameters (harness_codec.decode), and the grader builds the same one to compute the expected values. Like
harness.py, this file is copied into the verification sandbox: only the standard library and numpy.
"""
import math

import numpy as np


def polynomial(coefficients):
    """f(x) = sum_k c_k x**k (Horner), for finite-difference exercises."""
    coefficients = [float(c) for c in coefficients]

    def f(x):
        total = 0.0
        for c in reversed(coefficients):
            total = total * x + c
        return total
    return f


def wave(a, b, c):
    """f(x) = a sin(b x) + c x**3."""
    return lambda x: a * math.sin(b * x) + c * x ** 3


def product():
    """J(x, theta) = theta * x, the 1-D model's forward pass."""
    return lambda x, theta: theta * x


def scaled_slope(k):
    """dtheta(x, theta) = k * x: a backward pass of J = theta x that is right only for k = 1."""
    return lambda x, theta: k * x


def product_plus_square(c):
    """J(x, theta) = theta * x + c * theta**2: a forward pass that is not linear in theta (slope x + 2 c theta)."""
    return lambda x, theta: theta * x + c * theta * theta


def scaled_true_slope(k, c):
    """dtheta(x, theta) = k * (x + 2 c theta): a backward pass of product_plus_square(c), right only for k = 1."""
    return lambda x, theta: k * (x + 2 * c * theta)


def quadratic(A, b):
    """cost(theta) = 1/2 theta^T A theta + b^T theta, theta a column vector; its gradient is A theta + b."""
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)

    def cost(theta):
        theta = np.asarray(theta, dtype=float).reshape(b.shape)
        return float(0.5 * np.sum(theta * (A @ theta)) + np.sum(b * theta))
    return cost


def euclidean_norm():
    """norm(v) = sqrt(sum v**2), a float."""
    return lambda v: float(np.sqrt(np.sum(np.square(np.asarray(v, dtype=float)))))


def network_cost(X, Y, classic=False):
    """cost(parameters) of a fully connected net W1, b1, ..., WL, bL (any L): LINEAR -> RELU hidden layers,
    LINEAR -> SIGMOID output, logistic cost averaged over the m columns of X (Y: m labels). classic=True takes
    log(a) and log(1 - a) of the rounded sigmoid a, as the original assignment does; else the stable form."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float).reshape(1, -1)
    m = X.shape[1]

    def cost(parameters):
        L = len(parameters) // 2
        A = X
        for l in range(1, L + 1):
            Z = np.asarray(parameters[f"W{l}"], dtype=float) @ A + np.asarray(parameters[f"b{l}"], dtype=float)
            A = np.maximum(Z, 0.0) if l < L else Z
        if classic:
            a = 1.0 / (1.0 + np.exp(-Z))
            return float(1.0 / m * np.sum(-np.log(a) * Y - np.log(1 - a) * (1 - Y)))
        return float(np.sum(Y * np.logaddexp(0.0, -Z) + (1 - Y) * np.logaddexp(0.0, Z)) / m)
    return cost


PROVIDERS = {"polynomial": polynomial, "wave": wave, "product": product, "scaled_slope": scaled_slope,
             "product_plus_square": product_plus_square, "scaled_true_slope": scaled_true_slope,
             "quadratic": quadratic, "euclidean_norm": euclidean_norm, "network_cost": network_cost}
