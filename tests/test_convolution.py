"""Convolution and max-pooling: by hand, naive against vectorized, and both against numerical gradients."""
import numpy as np
import pytest

from nnlib.convolution import (col2im, conv2d_backward, conv2d_backward_naive, conv2d_forward,
                               conv2d_forward_naive, im2col, maxpool_backward, maxpool_backward_naive,
                               maxpool_forward, maxpool_forward_naive, output_size)
from nnlib.gradcheck import numerical_gradient, rel_error

CONV = [(conv2d_forward_naive, conv2d_backward_naive), (conv2d_forward, conv2d_backward)]
POOL = [(maxpool_forward_naive, maxpool_backward_naive), (maxpool_forward, maxpool_backward)]
GEOMETRIES = [((2, 3, 7, 6), (4, 3, 3, 2), 1, 0), ((2, 3, 7, 6), (4, 3, 3, 2), 2, 1), ((1, 2, 9, 9), (3, 2, 4, 4), 3, 2),
              ((2, 1, 5, 5), (2, 1, 5, 5), 1, 2), ((2, 2, 8, 8), (3, 2, 3, 3), 2, 0)]


@pytest.mark.parametrize("forward", [f for f, _ in CONV])
def test_convolution_of_a_5x5_image_by_hand(forward):
    X = np.arange(25.0).reshape(1, 1, 5, 5)            # X[y, x] = 5y + x
    K = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])        # X[y, x] - X[y+1, x+1] = -6 everywhere
    out, _ = forward(X, K, np.array([0.5]))
    np.testing.assert_array_equal(out, np.full((1, 1, 4, 4), -5.5))
    out, _ = forward(X, K, np.array([0.0]), stride=2, padding=1)   # (5 + 2 - 2) // 2 + 1 = 3 rows and columns
    X_pad = np.pad(X[0, 0], 1)
    expected = [[X_pad[2 * y, 2 * x] - X_pad[2 * y + 1, 2 * x + 1] for x in range(3)] for y in range(3)]
    np.testing.assert_array_equal(out[0, 0], expected)


@pytest.mark.parametrize("shape, kh, kw, stride, padding", [((1, 1, 3, 3), 2, 2, 1, 0), ((2, 3, 7, 6), 3, 2, 2, 1),
                                                             ((1, 2, 9, 9), 4, 4, 3, 2)])
def test_col2im_is_the_transpose_of_im2col_and_adds_overlapping_windows(shape, kh, kw, stride, padding):
    rng = np.random.default_rng(0)
    X = rng.standard_normal(shape)
    columns = im2col(X, kh, kw, stride, padding)
    D = rng.standard_normal(columns.shape)
    back = col2im(D, shape, kh, kw, stride, padding)
    assert back.shape == shape
    assert np.isclose(np.sum(columns * D), np.sum(X * back))                 # <im2col(X), D> = <X, col2im(D)>
    coverage = col2im(np.ones_like(columns), shape, kh, kw, stride, padding)  # windows covering each input
    np.testing.assert_allclose(col2im(columns, shape, kh, kw, stride, padding), X * coverage)


def test_col2im_counts_the_windows_of_a_3x3_input_by_hand():
    coverage = col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 2)
    np.testing.assert_array_equal(coverage[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    with pytest.raises(ValueError, match=r"columns must have shape \(4, 4\)"):
        col2im(np.ones((4, 5)), (1, 1, 3, 3), 2, 2)


def test_im2col_puts_each_window_in_a_column_in_the_order_of_a_flattened_filter():
    X = np.arange(2 * 2 * 4 * 5.0).reshape(2, 2, 4, 5)
    columns = im2col(X, 3, 2, stride=2, padding=1)          # output 2 x 3 per example
    assert columns.shape == (2 * 3 * 2, 2 * 2 * 3)
    X_pad = np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(2):
        for y in range(2):
            for x in range(3):
                window = X_pad[i, :, 2 * y:2 * y + 3, 2 * x:2 * x + 2]
                np.testing.assert_array_equal(columns[:, i * 6 + y * 3 + x], window.ravel())
    with pytest.raises(ValueError, match=r"shape \(m, C, H, W\)"):
        im2col(X[0], 3, 3)
    with pytest.raises(ValueError, match="stride must be a whole number >= 1"):
        im2col(X, 3, 3, stride=0)


def test_output_size_formula_and_a_window_that_does_not_fit():
    assert output_size(28, 5, 1, 2) == 28 and output_size(28, 2, 2, 0) == 14 and output_size(7, 3, 2, 1) == 4
    with pytest.raises(ValueError, match="a window of 5 does not fit an input of 3 with padding 0"):
        output_size(3, 5, 1, 0)


@pytest.mark.parametrize("x_shape, k_shape, stride, padding", GEOMETRIES)
def test_vectorized_convolution_equals_the_naive_loops(x_shape, k_shape, stride, padding):
    rng = np.random.default_rng(0)
    X, K, b = rng.standard_normal(x_shape), rng.standard_normal(k_shape), rng.standard_normal(k_shape[0])
    naive, naive_cache = conv2d_forward_naive(X, K, b, stride, padding)
    fast, fast_cache = conv2d_forward(X, K, b, stride, padding)
    np.testing.assert_allclose(fast, naive, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(naive.shape)
    for ours, reference in zip(conv2d_backward(dout, fast_cache), conv2d_backward_naive(dout, naive_cache)):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("forward, backward", CONV)
@pytest.mark.parametrize("x_shape, k_shape, stride, padding", GEOMETRIES[1:3])
def test_convolution_gradients_match_numerical_ones(forward, backward, x_shape, k_shape, stride, padding):
    rng = np.random.default_rng(1)
    X, K, b = rng.standard_normal(x_shape), rng.standard_normal(k_shape), rng.standard_normal(k_shape[0])
    out, cache = forward(X, K, b, stride, padding)
    G = rng.standard_normal(out.shape)                   # the loss is sum(G * out)

    def loss():
        return float(np.sum(G * forward(X, K, b, stride, padding)[0]))

    for analytic, param in zip(backward(G, cache), (X, K, b)):
        assert analytic.shape == param.shape
        assert rel_error(analytic, numerical_gradient(loss, param)) < 1e-7


def test_the_first_layer_can_skip_the_input_gradient():
    rng = np.random.default_rng(2)
    X, K = rng.standard_normal((2, 1, 6, 6)), rng.standard_normal((3, 1, 3, 3))
    out, cache = conv2d_forward(X, K, np.zeros(3), padding=1)
    dX, dK, db = conv2d_backward(np.ones_like(out), cache, need_dX=False)
    assert dX is None
    np.testing.assert_allclose(dK, conv2d_backward(np.ones_like(out), cache)[1])


@pytest.mark.parametrize("forward, backward", POOL)
def test_max_pooling_by_hand_sends_the_gradient_to_the_winner(forward, backward):
    X = np.array([[[[1.0, 2.0, 0.0, 0.0], [3.0, 4.0, 0.0, 5.0], [9.0, 9.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]]])
    out, cache = forward(X)
    np.testing.assert_array_equal(out, [[[[4.0, 5.0], [9.0, 1.0]]]])
    dX = backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    # ties go to the first largest entry of the window (row by row): the 9 on the left, the top-left 1
    np.testing.assert_array_equal(dX, [[[[0, 0, 0, 0], [0, 10, 0, 20], [30, 0, 40, 0], [0, 0, 0, 0]]]])


@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (2, 2, 8, 8), (1, 1, 5, 9)])
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1), (2, 3), (3, 3)])
def test_vectorized_pooling_equals_the_naive_loops(shape, size, stride):
    rng = np.random.default_rng(3)
    X = rng.standard_normal(shape)
    naive, naive_cache = maxpool_forward_naive(X, size, stride)
    fast, fast_cache = maxpool_forward(X, size, stride)
    np.testing.assert_array_equal(fast, naive)
    dout = rng.standard_normal(naive.shape)
    np.testing.assert_allclose(maxpool_backward(dout, fast_cache), maxpool_backward_naive(dout, naive_cache))


@pytest.mark.parametrize("forward, backward", POOL)
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2)])
def test_pooling_gradients_match_numerical_ones(forward, backward, size, stride):
    rng = np.random.default_rng(4)
    X = rng.permutation(2 * 2 * 7 * 7).reshape(2, 2, 7, 7) / 10.0   # distinct values: no ties within h
    out, cache = forward(X, size, stride)
    G = rng.standard_normal(out.shape)
    analytic = backward(G, cache)
    assert rel_error(analytic, numerical_gradient(lambda: float(np.sum(G * forward(X, size, stride)[0])), X)) < 1e-7


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    X, K = rng.standard_normal((2, 2, 6, 6)).astype(np.float32), rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    out, cache = conv2d_forward(X, K, np.zeros(3, np.float32), padding=1)
    pooled, pool_cache = maxpool_forward(out)
    grads = [*conv2d_backward(np.ones_like(out), cache), maxpool_backward(np.ones_like(pooled), pool_cache)]
    assert {a.dtype for a in (out, pooled, *grads)} == {np.dtype(np.float32)}


@pytest.mark.parametrize("X, K, b, kwargs, message", [
    (np.ones((3, 28, 28)), np.ones((2, 1, 3, 3)), np.ones(2), {}, r"shape \(m, C, H, W\), got shape \(3, 28, 28\)"),
    (np.ones((1, 3, 8, 8)), np.ones((2, 1, 3, 3)), np.ones(2), {}, "C = 3 channels as in X"),
    (np.ones((1, 1, 8, 8)), np.ones((2, 1, 3, 3)), np.ones(3), {}, r"b must have shape \(2,\)"),
    (np.ones((1, 1, 8, 8)), np.ones((2, 1, 3, 3)), np.ones(2), {"stride": 0}, "stride must be a whole number >= 1"),
    (np.ones((1, 1, 8, 8)), np.ones((2, 1, 3, 3)), np.ones(2), {"padding": -1}, "padding must be a whole number >= 0"),
    (np.ones((1, 1, 2, 2)), np.ones((2, 1, 3, 3)), np.ones(2), {}, "a window of 3 does not fit an input of 2"),
])
@pytest.mark.parametrize("forward", [f for f, _ in CONV])
def test_bad_convolution_arguments_say_what_is_wrong(forward, X, K, b, kwargs, message):
    with pytest.raises(ValueError, match=message):
        forward(X, K, b, **kwargs)


@pytest.mark.parametrize("forward", [f for f, _ in POOL])
def test_bad_pooling_arguments_say_what_is_wrong(forward):
    with pytest.raises(ValueError, match=r"shape \(m, C, H, W\)"):
        forward(np.ones((4, 4)))
    with pytest.raises(ValueError, match="pooling size must be a whole number >= 1"):
        forward(np.ones((1, 1, 4, 4)), size=0)
