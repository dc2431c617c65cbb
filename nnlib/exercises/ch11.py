"""Checkers for chapter 11, Convolution.

    check_output_size(fn)        fn(n, k, stride, padding, dilation) -> how many positions a dilated window
                                 of k entries fits into n
    check_conv2d(fn)             fn(X, K, b, stride, padding) -> out (m, F, H_out, W_out), by loops
    check_maxpool_backward(fn)   fn(dout, X, size, stride) -> dX (m, C, H, W), the gradient of max-pooling

Each runs your function on several inputs (the chapter's worked example, padding, strides, rectangular
filters, several channels, overlapping windows, ties, integer images), compares it with nnlib's own answer
and, when the result matches a typical mistake, names it. Hints in steps: hint("output_size", 1),
hint("conv2d", 1), hint("maxpool_backward", 1).
"""
import numpy as np

from .. import convolution
from ..convolution import conv2d_forward, maxpool_backward_naive
from .harness import Case, attempt, check_function, register_hints, watched_functions

# nnlib's finished versions, which the student's functions must not call (the checkers compare with them)
CONV2D_ANSWERS = watched_functions(convolution.conv2d_forward, convolution.conv2d_forward_naive, convolution.im2col,
                                   convolution._im2col, convolution.conv2d_backward, convolution.conv2d_backward_naive)


def _scipy_convolutions():
    """SciPy's convolutions and correlations, when SciPy is installed (it is no dependency of nnlib)."""
    try:
        from scipy import ndimage, signal
    except ImportError:
        return {}
    return watched_functions(signal.correlate, signal.convolve, signal.correlate2d, signal.convolve2d,
                             signal.fftconvolve, signal.oaconvolve, ndimage.correlate, ndimage.convolve)


CONV2D_ANSWERS.update(_scipy_convolutions())
MAXPOOL_ANSWERS = watched_functions(convolution.maxpool_backward, convolution.maxpool_backward_naive,
                                    convolution._offsets)

register_hints("output_size", [
    "count the positions where the whole window fits inside the padded input, moving it by `stride` each time. "
    "First work out how many input entries one dilated window covers, from its first entry to its last.",
    "a window of k entries, dilation apart, has k - 1 gaps of dilation each: it spans dilation * (k - 1) + 1 "
    "entries. Section 3's count, with that span in place of k: starts 0, stride, 2 * stride, ... up to "
    "n + 2 * padding - span.",
    "return (n + 2 * padding - (dilation * (k - 1) + 1)) // stride + 1",
])
register_hints("conv2d", [
    "every output value is one window of the (padded) input multiplied entry by entry with one filter, summed "
    "over the window and over every input channel, plus that filter's bias. Loop over the examples, the "
    "filters and the output positions.",
    "pad X with `padding` zeros above, below, left and right (np.pad on the last two axes only); the output has "
    "H_out = (H + 2p - kh) // stride + 1 rows (likewise columns); output (y, x) sees the window starting at row "
    "stride * y and column stride * x, of kh rows and kw columns, across all channels.",
    "X_pad = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p))); out = np.zeros((m, F, H_out, W_out)); "
    "out[i, f, y, x] = np.sum(X_pad[i, :, s*y:s*y + kh, s*x:s*x + kw] * K[f]) + b[f]",
])
register_hints("maxpool_backward", [
    "only one input of each window influenced that window's output: its largest entry. It receives the "
    "window's gradient; every other input of the window receives nothing from it.",
    "start from dX = zeros of X's shape, as floats; for each example, channel and output position take the "
    "window, find where its largest entry is (np.argmax and np.unravel_index give the first one in reading "
    "order), and add dout there. Windows overlap when stride < size, so add, never overwrite.",
    "u, v = np.unravel_index(np.argmax(window), window.shape); "
    "dX[i, c, s*y + u, s*x + v] += dout[i, c, y, x]",
])


def _close(got, candidate):
    try:
        return (isinstance(got, np.ndarray) and got.shape == np.shape(candidate)
                and np.allclose(got, candidate, rtol=1e-6, atol=1e-9))
    except (TypeError, ValueError):
        return False


# -- the output-size formula, for a dilated window ------------------------------------------------------

def window_span(k, dilation):
    """How many input entries a window of k entries, dilation apart, covers: dilation * (k - 1) + 1."""
    return dilation * (k - 1) + 1


def reference_output_size(n, k, stride, padding, dilation):
    """(n + 2 padding - span) // stride + 1 with span = dilation (k - 1) + 1: the window positions along one axis."""
    return (n + 2 * padding - window_span(k, dilation)) // stride + 1


def output_size_cases():
    """(n, k, stride, padding, dilation) cases: the chapter's layers (dilation 1), then dilated windows."""
    return [
        Case("the chapter's first layer: n=28, k=5, stride 1, padding 2, dilation 1", (28, 5, 1, 2, 1)),
        Case("2x2 max-pooling: n=28, k=2, stride 2, padding 0, dilation 1", (28, 2, 2, 0, 1)),
        Case("the worked example: n=5, k=3, stride 1, padding 0, dilation 1", (5, 3, 1, 0, 1)),
        Case("the worked example with stride 2 and padding 1: n=5, k=3, dilation 1", (5, 3, 2, 1, 1)),
        Case("a stride that leaves a remainder: n=8, k=3, stride 3, padding 0, dilation 1", (8, 3, 3, 0, 1)),
        Case("a 3-entry window with dilation 2 (it reads entries 0, 2, 4): n=7, k=3, stride 1, padding 0",
             (7, 3, 1, 0, 2)),
        Case("'same' padding for a 3x3 filter with dilation 2: n=28, k=3, stride 1, padding 2", (28, 3, 1, 2, 2)),
        Case("n=10, k=4, stride 3, padding 1, dilation 2", (10, 4, 3, 1, 2)),
        Case("n=20, k=3, stride 2, padding 0, dilation 3", (20, 3, 2, 0, 3)),
        Case("a dilated window as large as the input: n=9, k=5, stride 1, padding 0, dilation 2", (9, 5, 1, 0, 2)),
    ]


def _span(k, d):
    return d * (k - 1) + 1


OUTPUT_SIZE_MISTAKES = [
    (lambda n, k, s, p, d: (n + 2 * p - k) // s + 1,
     "the dilation is missing: a window of k entries, dilation apart, covers dilation * (k - 1) + 1 entries of "
     "the input, and that span is what must fit"),
    (lambda n, k, s, p, d: (n + 2 * p - d * k) // s + 1,
     "a window of k entries has k - 1 gaps between them, not k: it spans dilation * (k - 1) + 1 entries"),
    (lambda n, k, s, p, d: (n + 2 * p - d * (k - 1)) // s + 1,
     "dilation * (k - 1) counts the gaps; the span is one entry more, dilation * (k - 1) + 1 (for dilation 1 "
     "it must be k)"),
    (lambda n, k, s, p, d: (n + 2 * p - k) // (s * d) + 1,
     "dilation spreads the window's entries apart; it does not change the stride: subtract the window's span, "
     "dilation * (k - 1) + 1, then divide by the stride"),
    (lambda n, k, s, p, d: (n + 2 * p - _span(k, d)) // s,
     "count the first position too: (n + 2p - span) // stride counts the steps between positions, and there is "
     "one more position than steps: + 1, outside the division"),
    (lambda n, k, s, p, d: (n + 2 * p - _span(k, d) + 1) // s,
     "count the first position too: (n + 2p - span) // stride counts the steps between positions, and there is "
     "one more position than steps: + 1, outside the division"),
    (lambda n, k, s, p, d: (n + p - _span(k, d)) // s + 1,
     "padding is added on both sides: the padded input has n + 2 * padding entries"),
    (lambda n, k, s, p, d: (n - _span(k, d)) // s + 1,
     "the padding is missing: the window slides over the padded input of n + 2 * padding entries"),
    (lambda n, k, s, p, d: (n - 2 * p - _span(k, d)) // s + 1,
     "padding adds entries: the padded input has n + 2 * padding of them, not n - 2 * padding"),
    (lambda n, k, s, p, d: -(-(n + 2 * p - _span(k, d)) // s) + 1,
     "round down, not up: a window that would stick out past the padded edge is not used"),
    (lambda n, k, s, p, d: n + 2 * p - _span(k, d) + 1,
     "the stride is missing: moving by `stride` pixels divides the number of steps, (n + 2p - span) // stride + 1"),
    (lambda n, k, s, p, d: (n + 2 * p) // s + 1,
     "subtract the window's span: the last window must still fit, so its start is at most n + 2p - span"),
    (lambda n, k, s, p, d: (n + 2 * p - _span(k, d)) // s - 1,
     "+ 1, not - 1: there is one more position than there are steps between positions"),
]


def diagnose_output_size(args, got, expected, error=None, answers=None):
    """Name the likely output-size mistake: true division, a missing + 1 or padding term, rounding up, ...
    answers: {case arguments: the student's answer} for every case, when known; a formula that matches all
    of them is a surer diagnosis than one that happens to match the failing case."""
    if error is not None:
        return None
    if isinstance(got, (float, np.floating)):
        if float(got).is_integer() and int(got) == expected:
            return ("the answer is right but a float: use floor division // so that it is a whole number (a "
                    "number of positions)")
        return "use floor division //: a / b gives fractions, and there is no fraction of a window position"
    if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
        return None
    matching = [(mistake, hint) for mistake, hint in OUTPUT_SIZE_MISTAKES if got == mistake(*args) != expected]
    for mistake, hint in matching:
        if answers and all(answer == mistake(*case) for case, answer in answers.items()):
            return hint
    return matching[0][1] if matching else None


def check_output_size(student_fn):
    """Check output_size(n, k, stride, padding, dilation) -> int on 10 cases."""
    cases = output_size_cases()

    def diagnose(args, got, expected, error=None):
        answers = {case.args: attempt(student_fn, case.args).value for case in cases}
        return diagnose_output_size(args, got, expected, error, answers)

    # nnlib's output_size(n, span, stride, padding) is allowed: the exercise is finding the dilated window's span
    return check_function("output_size", student_fn, cases, reference_output_size, diagnose)


# -- conv2d by loops ------------------------------------------------------------------------------------

def reference_conv2d(X, K, b, stride=1, padding=0):
    """nnlib's conv2d_forward in float64: out (m, F, H_out, W_out)."""
    return conv2d_forward(np.asarray(X, dtype=np.float64), np.asarray(K, dtype=np.float64),
                          np.asarray(b, dtype=np.float64), stride, padding)[0]


def _bar_example():
    X = np.zeros((1, 1, 5, 5))
    X[0, 0, 1:4, 2] = 1.0
    K = np.array([[[[1.0, 0.0, -1.0]] * 3]])
    return X, K, np.array([0.0])


def conv2d_cases():
    """(X, K, b, stride, padding) cases: the worked example, padding, strides, channels, biases, rectangles."""
    rng = np.random.default_rng(11)
    bar, edge, zero = _bar_example()
    return [
        Case("the worked example: the 5x5 bar and the 3x3 vertical-edge filter, stride 1, no padding",
             (bar, edge, zero, 1, 0)),
        Case("the worked example with padding 1 (a 5x5 output)", (bar, edge, zero, 1, 1)),
        Case("the worked example with stride 2 (a 2x2 output)", (bar, edge, zero, 2, 0)),
        Case("stride 2 and padding 2 on a random 7x7 image",
             (rng.standard_normal((1, 1, 7, 7)), rng.standard_normal((2, 1, 3, 3)), rng.standard_normal(2), 2, 2)),
        Case("3 filters with biases [0.5, -1, 2] on a random 6x6 image",
             (rng.standard_normal((1, 1, 6, 6)), rng.standard_normal((3, 1, 3, 3)), np.array([0.5, -1.0, 2.0]),
              1, 0)),
        Case("2 examples with 2 input channels: each filter sums over both channels",
             (rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3), 1, 1)),
        Case("a rectangular 2x3 filter (kh=2 rows, kw=3 columns) on a 5x7 image",
             (rng.standard_normal((1, 1, 5, 7)), rng.standard_normal((2, 1, 2, 3)), np.zeros(2), 1, 0)),
        Case("stride 3 on an 8x8 image: the windows do not reach the last columns",
             (rng.standard_normal((1, 2, 8, 8)), rng.standard_normal((2, 2, 3, 3)), rng.standard_normal(2), 3, 0)),
        Case("an integer image (dtype int64) with a float filter",
             (rng.integers(0, 5, (1, 1, 4, 4)), rng.standard_normal((1, 1, 2, 2)), np.array([0.25]), 1, 0)),
        Case("a 1x1 filter: a weighted sum of the 3 channels at every pixel, stride 2",
             (rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 3, 1, 1)), rng.standard_normal(2), 2, 0)),
    ]


def _padded_one_side(X, K, b, stride, padding):
    X = np.pad(np.asarray(X, dtype=np.float64), ((0, 0), (0, 0), (padding, 0), (padding, 0)))
    return reference_conv2d(X, K, b, stride, 0)


def _windows_not_strided(X, K, b, stride, padding):
    """Windows starting at (y, x) instead of (stride y, stride x), on the output grid of the right size."""
    full = reference_conv2d(X, K, b, 1, padding)
    shape = reference_conv2d(X, K, b, stride, padding).shape
    return full[:, :, :shape[2], :shape[3]]


def conv2d_mistakes(X, K, b, stride, padding):
    """(the result of one typical mistake, the hint naming it), most telling first."""
    X, K, b = (np.asarray(a, dtype=np.float64) for a in (X, K, b))
    right = reference_conv2d(X, K, b, stride, padding)
    C, size = K.shape[1], K[0].size
    bias = b[None, :, None, None]
    return [
        (reference_conv2d(X, K[:, :, ::-1, ::-1], b, stride, padding),
         "the filter is flipped: that is convolution as mathematicians define it; deep-learning 'convolution' "
         "(cross-correlation) multiplies the window by K[f] as it is, entry (u, v) with entry (u, v)"),
        (right - bias, "the bias is missing: add b[f] to every output value of filter f"),
        (right + (C - 1) * bias, "the bias was added once per input channel: add b[f] once per output value, "
                                 "after summing over the window and all channels"),
        ((right - bias) / size + bias, "sum the products over the window, don't average them (np.sum, not np.mean)"),
        (reference_conv2d(X, K, b, stride, 0), "the padding is missing: pad X with `padding` zeros on all four "
                                               "sides first (np.pad on the last two axes)"),
        (_padded_one_side(X, K, b, stride, padding),
         "pad on both sides: `padding` zeros above AND below, left AND right, i.e. ((p, p), (p, p)) for the "
         "last two axes"),
        (reference_conv2d(X, K, b, 1, padding), "the stride is missing: the output has (H + 2p - kh) // stride + 1 "
                                                "rows, and the window of output (y, x) starts at (stride*y, stride*x)"),
        (_windows_not_strided(X, K, b, stride, padding),
         "the window of output (y, x) starts at row stride*y and column stride*x, not at (y, x)"),
        (right[:, :, :-1, :-1], "the output is one row and one column short: H_out = (H + 2p - kh) // stride + 1, "
                                "with the + 1"),
        (reference_conv2d(X[:, :1], K[:, :1], b, stride, padding) if C > 1 else None,
         "a filter sees every input channel: sum over the channels c as well as over the window"),
        (right.transpose(0, 2, 3, 1), "return the shape (m, F, H_out, W_out): examples, filters, rows, columns"),
        (right.transpose(1, 0, 2, 3), "return the shape (m, F, H_out, W_out): the examples come first"),
    ]


def diagnose_conv2d(args, got, expected, error=None):
    """Name the likely conv2d mistake by recomputing the typical ones and comparing."""
    X, K, b, stride, padding = args
    if error is not None:
        message = str(error)
        if isinstance(error, ValueError) and "broadcast" in message:
            return ("the window and the filter have different shapes: take kh rows (K.shape[2]) and kw columns "
                    "(K.shape[3]), window = X_pad[i, :, stride*y:stride*y + kh, stride*x:stride*x + kw]")
        if isinstance(error, IndexError):
            return ("an index ran past the input: H_out = (H + 2p - kh) // stride + 1 rows, and the window of "
                    "output (y, x) starts at (stride*y, stride*x) in the padded input")
        return None
    if isinstance(got, tuple):
        return "return only the output array, not a tuple (nnlib's conv2d_forward also returns a cache; yours need not)"
    if isinstance(got, np.ndarray) and np.issubdtype(got.dtype, np.integer):
        return ("the output holds integers: products with the filter have fractions; create the output with "
                "np.zeros(...), which is float")
    if (isinstance(got, np.ndarray) and K.shape[2] != K.shape[3]
            and _close(got, reference_conv2d(X, K.transpose(0, 1, 3, 2), b, stride, padding))):
        return "height and width are swapped: K has shape (F, C, kh, kw), rows before columns"
    for candidate, hint in conv2d_mistakes(X, K, b, stride, padding):
        if candidate is not None and _close(got, candidate) and not _close(got, expected):
            return hint
    return None


def check_conv2d(student_fn):
    """Check conv2d(X, K, b, stride, padding) -> out (m, F, H_out, W_out) on 10 cases."""
    # float32 sums of a few dozen products are exact to about 1e-6: such a float32 answer is right too
    return check_function("conv2d", student_fn, conv2d_cases(), reference_conv2d, diagnose_conv2d,
                          rtol=1e-5, atol=1e-5, arg_names=["X", "K", "b"], forbidden=CONV2D_ANSWERS,
                          forbidden_advice="write the loops yourself: pad X, then for every output position "
                                           "take the window, multiply by each filter and add the bias")


# -- the backward pass of max-pooling -------------------------------------------------------------------

def reference_maxpool_backward(dout, X, size, stride):
    """nnlib's maxpool_backward_naive: dout goes to the first largest entry of each window."""
    return maxpool_backward_naive(np.asarray(dout, dtype=np.float64), (np.asarray(X), size, stride))


def _distinct(rng, shape):
    """Random values without ties (a permutation), so every window has one largest entry."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 10.0 - 1.0


def maxpool_backward_cases():
    """(dout, X, size, stride) cases: by hand, overlapping windows, uncovered borders, ties, negative inputs."""
    rng = np.random.default_rng(12)
    by_hand = np.array([[[[1.0, 2.0, 0.0, 6.0], [3.0, 4.0, 5.0, 0.0], [9.0, 7.0, 1.0, 2.0],
                          [0.0, 8.0, 3.0, 4.0]]]])
    ties = np.array([[[[1.0, 5.0, 2.0, 2.0], [5.0, 0.0, 2.0, 2.0]]]])
    return [
        Case("by hand: a 4x4 map, 2x2 windows, stride 2, dout [[10, 20], [30, 40]]",
             (np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), by_hand, 2, 2)),
        Case("2 examples, 3 channels, 6x6 maps, 2x2 windows, stride 2",
             (rng.standard_normal((2, 3, 3, 3)), _distinct(rng, (2, 3, 6, 6)), 2, 2)),
        Case("overlapping 3x3 windows with stride 2 on a 7x7 map: an input can win two windows",
             (rng.standard_normal((1, 2, 3, 3)), _distinct(rng, (1, 2, 7, 7)), 3, 2)),
        Case("2x2 windows with stride 1: neighbouring windows share inputs",
             (rng.standard_normal((2, 1, 4, 4)), _distinct(rng, (2, 1, 5, 5)), 2, 1)),
        Case("a 5x5 map with 2x2 windows, stride 2: the last row and column are in no window",
             (rng.standard_normal((1, 1, 2, 2)), _distinct(rng, (1, 1, 5, 5)), 2, 2)),
        Case("every value negative (a maximum can be below 0)",
             (rng.standard_normal((1, 2, 2, 2)), -1.0 - rng.random((1, 2, 4, 4)), 2, 2)),
        Case("ties: a window holding its maximum twice sends dout to the first in reading order",
             (np.array([[[[3.0, 7.0]]]]), ties, 2, 2)),
        Case("an integer feature map (dtype int64) and a fractional dout",
             (np.array([[[[0.25, -1.5]]]]), np.array([[[[1, 4, 2, 0], [3, 2, 9, 8]]]]), 2, 2)),
        Case("one 3x3 window over a 3x3 map, stride 3",
             (np.array([[[[2.5]]]]), _distinct(rng, (1, 1, 3, 3)), 3, 3)),
    ]


def _pool_loops(dout, X, size, stride, route):
    """Max-pool backward by loops; route(window, g) says how the window's gradient g is spread over it
    (returns an array shaped like the window) and `add` whether windows add up or overwrite."""
    X, dout = np.asarray(X, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    dX = np.zeros(X.shape)
    m, C, H_out, W_out = dout.shape
    for i in range(m):
        for c in range(C):
            for y in range(H_out):
                for x in range(W_out):
                    rows, cols = slice(y * stride, y * stride + size), slice(x * stride, x * stride + size)
                    route(dX[i, c, rows, cols], X[i, c, rows, cols], dout[i, c, y, x])
    return dX


def _first(window):
    return np.unravel_index(np.argmax(window), window.shape)


def _last(window):
    flat = window.ravel()
    return np.unravel_index(flat.size - 1 - np.argmax(flat[::-1]), window.shape)


def _add_at(position):
    def route(target, window, g):
        target[position(window)] += g
    return route


def _assign_at(target, window, g):
    target[_first(window)] = g


def _all_ties(target, window, g):
    target += g * (window == window.max())


def _everywhere(target, window, g):
    target += g


def _average(target, window, g):
    target += g / window.size


def _one(target, window, g):
    target[_first(window)] += 1.0


def _transposed(target, window, g):
    u, v = _first(window)
    if v < target.shape[0] and u < target.shape[1]:
        target[v, u] += g


MAXPOOL_MISTAKES = [
    (_everywhere, "only the largest entry of each window affected the output: it gets dout, every other input "
                  "of the window gets 0"),
    (_average, "that is the gradient of average pooling (dout / size**2 to every input); max-pooling sends all "
               "of dout to the window's largest entry"),
    (_all_ties, "when a window holds its maximum twice, send dout to one of them only (the first in reading "
                "order, as np.argmax picks it): the output moved by dout once, not twice"),
    (_add_at(_last), "ties go to the FIRST largest entry in reading order (row by row), the one np.argmax "
                     "returns; yours sent dout to the last"),
    (_assign_at, "windows overlap when stride < size: an input that wins two windows collects both gradients, "
                 "so add (+=) instead of assigning (=)"),
    (_one, "multiply by dout: the winner of window (y, x) receives dout[i, c, y, x], not 1"),
    (_transposed, "row and column are swapped: np.unravel_index(np.argmax(window), window.shape) gives (row, "
                  "column) = (u, v), so the input is at (stride*y + u, stride*x + v)"),
]


def diagnose_maxpool_backward(args, got, expected, error=None):
    """Name the likely max-pool backward mistake by recomputing the typical ones and comparing."""
    dout, X, size, stride = args
    if error is not None:
        if isinstance(error, (IndexError, ValueError)):
            return ("an index or shape went wrong: the window of output (y, x) covers rows stride*y to "
                    "stride*y + size and columns stride*x to stride*x + size of X")
        return None
    if not isinstance(got, np.ndarray):
        return None
    if got.shape == np.shape(dout) and got.shape != np.shape(X):
        return "dX has the shape of X (the pooling's input), not of dout: one gradient per input entry"
    if np.issubdtype(got.dtype, np.integer):
        return ("dX holds integers, so the fractions of dout were cut off: create it as floats, "
                "np.zeros(X.shape) (np.zeros_like(X) copies X's integer dtype)")
    for route, hint in MAXPOOL_MISTAKES:
        if _close(got, _pool_loops(dout, X, size, stride, route)) and not _close(got, expected):
            return hint
    if stride != size and _close(got, _pool_loops(dout, X, size, size, _add_at(_first))):
        return ("the stride is not the window size here: the window of output (y, x) starts at (stride*y, "
                "stride*x)")
    return None


def check_maxpool_backward(student_fn):
    """Check maxpool_backward(dout, X, size, stride) -> dX (shape of X) on 9 cases."""
    return check_function("maxpool_backward", student_fn, maxpool_backward_cases(), reference_maxpool_backward,
                          diagnose_maxpool_backward, arg_names=["dout", "X"], forbidden=MAXPOOL_ANSWERS,
                          forbidden_advice="write the loops yourself: send each dout entry to the position of "
                                           "its window's largest X")
