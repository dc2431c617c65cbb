"""nnlib.augment: exact where the geometry is exact (zero strength, whole-pixel shifts, 90° rotations),
approximately ink-preserving where it interpolates, seeded, and strict about its input."""
import numpy as np
import pytest

from nnlib import augment
from nnlib.augment import Augmentation, affine, elastic, gaussian_matrix, resample, rotate, shift


def digits(m=6, seed=0, dtype=np.float64):
    """m random blobs of 'ink' well inside the 28x28 frame (a 4-pixel empty border), as (m, 784) rows."""
    rng = np.random.default_rng(seed)
    images = np.zeros((m, 28, 28), dtype=dtype)
    images[:, 6:22, 6:22] = rng.random((m, 16, 16)) ** 3
    return images.reshape(m, 784)


def square(m=1):
    """A 3x3 square of ones with its top-left corner at row 10, column 12."""
    images = np.zeros((m, 28, 28))
    images[:, 10:13, 12:15] = 1.0
    return images.reshape(m, 784)


def test_zero_strength_is_an_exact_copy():
    X = digits()
    assert np.array_equal(affine(X), X)
    assert np.array_equal(shift(X, 0, 0), X)
    assert np.array_equal(rotate(X, 0.0), X)
    assert np.array_equal(elastic(X, np.random.default_rng(0), alpha=0.0), X)
    nothing = Augmentation(max_shift=0, max_degrees=0, max_scale=0, alpha=0)
    assert np.array_equal(nothing(X, np.random.default_rng(0)), X)


@pytest.mark.parametrize("dx, dy, top, left", [(1, 0, 10, 13), (0, 1, 11, 12), (-2, 3, 13, 10)])
def test_a_whole_pixel_shift_moves_a_known_pattern_exactly(dx, dy, top, left):
    moved = shift(square(), dx, dy).reshape(28, 28)
    expected = np.zeros((28, 28))
    expected[top:top + 3, left:left + 3] = 1.0
    assert np.array_equal(moved, expected)


def test_a_shift_fills_with_zeros_and_does_not_wrap_around():
    X = np.ones((1, 784))
    moved = shift(X, 2, 0).reshape(28, 28)
    assert np.all(moved[:, :2] == 0) and np.all(moved[:, 2:] == 1)


def test_a_half_pixel_shift_interpolates_halfway():
    moved = shift(square(), 0.5, 0).reshape(28, 28)
    assert moved[11, 12] == pytest.approx(0.5) and moved[11, 13] == pytest.approx(1.0)
    assert moved[11, 15] == pytest.approx(0.5) and moved[11, 16] == 0


@pytest.mark.parametrize("degrees, k", [(90, 1), (180, 2), (-90, -1), (270, 3)])
def test_rotation_by_quarter_turns_matches_np_rot90(degrees, k):
    X = digits(3)
    rotated = rotate(X, degrees).reshape(-1, 28, 28)
    expected = np.rot90(X.reshape(-1, 28, 28), k=k, axes=(1, 2))
    np.testing.assert_allclose(rotated, expected, atol=1e-9)


def test_scale_two_doubles_the_distance_from_the_centre():
    X = np.zeros((1, 28, 28))
    X[0, 13:15, 13:15] = 1.0      # the 2x2 block at the centre 13.5 grows to 4x4
    grown = affine(X.reshape(1, -1), scale=2.0).reshape(28, 28)
    assert grown[12:16, 12:16].min() > 0.4 and grown.sum() == pytest.approx(4 * X.sum(), rel=0.05)


@pytest.mark.parametrize("transform", [
    lambda X, rng: rotate(X, 12.0),
    lambda X, rng: shift(X, 1.3, -0.7),
    lambda X, rng: affine(X, degrees=-8.0, dx=1.5, dy=0.5),
    lambda X, rng: Augmentation(max_shift=2, max_degrees=10, max_scale=0)(X, rng),
])
def test_rigid_moves_preserve_the_ink_of_every_image(transform):
    X = digits(20)
    out = transform(X, np.random.default_rng(1))
    ratio = out.sum(axis=1) / X.sum(axis=1)
    assert np.all(np.abs(ratio - 1) < 0.05), ratio
    assert out.min() >= 0 and out.max() <= X.max() + 1e-12  # bilinear weights are a convex combination


@pytest.mark.parametrize("transform", [
    lambda X, rng: elastic(X, rng, alpha=34.0, sigma=4.0),
    lambda X, rng: Augmentation(alpha=34)(X, rng),
])
def test_elastic_distortions_preserve_the_ink_on_average(transform):
    # A smooth random field stretches some regions and squeezes others, so one image can gain or lose
    # ink; over many images the changes cancel.
    X = digits(200)
    out = transform(X, np.random.default_rng(1))
    ratio = out.sum(axis=1) / X.sum(axis=1)
    assert abs(ratio.mean() - 1) < 0.03 and np.all(np.abs(ratio - 1) < 0.6), ratio
    assert out.min() >= 0 and out.max() <= X.max() + 1e-12


def test_elastic_distortion_moves_pixels_by_a_few_pixels_not_more():
    rng = np.random.default_rng(0)
    d_row, d_col = augment.elastic_displacement(200, rng, alpha=34.0, sigma=4.0)
    assert d_row.shape == d_col.shape == (200, 28, 28)
    size = np.hypot(d_row, d_col)
    assert 0.5 < np.median(size) < 3 and size.max() < 8
    # smooth: neighbouring pixels move almost together (a large sigma averages many random numbers)
    assert np.abs(np.diff(d_row, axis=2)).mean() < 0.2 * np.abs(d_row).mean()


def test_gaussian_matrix_smooths_and_preserves_constants_away_from_the_border():
    G = gaussian_matrix(2.0)
    assert G.shape == (28, 28) and np.allclose(G, G.T)
    assert G.sum(axis=1)[10:18] == pytest.approx(np.ones(8))
    assert np.array_equal(gaussian_matrix(0.0), np.eye(28))


def test_the_same_seed_gives_the_same_result_and_another_seed_a_different_one():
    X = digits()
    aug = Augmentation(alpha=34)
    first = aug(X, np.random.default_rng(5))
    assert np.array_equal(first, aug(X, np.random.default_rng(5)))
    assert not np.allclose(first, aug(X, np.random.default_rng(6)))
    assert np.array_equal(elastic(X, np.random.default_rng(2)), elastic(X, np.random.default_rng(2)))
    assert not np.allclose(elastic(X, np.random.default_rng(2)), elastic(X, np.random.default_rng(3)))


def test_each_image_gets_its_own_distortion():
    X = np.repeat(digits(1), 4, axis=0)
    out = Augmentation(alpha=34)(X, np.random.default_rng(0))
    assert not np.allclose(out[0], out[1]) and not np.allclose(out[2], out[3])


def test_the_input_is_not_changed():
    X = digits()
    before = X.copy()
    Augmentation(alpha=34)(X, np.random.default_rng(0))
    shift(X, 1, 1), rotate(X, 30), elastic(X, np.random.default_rng(0))
    assert np.array_equal(X, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_shape_are_preserved(dtype):
    X = digits(dtype=dtype)
    for out in (shift(X, 1, 0), rotate(X, 15), elastic(X, np.random.default_rng(0)),
                Augmentation(alpha=20)(X, np.random.default_rng(0))):
        assert out.dtype == dtype and out.shape == X.shape


def test_float32_agrees_with_float64():
    X = digits()
    aug = Augmentation(alpha=34)
    np.testing.assert_allclose(aug(X.astype(np.float32), np.random.default_rng(0)),
                               aug(X, np.random.default_rng(0)), atol=1e-4)


def test_per_image_parameters():
    X = np.repeat(square(), 2, axis=0)
    moved = shift(X, np.array([1, 0]), np.array([0, 1])).reshape(2, 28, 28)
    assert np.array_equal(moved[0], shift(square(), 1, 0).reshape(28, 28))
    assert np.array_equal(moved[1], shift(square(), 0, 1).reshape(28, 28))


def test_resample_reads_the_given_positions():
    images = np.arange(2 * 784, dtype=np.float64).reshape(2, 28, 28)
    d_row, d_col = np.zeros((2, 28, 28)), np.zeros((2, 28, 28))
    d_row[1, 5, 5], d_col[1, 5, 5] = 0.25, 2.0   # pixel (5, 5) of image 1 reads (5.25, 7)
    out = resample(images, d_row, d_col)
    assert out[1, 5, 5] == pytest.approx(0.75 * images[1, 5, 7] + 0.25 * images[1, 6, 7])
    assert out[0, 5, 5] == images[0, 5, 5]


@pytest.mark.parametrize("call, words", [
    (lambda: shift(np.zeros((2, 28, 28)), 1, 0), "X.reshape(len(X), -1)"),
    (lambda: shift(np.zeros((2, 785)), 1, 0), "shape (m, 784)"),
    (lambda: shift(np.zeros(784), 1, 0), "shape (m, 784)"),
    (lambda: shift(np.zeros((2, 784), dtype=np.uint8), 1, 0), "floating-point pixels"),
    (lambda: shift(np.zeros((2, 784)), np.array([1, 2, 3]), 0), "dx must be a number or one value per image"),
    (lambda: rotate(np.zeros((2, 784)), np.nan), "degrees must be finite"),
    (lambda: rotate(np.zeros((2, 784)), "ten"), "degrees must be a number"),
    (lambda: affine(np.zeros((2, 784)), scale=0.0), "scale must be positive"),
    (lambda: elastic(np.zeros((2, 784)), 0), "rng must be a NumPy Generator"),
    (lambda: elastic(np.zeros((2, 784)), np.random.default_rng(0), alpha=-1), "alpha"),
    (lambda: elastic(np.zeros((2, 784)), np.random.default_rng(0), sigma=-1), "sigma"),
    (lambda: Augmentation(max_shift=-1), "max_shift must be a number >= 0"),
    (lambda: Augmentation(max_scale=1.5), "max_scale must be below 1"),
    (lambda: Augmentation(alpha=30, sigma=0), "needs sigma > 0"),
    (lambda: Augmentation()(np.zeros((2, 784)), 42), "rng must be a NumPy Generator"),
])
def test_bad_arguments_get_clear_errors(call, words):
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    assert words in str(error.value)
