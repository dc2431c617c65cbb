"""Loss functions, averaged over the batch, and the output-layer error delta = dL/dz for each pairing.

Shapes: a, z, Y are (m, n_out): m examples, n_out outputs; Y holds one-hot (or 0/1) targets.
The loss of a batch is the mean of the per-example losses, so every gradient carries a 1/m.
"""
import numpy as np

from .activations import derivative_given_output, softmax, softmax_backward

LOSSES = ("quadratic", "cross_entropy", "binary_cross_entropy")
# The output activation each loss expects when none is given.
DEFAULT_OUTPUT = {"quadratic": "sigmoid", "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}


def quadratic_loss(a, Y):
    """C = (1/m) sum_i 1/2 ||a_i - y_i||^2 over the m rows i of a and Y: (m, n_out)  (Nielsen's quadratic cost)."""
    return 0.5 * float(np.sum((a - Y) ** 2)) / len(a)


def cross_entropy_loss(a, Y, eps=1e-12):
    """C = -(1/m) sum_i sum_j Y_ij ln a_ij (i over the m rows), from probabilities a (rows summing to 1).
    Probabilities that underflowed to 0 are clipped at eps; prefer softmax_cross_entropy on logits."""
    return -float(np.sum(Y * np.log(np.clip(a, eps, 1.0)))) / len(a)


def softmax_cross_entropy(z, Y):
    """Cross-entropy of softmax(z), from the logits z, in the stable log-sum-exp form. With s = z - max(z)
    per row, -ln softmax(z)_j = ln sum_k e^(s_k) - s_j for each row, so, with i over the m rows,
    C = (1/m) sum_i sum_j Y_ij [ln sum_k e^(s_ik) - s_ij].
    The shift keeps every exponent <= 0 (no overflow), and s_j is exact, so no two large numbers cancel."""
    s = z - z.max(axis=-1, keepdims=True)                     # (m, n_out), the docstring's s
    log_norm = np.log(np.exp(s).sum(axis=-1, keepdims=True))  # (m, 1): ln sum_k e^(s_k)
    return float(np.sum(Y * (log_norm - s))) / len(z)


def binary_cross_entropy(z, Y):
    """C = -(1/m) sum_i sum_j [Y_ij ln sigma(z_ij) + (1 - Y_ij) ln(1 - sigma(z_ij))] (i over the m
    rows), from logits z, computed stably per entry as max(z, 0) - z y + ln(1 + e^-|z|), so that no
    exponent is positive."""
    per_unit = np.maximum(z, 0) - z * Y + np.log1p(np.exp(-np.abs(z)))
    return float(np.sum(per_unit)) / len(z)


def loss_value(loss, output, z, a, Y):
    """The loss of a batch, from whichever of logits z or outputs a is the stable input for it."""
    if loss == "quadratic":
        return quadratic_loss(a, Y)
    if loss == "cross_entropy":
        return softmax_cross_entropy(z, Y)
    return binary_cross_entropy(z, Y)


def output_delta(loss, output, z, a, Y):
    """delta^(L) = dC/dZ^(L) for the output layer, shape (m, n_out), including the 1/m of the batch mean.

    quadratic + element-wise f:   (a - y) * f'(z) / m     (BP1 in Nielsen's notation)
    quadratic + softmax:          softmax_backward(a - y, a) / m
    cross-entropy + softmax:      (a - y) / m             (the softmax Jacobian cancels)
    binary cross-entropy + sigmoid: (a - y) / m           (sigma' cancels)
    """
    m = len(a)
    if loss == "quadratic":
        if output == "softmax":
            return softmax_backward(a - Y, a) / m
        return (a - Y) * derivative_given_output(output, z, a) / m
    return (a - Y) / m


def check_pairing(loss, output):
    """Reject loss/output-activation pairs whose delta would be wrong, with a reason a learner can act on."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if loss == "cross_entropy" and output != "softmax":
        raise ValueError(f"cross_entropy expects a softmax output layer (its outputs are probabilities "
                         f"that sum to 1), got output={output!r}; use output='softmax'")
    if loss == "binary_cross_entropy" and output != "sigmoid":
        raise ValueError(f"binary_cross_entropy expects sigmoid outputs in (0, 1), got output={output!r}; "
                         f"use output='sigmoid'")


__all__ = ["quadratic_loss", "cross_entropy_loss", "softmax_cross_entropy", "binary_cross_entropy",
           "output_delta", "loss_value", "softmax", "LOSSES"]
