"""Chapter 11 checkers: typical wrong output-size formulas, convolutions and max-pool gradients get the hint
that names their mistake, unusual correct ones pass, and a stub is reported as not implemented yet."""
import math

import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, as_float32, assert_right, assert_wrong
from nnlib.exercises import hint
from nnlib.exercises.ch11 import check_conv2d, check_maxpool_backward, check_output_size


def named(name, fn):
    fn.__name__ = name
    return fn


# -- the output-size formula ------------------------------------------------------------------------

def size_right(n, k, stride, padding, dilation):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def size_by_range(n, k, stride, padding, dilation):
    """Correct: count the window starts directly."""
    return len(range(0, n + 2 * padding - dilation * (k - 1), stride))


def size_by_int_of_division(n, k, stride, padding, dilation):
    """Correct: int() of the true quotient rounds down for the non-negative numbers here."""
    return int((n - (dilation * (k - 1) + 1) + 2 * padding) / stride) + 1


def size_by_loop(n, k, stride, padding, dilation):
    """Correct: slide the window until its last entry no longer fits."""
    count, start = 0, 0
    while start + dilation * (k - 1) < n + 2 * padding:
        count, start = count + 1, start + stride
    return count


def size_via_nnlib(n, k, stride, padding, dilation):
    """Correct: nnlib's undilated count, given the dilated window's span."""
    from nnlib.convolution import output_size
    return output_size(n, dilation * (k - 1) + 1, stride, padding)


def span(k, d):
    return d * (k - 1) + 1


SIZE_WRONG = [
    (named("ignores_dilation", lambda n, k, s, p, d: (n + 2 * p - k) // s + 1), "the dilation is missing"),
    (named("span_d_times_k", lambda n, k, s, p, d: (n + 2 * p - d * k) // s + 1), "k - 1 gaps"),
    (named("span_without_plus_one", lambda n, k, s, p, d: (n + 2 * p - d * (k - 1)) // s + 1),
     "the span is one entry more"),
    (named("dilation_as_stride", lambda n, k, s, p, d: (n + 2 * p - k) // (s * d) + 1), "does not change the stride"),
    (named("no_plus_one", lambda n, k, s, p, d: (n + 2 * p - span(k, d)) // s), "one more position than steps"),
    (named("padding_once", lambda n, k, s, p, d: (n + p - span(k, d)) // s + 1), "padding is added on both sides"),
    (named("no_padding", lambda n, k, s, p, d: (n - span(k, d)) // s + 1), "the padding is missing"),
    (named("true_division", lambda n, k, s, p, d: (n + 2 * p - span(k, d)) / s + 1), "floor division"),
    (named("rounds_up", lambda n, k, s, p, d: math.ceil((n + 2 * p - span(k, d)) / s) + 1), "round down, not up"),
    (named("plus_one_inside", lambda n, k, s, p, d: (n + 2 * p - span(k, d) + 1) // s), "+ 1, outside the division"),
    (named("padding_subtracted", lambda n, k, s, p, d: (n - 2 * p - span(k, d)) // s + 1), "not n - 2 * padding"),
    (named("no_stride", lambda n, k, s, p, d: n + 2 * p - span(k, d) + 1), "the stride is missing"),
    (named("window_not_subtracted", lambda n, k, s, p, d: (n + 2 * p) // s + 1), "subtract the window's span"),
    (named("minus_one", lambda n, k, s, p, d: (n + 2 * p - span(k, d)) // s - 1), "+ 1, not - 1"),
]
SIZE_RIGHT = [size_right, size_by_range, size_by_int_of_division, size_by_loop, size_via_nnlib]


@pytest.mark.parametrize("wrong, phrase", SIZE_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_output_size_mistakes_are_named(wrong, phrase):
    assert_wrong(check_output_size, wrong, phrase)


@pytest.mark.parametrize("right", SIZE_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_output_sizes_pass(right):
    assert_right(check_output_size, right)


# -- conv2d ---------------------------------------------------------------------------------------

def conv(X, K, b, stride=1, padding=0, *, flip=False, bias="once", reduce=np.sum, pad=None, use_stride=True,
         strided_windows=True, extra_row=1, channels=None, swap_hw=False, layout=None, as_tuple=False,
         int_output=False):
    """A student's loop convolution; each keyword makes one classic mistake."""
    pad = ((padding, padding), (padding, padding)) if pad is None else pad
    X_pad = np.pad(X, ((0, 0), (0, 0), *pad))
    m, C = X.shape[:2]
    F, _, kh, kw = K.shape
    if swap_hw:
        kh, kw = kw, kh
    s = stride if use_stride else 1
    H_out = (X.shape[2] + sum(pad[0]) - kh) // s + extra_row
    W_out = (X.shape[3] + sum(pad[1]) - kw) // s + extra_row
    out = np.zeros((m, F, H_out, W_out), dtype=np.int64 if int_output else np.float64)
    for i in range(m):
        for f in range(F):
            kernel = K[f, :, ::-1, ::-1] if flip else K[f]
            for y in range(H_out):
                for x in range(W_out):
                    top, left = (s * y, s * x) if strided_windows else (y, x)
                    window = X_pad[i, :, top:top + kh, left:left + kw]
                    if channels is not None:
                        window, kernel_used = window[:channels], kernel[:channels]
                    else:
                        kernel_used = kernel
                    value = reduce(window * kernel_used)
                    if bias == "once":
                        value += b[f]
                    elif bias == "per channel":
                        value += C * b[f]
                    out[i, f, y, x] = value
    if layout == "channels last":
        out = out.transpose(0, 2, 3, 1)
    elif layout == "filters first":
        out = out.transpose(1, 0, 2, 3)
    return (out, (X, K)) if as_tuple else out


def conv_variant(name, **mistake):
    return named(name, lambda X, K, b, stride, padding: conv(X, K, b, stride, padding, **mistake))


def conv_einsum(X, K, b, stride, padding):
    """Correct: all windows at once with sliding_window_view and one einsum."""
    X_pad = np.pad(X.astype(float), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    kh, kw = K.shape[2:]
    windows = np.lib.stride_tricks.sliding_window_view(X_pad, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("icyxuv,fcuv->ifyx", windows, K) + b[:, None, None]


def conv_scalar_loops(X, K, b, stride, padding):
    """Correct: seven nested loops of Python numbers, padding handled by a bounds test instead of np.pad."""
    m, C, H, W = X.shape
    F, _, kh, kw = K.shape
    H_out, W_out = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    out = np.empty((m, F, H_out, W_out))
    for i in range(m):
        for f in range(F):
            for y in range(H_out):
                for x in range(W_out):
                    total = float(b[f])
                    for c in range(C):
                        for u in range(kh):
                            for v in range(kw):
                                row, col = stride * y + u - padding, stride * x + v - padding
                                if 0 <= row < H and 0 <= col < W:
                                    total += float(X[i, c, row, col]) * float(K[f, c, u, v])
                    out[i, f, y, x] = total
    return out


def conv_float32(X, K, b, stride, padding):
    """Correct: the einsum version computed in float32 (a student's float32 pipeline), within float32 accuracy."""
    return conv_einsum(X.astype(np.float32), K.astype(np.float32), b.astype(np.float32), stride, padding)


def conv_tensordot(X, K, b, stride, padding):
    """Correct: loop over output positions only, each a tensordot of all examples' windows with all filters."""
    X_pad = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    F, _, kh, kw = K.shape
    H_out = (X_pad.shape[2] - kh) // stride + 1
    W_out = (X_pad.shape[3] - kw) // stride + 1
    out = np.empty((X.shape[0], F, H_out, W_out))
    for y in range(H_out):
        for x in range(W_out):
            window = X_pad[:, :, stride * y:stride * y + kh, stride * x:stride * x + kw]
            out[:, :, y, x] = np.tensordot(window, K, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


CONV_WRONG = [
    (conv_variant("flipped_kernel", flip=True), "the filter is flipped"),
    (conv_variant("no_bias", bias=None), "the bias is missing"),
    (conv_variant("bias_per_channel", bias="per channel"), "once per input channel"),
    (conv_variant("mean_not_sum", reduce=np.mean), "don't average them"),
    (conv_variant("no_padding", pad=((0, 0), (0, 0))), "the padding is missing"),
    (named("padding_one_side", lambda X, K, b, s, p: conv(X, K, b, s, p, pad=((p, 0), (p, 0)))), "pad on both sides"),
    (conv_variant("no_stride", use_stride=False), "the stride is missing"),
    (conv_variant("windows_not_strided", strided_windows=False), "starts at row stride*y"),
    (conv_variant("one_short", extra_row=0), "with the + 1"),
    (conv_variant("first_channel_only", channels=1), "sum over the channels"),
    (conv_variant("height_width_swapped", swap_hw=True), "the window and the filter have different shapes"),
    (conv_variant("channels_last", layout="channels last"), "examples, filters, rows, columns"),
    (conv_variant("filters_first", layout="filters first"), "the examples come first"),
    (conv_variant("returns_a_tuple", as_tuple=True), "not a tuple"),
    (conv_variant("integer_output", int_output=True), "the output holds integers"),
]
CONV_RIGHT = [conv_variant("loops"), conv_einsum, conv_scalar_loops, conv_tensordot, conv_float32]


@pytest.mark.parametrize("wrong, phrase", CONV_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_conv2d_mistakes_are_named(wrong, phrase):
    assert_wrong(check_conv2d, wrong, phrase)


@pytest.mark.parametrize("right", CONV_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_conv2d_passes(right):
    assert_right(check_conv2d, right)


def test_a_convolution_that_pads_x_in_place_is_told_to_copy():
    def pads_into_the_input(X, K, b, stride, padding):
        X[...] = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))[:, :, :X.shape[2], :X.shape[3]]
        return conv(X, K, b, stride, 0)
    result = check_conv2d(pads_into_the_input)
    assert not result.passed and "changed its input X in place" in result.message


# -- max-pool backward ------------------------------------------------------------------------------

def pool_back(dout, X, size, stride, *, route="first", add=True, times_dout=True, step=None, swap=False,
              dtype=float, out_shape=False):
    """A student's max-pool backward pass by loops; each keyword makes one classic mistake."""
    dX = np.zeros(dout.shape if out_shape else X.shape, dtype=dtype)
    step = stride if step is None else step
    m, C, H_out, W_out = dout.shape
    for i in range(m):
        for c in range(C):
            for y in range(H_out):
                for x in range(W_out):
                    window = X[i, c, y * step:y * step + size, x * step:x * step + size]
                    g = dout[i, c, y, x] if times_dout else 1.0
                    if out_shape:
                        dX[i, c, y, x] = g
                        continue
                    target = dX[i, c, y * step:y * step + size, x * step:x * step + size]
                    if route == "everywhere":
                        target += g
                    elif route == "average":
                        target += g / window.size
                    elif route == "all ties":
                        target += g * (window == window.max())
                    else:
                        flat = window.ravel()
                        k = np.argmax(flat) if route == "first" else flat.size - 1 - np.argmax(flat[::-1])
                        u, v = np.unravel_index(k, window.shape)
                        if swap:
                            u, v = v, u
                        if add:
                            target[u, v] += g
                        else:
                            target[u, v] = g
    return dX


def pool_variant(name, **mistake):
    return named(name, lambda dout, X, size, stride: pool_back(dout, X, size, stride, **mistake))


def pool_by_masks(dout, X, size, stride):
    """Correct: offset by offset over all windows at once, claiming each window's first maximum."""
    m, C, H_out, W_out = dout.shape
    out = np.full(dout.shape, -np.inf)
    for u in range(size):
        for v in range(size):
            out = np.maximum(out, X[:, :, u:u + stride * H_out:stride, v:v + stride * W_out:stride][:, :, :H_out, :W_out])
    dX, claimed = np.zeros(X.shape), np.zeros(dout.shape, dtype=bool)
    for u in range(size):
        for v in range(size):
            view = X[:, :, u:u + stride * (H_out - 1) + 1:stride, v:v + stride * (W_out - 1) + 1:stride]
            wins = (view == out) & ~claimed
            claimed |= wins
            dX[:, :, u:u + stride * (H_out - 1) + 1:stride, v:v + stride * (W_out - 1) + 1:stride] += dout * wins
    return dX


def pool_with_add_at(dout, X, size, stride):
    """Correct: collect the winners' flat indices first, then one np.add.at (which adds repeated indices)."""
    m, C, H_out, W_out = dout.shape
    H, W = X.shape[2:]
    indices, values = [], []
    for i in range(m):
        for c in range(C):
            for y in range(H_out):
                for x in range(W_out):
                    window = X[i, c, y * stride:y * stride + size, x * stride:x * stride + size]
                    u, v = divmod(int(np.argmax(window)), window.shape[1])
                    indices.append(((i * C + c) * H + y * stride + u) * W + x * stride + v)
                    values.append(dout[i, c, y, x])
    dX = np.zeros(X.size)
    np.add.at(dX, np.array(indices, dtype=int), np.array(values))
    return dX.reshape(X.shape)


POOL_WRONG = [
    (pool_variant("to_every_input", route="everywhere"), "only the largest entry of each window"),
    (pool_variant("average_pooling", route="average"), "the gradient of average pooling"),
    (pool_variant("to_every_tie", route="all ties"), "send dout to one of them only"),
    (pool_variant("last_tie", route="last"), "ties go to the FIRST largest entry"),
    (pool_variant("assigns", add=False), "add (+=) instead of assigning"),
    (pool_variant("forgets_dout", times_dout=False), "multiply by dout"),
    (pool_variant("row_column_swapped", swap=True), "row and column are swapped"),
    (pool_variant("integer_gradient", dtype=np.int64), "dX holds integers"),
    (pool_variant("dout_shaped", out_shape=True), "dX has the shape of X"),
    (named("stride_taken_as_size", lambda dout, X, size, stride: pool_back(dout, X, size, stride, step=size)),
     "the stride is not the window size"),
]
POOL_RIGHT = [pool_variant("loops"), pool_by_masks, pool_with_add_at, as_float32(pool_by_masks)]


@pytest.mark.parametrize("wrong, phrase", POOL_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_maxpool_backward_mistakes_are_named(wrong, phrase):
    assert_wrong(check_maxpool_backward, wrong, phrase)


@pytest.mark.parametrize("right", POOL_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_maxpool_backward_passes(right):
    assert_right(check_maxpool_backward, right)


# -- stubs, hints and the catalogue -----------------------------------------------------------------

@pytest.mark.parametrize("check", [check_output_size, check_conv2d, check_maxpool_backward])
def test_a_stub_is_not_implemented_yet(check):
    def stub(*args):
        raise NotImplementedError("write it")
    result = check(stub)
    assert not result.passed and "is not implemented yet" in result.message


@pytest.mark.parametrize("name", ["output_size", "conv2d", "maxpool_backward"])
def test_hints_go_from_a_nudge_to_the_formula(name):
    assert hint(name, 1).startswith(f"Hint 1 of 3 for {name}:")
    assert "//" in hint(name, 3) or "+=" in hint(name, 3) or "np.sum" in hint(name, 3)


def test_catalogue_is_broad_enough():
    for wrong, right in [(SIZE_WRONG, SIZE_RIGHT), (CONV_WRONG, CONV_RIGHT), (POOL_WRONG, POOL_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT


def test_calling_nnlibs_own_convolution_functions_is_refused():
    import nnlib.convolution as conv
    from nnlib.exercises.ch11 import check_conv2d, check_maxpool_backward, check_output_size

    result = check_output_size(lambda n, k, stride, padding, dilation: conv.output_size(n, k, stride, padding))
    assert not result.passed and "the dilation is missing" in result.hint
    result = check_conv2d(lambda X, K, b, stride, padding: conv.conv2d_forward(X, K, b, stride, padding)[0])
    assert not result.passed and "calls nnlib.convolution.conv2d_forward" in result.message
    result = check_conv2d(lambda X, K, b, stride, padding: conv.conv2d_forward_naive(X, K, b, stride, padding)[0])
    assert not result.passed and "calls nnlib.convolution.conv2d_forward_naive" in result.message

    def via_nnlib(dout, X, size, stride):
        _, cache = conv.maxpool_forward_naive(X, size, stride)
        return conv.maxpool_backward_naive(dout, cache)

    result = check_maxpool_backward(via_nnlib)
    assert not result.passed and "calls nnlib.convolution.maxpool_backward_naive" in result.message


def test_calling_nnlibs_private_helpers_is_refused():
    import nnlib.convolution as conv

    def conv2d_via_private_im2col(X, K, b, stride, padding):
        F, C, kh, kw = K.shape
        m, _, H, W = X.shape
        H_out, W_out = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
        X_pad = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        columns = conv._im2col(X_pad, kh, kw, stride, H_out, W_out)
        out = K.reshape(F, -1) @ columns + b[:, None]
        return out.reshape(F, m, H_out, W_out).transpose(1, 0, 2, 3)

    result = check_conv2d(conv2d_via_private_im2col)
    assert not result.passed and "calls nnlib.convolution._im2col" in result.message

    def maxpool_backward_via_offsets(dout, X, size, stride):
        out, _ = conv.maxpool_forward(X, size, stride)
        dX, claimed = np.zeros(X.shape), np.zeros(out.shape, dtype=bool)
        for rows, cols in conv._offsets(size, stride, *out.shape[2:]):
            wins = (X[:, :, rows, cols] == out) & ~claimed
            claimed |= wins
            dX[:, :, rows, cols] += dout * wins
        return dX

    result = check_maxpool_backward(maxpool_backward_via_offsets)
    assert not result.passed and "calls nnlib.convolution._offsets" in result.message


def test_a_convolution_read_off_the_backward_pass_is_refused():
    import nnlib.convolution as conv

    def via_backward(X, K, b, stride, padding):
        # dC/dK with a one-hot dout is a window of X: the forward pass rebuilt from the backward one
        m, _, H, W = X.shape
        F = K.shape[0]
        H_out, W_out = (H + 2 * padding - K.shape[2]) // stride + 1, (W + 2 * padding - K.shape[3]) // stride + 1
        out = np.zeros((m, F, H_out, W_out))
        for i in range(m):
            for y in range(H_out):
                for x in range(W_out):
                    dout = np.zeros((1, F, H_out, W_out))
                    dout[0, :, y, x] = 1
                    _, dK, _ = conv.conv2d_backward_naive(dout, (X[i:i + 1], K, stride, padding))
                    out[i, :, y, x] = (dK * K).sum(axis=(1, 2, 3)) / F ** 0 + b
        return out

    result = check_conv2d(via_backward)
    assert not result.passed and "calls nnlib.convolution.conv2d_backward_naive" in result.message


def test_scipy_convolution_is_refused_when_scipy_is_installed():
    signal = pytest.importorskip("scipy.signal")

    def via_scipy(X, K, b, stride, padding):
        X = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        out = np.array([[sum(signal.correlate2d(X[i, c], K[f, c], mode="valid") for c in range(X.shape[1])) + b[f]
                         for f in range(K.shape[0])] for i in range(X.shape[0])])
        return out[:, :, ::stride, ::stride]

    result = check_conv2d(via_scipy)
    assert not result.passed and "correlate2d" in result.message
