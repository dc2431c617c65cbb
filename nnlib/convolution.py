"""Convolution and max-pooling as forward/backward pairs, each twice: a naive loop that reads like the
definition, to teach, and a vectorized version (sliding windows and one matrix product), for speed.
Tests check both against numerical gradients and against each other.

Shapes for images, batch first: X is (m, C, H, W) — m examples, C channels, H rows, W columns. A filter bank
K is (F, C, kh, kw): F filters, each seeing all C channels through a kh x kw window; the bias b is (F,).
With padding p and stride s the output has  H_out = (H + 2p - kh) // s + 1  rows (likewise columns), and
conv2d computes   out[i, f, y, x] = b[f] + sum over c, u, v of K[f, c, u, v] * X_pad[i, c, s*y + u, s*x + v]
(cross-correlation, as every deep-learning library calls "convolution").
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_size(size, window, stride, padding):
    """(size + 2 padding - window) // stride + 1, or a ValueError when the window does not fit."""
    if size + 2 * padding < window:
        raise ValueError(f"a window of {window} does not fit an input of {size} with padding {padding}")
    return (size + 2 * padding - window) // stride + 1


def _check_conv_arguments(X, K, b, stride, padding):
    if X.ndim != 4:
        raise ValueError(f"X must be a batch of images of shape (m, C, H, W), got shape {X.shape}")
    if K.ndim != 4 or K.shape[1] != X.shape[1]:
        raise ValueError(f"K must have shape (F, C, kh, kw) with C = {X.shape[1]} channels as in X, got {K.shape}")
    if b.shape != (K.shape[0],):
        raise ValueError(f"b must have shape ({K.shape[0]},), one bias per filter, got {b.shape}")
    if not (isinstance(stride, (int, np.integer)) and stride >= 1):
        raise ValueError(f"stride must be a whole number >= 1, got {stride!r}")
    if not (isinstance(padding, (int, np.integer)) and padding >= 0):
        raise ValueError(f"padding must be a whole number >= 0, got {padding!r}")
    return output_size(X.shape[2], K.shape[2], stride, padding), output_size(X.shape[3], K.shape[3], stride, padding)


def _pad(X, padding):
    return np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else X


# -- convolution -----------------------------------------------------------------------------------------

def conv2d_forward_naive(X, K, b, stride=1, padding=0):
    """conv2d by its definition, one output value at a time (slow: for teaching and testing).
    X: (m, C, H, W);  K: (F, C, kh, kw);  b: (F,)  ->  out (m, F, H_out, W_out), cache."""
    H_out, W_out = _check_conv_arguments(X, K, b, stride, padding)
    m, F, (kh, kw) = len(X), len(K), K.shape[2:]
    X_pad = _pad(X, padding)
    out = np.zeros((m, F, H_out, W_out), dtype=np.result_type(X, K))
    for i in range(m):
        for f in range(F):
            for y in range(H_out):
                for x in range(W_out):
                    window = X_pad[i, :, y * stride:y * stride + kh, x * stride:x * stride + kw]
                    out[i, f, y, x] = np.sum(window * K[f]) + b[f]
    return out, (X, K, stride, padding)


def conv2d_backward_naive(dout, cache):
    """Gradients of conv2d, one output value at a time: each out[i, f, y, x] sent dout[i, f, y, x] times its
    window to dK[f], times K[f] back to the window of dX, and dout to db[f].  Returns dX, dK, db."""
    X, K, stride, padding = cache
    F, _, kh, kw = K.shape
    X_pad = _pad(X, padding)
    dX_pad, dK = np.zeros_like(X_pad, dtype=dout.dtype), np.zeros_like(K, dtype=dout.dtype)
    m, _, H_out, W_out = dout.shape
    for i in range(m):
        for f in range(F):
            for y in range(H_out):
                for x in range(W_out):
                    rows, cols = slice(y * stride, y * stride + kh), slice(x * stride, x * stride + kw)
                    dK[f] += dout[i, f, y, x] * X_pad[i, :, rows, cols]
                    dX_pad[i, :, rows, cols] += dout[i, f, y, x] * K[f]
    H, W = X.shape[2:]
    return dX_pad[:, :, padding:padding + H, padding:padding + W], dK, dout.sum(axis=(0, 2, 3))


def _windows(X_pad, kh, kw, stride):
    """Every kh x kw window of X_pad (m, C, Hp, Wp) at the given stride, as a view (m, C, H_out, W_out, kh, kw)."""
    return sliding_window_view(X_pad, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


def conv2d_forward(X, K, b, stride=1, padding=0):
    """conv2d, vectorized: all windows as one (m, H_out, W_out, C*kh*kw) array times the filters
    (C*kh*kw, F), one matrix product.  X: (m, C, H, W);  K: (F, C, kh, kw);  b: (F,)
    ->  out (m, F, H_out, W_out), cache."""
    _check_conv_arguments(X, K, b, stride, padding)
    F, C, kh, kw = K.shape
    windows = _windows(_pad(X, padding), kh, kw, stride)                    # (m, C, H_out, W_out, kh, kw)
    out = np.tensordot(windows, K, axes=([1, 4, 5], [1, 2, 3]))             # (m, H_out, W_out, F)
    return (out + b).transpose(0, 3, 1, 2), (X, K, stride, padding)


def conv2d_backward(dout, cache, need_dX=True):
    """Gradients of conv2d, vectorized.  dout: (m, F, H_out, W_out).  Returns dX (m, C, H, W), dK, db
    (need_dX=False skips dX, as for the first layer, whose input needs no gradient, and returns None):

    dK[f, c, u, v] = sum over i, y, x of dout[i, f, y, x] * X_pad[i, c, s*y + u, s*x + v]   (one tensordot)
    dX: every input collects dout times the filter weight that joined them, which is a stride-1 convolution of
        dout — spread out by the stride, padded by the window size minus one — with each filter flipped and
        the roles of F and C swapped: the forward pass again, with other arguments.
    db[f] = sum of dout[:, f]."""
    X, K, stride, padding = cache
    F, C, kh, kw = K.shape
    m, _, H_out, W_out = dout.shape
    dK = np.tensordot(dout, _windows(_pad(X, padding), kh, kw, stride), axes=([0, 2, 3], [0, 2, 3]))
    if not need_dX:
        return None, dK, dout.sum(axis=(0, 2, 3))
    spread = np.zeros((m, F, stride * (H_out - 1) + 1, stride * (W_out - 1) + 1), dtype=dout.dtype)
    spread[:, :, ::stride, ::stride] = dout
    spread = np.pad(spread, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    flipped = K[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)                     # (C, F, kh, kw)
    dX_pad, _ = conv2d_forward(spread, flipped, np.zeros(C, dtype=dout.dtype))
    H, W = X.shape[2:]
    # Rows and columns that no window reached (when the stride skips the last ones) get no gradient: zeros.
    dX_pad = np.pad(dX_pad, ((0, 0), (0, 0), (0, H + 2 * padding - dX_pad.shape[2]),
                             (0, W + 2 * padding - dX_pad.shape[3])))
    return dX_pad[:, :, padding:padding + H, padding:padding + W], dK, dout.sum(axis=(0, 2, 3))


# -- max-pooling -----------------------------------------------------------------------------------------

def _check_pool_arguments(X, size, stride):
    if X.ndim != 4:
        raise ValueError(f"X must be a batch of feature maps of shape (m, C, H, W), got shape {X.shape}")
    for name, value in (("size", size), ("stride", stride)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"pooling {name} must be a whole number >= 1, got {value!r}")


def maxpool_forward_naive(X, size=2, stride=2):
    """Max-pooling by its definition: out[i, c, y, x] = max of the size x size window at (stride*y, stride*x).
    X: (m, C, H, W)  ->  out (m, C, H_out, W_out), cache."""
    _check_pool_arguments(X, size, stride)
    m, C, H, W = X.shape
    H_out, W_out = output_size(H, size, stride, 0), output_size(W, size, stride, 0)
    out = np.zeros((m, C, H_out, W_out), dtype=X.dtype)
    for y in range(H_out):
        for x in range(W_out):
            out[:, :, y, x] = X[:, :, y * stride:y * stride + size, x * stride:x * stride + size].max(axis=(2, 3))
    return out, (X, size, stride)


def maxpool_backward_naive(dout, cache):
    """The gradient flows only to the (first) largest input of each window; every other input gets 0."""
    X, size, stride = cache
    dX = np.zeros_like(X, dtype=dout.dtype)
    m, C, H_out, W_out = dout.shape
    for i in range(m):
        for c in range(C):
            for y in range(H_out):
                for x in range(W_out):
                    window = X[i, c, y * stride:y * stride + size, x * stride:x * stride + size]
                    u, v = np.unravel_index(np.argmax(window), window.shape)
                    dX[i, c, y * stride + u, x * stride + v] += dout[i, c, y, x]
    return dX


def maxpool_forward(X, size=2, stride=2):
    """Max-pooling, vectorized over all windows at once (sliding windows, argmax per window).
    X: (m, C, H, W)  ->  out (m, C, H_out, W_out), cache."""
    _check_pool_arguments(X, size, stride)
    output_size(min(X.shape[2:]), size, stride, 0)                     # a clear error if the window is too big
    windows = _windows(X, size, size, stride)                          # (m, C, H_out, W_out, size, size)
    flat = windows.reshape(*windows.shape[:4], size * size)
    winner = flat.argmax(axis=-1)                                      # first largest, as the naive version
    out = np.take_along_axis(flat, winner[..., None], axis=-1)[..., 0]
    return out, (X.shape, winner, size, stride)


def maxpool_backward(dout, cache):
    """Each dout[i, c, y, x] goes to the input that won its window.  dout: (m, C, H_out, W_out) -> dX (m, C, H, W).

    Windows that do not overlap (stride >= size) put each value in a place of its own, in one vectorized
    assignment; overlapping windows share inputs, which np.add.at makes collect every contribution."""
    shape, winner, size, stride = cache
    m, C, H_out, W_out = dout.shape
    if stride >= size:
        H, W = shape[2:]
        spread = np.zeros((m, C, H_out, W_out, size * size), dtype=dout.dtype)
        np.put_along_axis(spread, winner[..., None], dout[..., None], axis=-1)
        blocks = np.zeros((m, C, H_out, stride, W_out, stride), dtype=dout.dtype)  # one block per window
        blocks[:, :, :, :size, :, :size] = spread.reshape(m, C, H_out, W_out, size, size).transpose(0, 1, 2, 4, 3, 5)
        dX = np.zeros(shape, dtype=dout.dtype)
        rows, cols = min(H, H_out * stride), min(W, W_out * stride)
        dX[:, :, :rows, :cols] = blocks.reshape(m, C, H_out * stride, W_out * stride)[:, :, :rows, :cols]
        return dX
    u, v = np.divmod(winner, size)
    rows = stride * np.arange(H_out)[:, None] + u                       # (m, C, H_out, W_out)
    cols = stride * np.arange(W_out)[None, :] + v
    i, c = np.meshgrid(np.arange(m), np.arange(C), indexing="ij")
    dX = np.zeros(shape, dtype=dout.dtype)
    np.add.at(dX, (i[:, :, None, None], c[:, :, None, None], rows, cols), dout)
    return dX
