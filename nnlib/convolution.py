"""Convolution and max-pooling as forward/backward pairs, each twice: a naive loop that reads like the
definition, to teach, and a vectorized version for speed (im2col: the windows as the columns of one
matrix, then one matrix product, and col2im, which adds columns back onto their windows, for the backward
pass; pooling as the maximum of a few strided slices).
Tests check both against numerical gradients and against each other.

Shapes for images, batch first: X is (m, C, H, W) — m examples, C channels, H rows, W columns. A filter bank
K is (F, C, kh, kw): F filters, each seeing all C channels through a kh x kw window; the bias b is (F,).
With padding p and stride s the output has  H_out = (H + 2p - kh) // s + 1  rows (likewise columns), and
conv2d computes   out[i, f, y, x] = b[f] + sum over c, u, v of K[f, c, u, v] * X_pad[i, c, s*y + u, s*x + v]
(cross-correlation, as every deep-learning library calls "convolution").
"""
import numpy as np


def output_size(size, window, stride, padding):
    """(size + 2 padding - window) // stride + 1, or a ValueError when the window does not fit."""
    if size + 2 * padding < window:
        raise ValueError(f"a window of {window} does not fit an input of {size} with padding {padding}")
    return (size + 2 * padding - window) // stride + 1


def _check_conv_arguments(X, K, b, stride, padding):
    if np.ndim(X) != 4:
        raise ValueError(f"X must be a batch of images of shape (m, C, H, W), got shape {np.shape(X)}")
    if K.ndim != 4 or K.shape[1] != X.shape[1]:
        raise ValueError(f"K must have shape (F, C, kh, kw) with C = {X.shape[1]} channels as in X, got {K.shape}")
    if b.shape != (K.shape[0],):
        raise ValueError(f"b must have shape ({K.shape[0]},), one bias per filter, got {b.shape}")
    return _check_geometry(X, K.shape[2], K.shape[3], stride, padding)


def _check_geometry(X, kh, kw, stride, padding):
    """(H_out, W_out) for windows of kh x kw on X (m, C, H, W), after checking stride and padding."""
    if np.ndim(X) != 4:
        raise ValueError(f"X must be a batch of images of shape (m, C, H, W), got shape {np.shape(X)}")
    if not (isinstance(stride, (int, np.integer)) and stride >= 1):
        raise ValueError(f"stride must be a whole number >= 1, got {stride!r}")
    if not (isinstance(padding, (int, np.integer)) and padding >= 0):
        raise ValueError(f"padding must be a whole number >= 0, got {padding!r}")
    return output_size(X.shape[2], kh, stride, padding), output_size(X.shape[3], kw, stride, padding)


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


def _im2col(X_pad, kh, kw, stride, H_out, W_out):
    """The windows as the columns of one matrix (C*kh*kw, m*H_out*W_out): row (c, u, v) holds, for every
    output position, the input the filter entry (c, u, v) sees there. Built one kernel offset (u, v) at a
    time, each a strided slice copied in one go (much faster than gathering window by window)."""
    m, C = X_pad.shape[:2]
    columns = np.empty((C, kh, kw, m, H_out, W_out), dtype=X_pad.dtype)
    for u in range(kh):
        for v in range(kw):
            patch = X_pad[:, :, u:u + stride * (H_out - 1) + 1:stride, v:v + stride * (W_out - 1) + 1:stride]
            columns[:, u, v] = patch.transpose(1, 0, 2, 3)
    return columns.reshape(C * kh * kw, m * H_out * W_out)


def im2col(X, kh, kw, stride=1, padding=0):
    """The windows of X (m, C, H, W) that a kh x kw filter sees, as the columns of one matrix of shape
    (C*kh*kw, m*H_out*W_out): column (i, y, x) is the window at output position (y, x) of example i,
    flattened channel by channel and row by row, like a filter K[f] (C, kh, kw) flattened. So the whole
    convolution is the one matrix product K.reshape(F, -1) @ im2col(X, ...), see conv2d_forward."""
    H_out, W_out = _check_geometry(X, kh, kw, stride, padding)
    return _im2col(_pad(np.asarray(X), padding), kh, kw, stride, H_out, W_out)


def _col2im(columns, shape, kh, kw, stride, padding):
    """col2im on the padded input: each offset (u, v) adds its row block back onto a strided slice."""
    m, C, H, W = shape
    H_out, W_out = output_size(H, kh, stride, padding), output_size(W, kw, stride, padding)
    blocks = columns.reshape(C, kh, kw, m, H_out, W_out)
    X_pad = np.zeros((m, C, H + 2 * padding, W + 2 * padding), dtype=columns.dtype)
    for u in range(kh):
        for v in range(kw):
            X_pad[:, :, u:u + stride * (H_out - 1) + 1:stride, v:v + stride * (W_out - 1) + 1:stride] += \
                blocks[:, u, v].transpose(1, 0, 2, 3)
    return X_pad[:, :, padding:padding + H, padding:padding + W]


def col2im(columns, shape, kh, kw, stride=1, padding=0):
    """The way back from im2col: every column of columns (C*kh*kw, m*H_out*W_out) is laid back onto the window
    it came from, and an input that several windows share receives the SUM of their entries (what lands in
    the padding is dropped). Returns an array of shape = (m, C, H, W), the shape of the X that im2col saw.
    Not im2col's inverse but its transpose: sum(im2col(X) * D) = sum(X * col2im(D)) for every D, which is why
    it turns dcolumns into dX in conv2d_backward; col2im(im2col(X)) is X times how many windows cover each pixel."""
    m, C, H, W = shape
    H_out, W_out = output_size(H, kh, stride, padding), output_size(W, kw, stride, padding)
    if np.shape(columns) != (C * kh * kw, m * H_out * W_out):
        raise ValueError(f"columns must have shape ({C * kh * kw}, {m * H_out * W_out}) for inputs {tuple(shape)} "
                         f"and {kh}x{kw} windows, got {np.shape(columns)}")
    return _col2im(np.asarray(columns), shape, kh, kw, stride, padding)


def conv2d_forward(X, K, b, stride=1, padding=0):
    """conv2d, vectorized (im2col): the windows become the columns of one matrix, and all filters apply at
    once as one matrix product, K (F, C*kh*kw) @ columns (C*kh*kw, m*H_out*W_out).
    X: (m, C, H, W);  K: (F, C, kh, kw);  b: (F,)  ->  out (m, F, H_out, W_out), cache."""
    H_out, W_out = _check_conv_arguments(X, K, b, stride, padding)
    F, C, kh, kw = K.shape
    columns = _im2col(_pad(X, padding), kh, kw, stride, H_out, W_out)
    out = (K.reshape(F, -1) @ columns + b[:, None]).reshape(F, len(X), H_out, W_out)
    return out.transpose(1, 0, 2, 3), (X.shape, K, stride, padding, columns)


def conv2d_backward(dout, cache, need_dX=True):
    """Gradients of conv2d, vectorized.  dout: (m, F, H_out, W_out).  Returns dX (m, C, H, W), dK, db
    (need_dX=False skips dX, as for the first layer, whose input needs no gradient, and returns None):

    dK = dout (F, m*H_out*W_out) @ columns^T: each filter entry collects dout times the input it saw;
    dcolumns = K^T @ dout, and each column's entries go back, added up, to the inputs of its window (col2im);
    db[f] = sum of dout[:, f]."""
    shape, K, stride, padding, columns = cache
    F, _, kh, kw = K.shape
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(F, -1)               # (F, m*H_out*W_out)
    dK = (dout_rows @ columns.T).reshape(K.shape)
    db = dout_rows.sum(axis=1)
    if not need_dX:
        return None, dK, db
    dcolumns = K.reshape(F, -1).T @ dout_rows                           # (C*kh*kw, m*H_out*W_out)
    return col2im(dcolumns, shape, kh, kw, stride, padding), dK, db


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


def _offsets(size, stride, H_out, W_out):
    """For each window offset (u, v), row by row, the slices that pick that entry of every window:
    X[:, :, rows, cols] is (m, C, H_out, W_out)."""
    for u in range(size):
        for v in range(size):
            yield (slice(u, u + stride * (H_out - 1) + 1, stride), slice(v, v + stride * (W_out - 1) + 1, stride))


def maxpool_forward(X, size=2, stride=2):
    """Max-pooling, vectorized: the maximum, element by element, of the size*size maps that hold one entry
    of every window each.  X: (m, C, H, W)  ->  out (m, C, H_out, W_out), cache."""
    _check_pool_arguments(X, size, stride)
    H_out, W_out = output_size(X.shape[2], size, stride, 0), output_size(X.shape[3], size, stride, 0)
    out = None
    for rows, cols in _offsets(size, stride, H_out, W_out):
        out = X[:, :, rows, cols].copy() if out is None else np.maximum(out, X[:, :, rows, cols])
    return out, (X, out, size, stride)


def maxpool_backward(dout, cache):
    """Each dout[i, c, y, x] goes to the input that won its window: offset by offset, in the same order as the
    naive loop, the entries equal to the maximum that no earlier offset claimed (so a tie goes to the first).
    Added with +=, so inputs shared by overlapping windows collect every contribution.
    dout: (m, C, H_out, W_out)  ->  dX (m, C, H, W)."""
    X, out, size, stride = cache
    dX, claimed = np.zeros(X.shape, dtype=dout.dtype), np.zeros(out.shape, dtype=bool)
    for rows, cols in _offsets(size, stride, *out.shape[2:]):
        wins = (X[:, :, rows, cols] == out) & ~claimed
        claimed |= wins
        dX[:, :, rows, cols] += dout * wins
    return dX
