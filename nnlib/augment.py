"""Data augmentation for 28x28 digits: shifts, rotations, scaling and elastic distortions, vectorized
over the batch and seeded, fast enough to draw fresh distortions for every batch of every epoch.

Shapes (batch first, as everywhere in nnlib): images come and go as rows X of shape (m, 784) and are
viewed as (m, 28, 28) inside. Every transform is a backward map: output pixel (i, j) (row i, column j)
reads the input at a source position (i + d_row, j + d_col), with bilinear interpolation between the four
neighbouring pixels and zeros outside the image. A shift, a rotation and an elastic distortion only differ
in how they compute the displacement field d, so they are combined and resampled once (one blur, not three).

    shift(X, dx, dy)                    move every image dx pixels right and dy pixels down
    rotate(X, degrees)                  rotate counter-clockwise (as displayed) about the image centre
    affine(X, degrees, scale, dx, dy)   all three; each argument a number or one value per image (m,)
    elastic(X, rng, alpha, sigma)       Simard, Steinkraus & Platt (2003) elastic distortion
    Augmentation(...)(X, rng)           random affine + elastic, the callable that train(augment=...) takes

The input is never changed and the result keeps the input's floating dtype.
"""
from dataclasses import dataclass

import numpy as np

SIDE = 28  # MNIST images are SIDE x SIDE = 784 pixels


# -- checking the input ----------------------------------------------------------------------------------

def _as_images(X):
    """X (m, 784) as a float array viewed as (m, 28, 28), or a ValueError that says what is wrong."""
    X = np.asarray(X)
    if X.ndim == 3 and X.shape[1:] == (SIDE, SIDE):
        raise ValueError(f"X has shape {X.shape} (images as 2-D arrays); augmentation takes rows of "
                         f"{SIDE * SIDE} pixels like the rest of nnlib: pass X.reshape(len(X), -1)")
    if X.ndim != 2 or X.shape[1] != SIDE * SIDE:
        raise ValueError(f"X must have shape (m, {SIDE * SIDE}): one {SIDE}x{SIDE} image per row, "
                         f"got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.floating):
        raise ValueError(f"X must hold floating-point pixels (e.g. load_mnist's x / 255), got dtype {X.dtype}; "
                         f"convert with X.astype(np.float32)")
    return X.reshape(len(X), SIDE, SIDE)


def _per_image(value, m, name):
    """A number or an (m,) array -> an (m,) float64 array, or a ValueError naming the argument."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or one number per image, got {value!r}") from None
    if array.ndim == 0:
        array = np.full(m, float(array))
    if array.shape != (m,):
        raise ValueError(f"{name} must be a number or one value per image, shape ({m},); got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite numbers, got {value!r}")
    return array


def _check_generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a NumPy Generator, e.g. np.random.default_rng(0), got {type(rng).__name__}"
                        f" (a Generator makes the augmentation reproducible)")


# -- resampling -----------------------------------------------------------------------------------------

def resample(images, d_row, d_col):
    """Bilinear resampling: out[k, i, j] = images[k] read at (i + d_row[k, i, j], j + d_col[k, i, j]).

    images, d_row, d_col: (m, 28, 28). A source position (r, c) with r0 = floor(r), fr = r - r0 (and the
    same for c) reads (1-fr)(1-fc) I[r0, c0] + (1-fr) fc I[r0, c0+1] + fr (1-fc) I[r0+1, c0] + fr fc I[r0+1, c0+1],
    with I = 0 outside the image. A zero displacement copies the images exactly. Returns (m, 28, 28) in
    the images' dtype.
    """
    m, dtype = len(images), images.dtype
    grid = np.arange(SIDE, dtype=dtype)  # coordinates in the images' dtype: float32 is exact enough for 0..27
    # Clipping to [-1, SIDE] changes nothing: beyond it all four neighbours are outside (zero) anyway.
    rows = np.clip(grid[None, :, None] + d_row.astype(dtype), -1, SIDE)
    cols = np.clip(grid[None, None, :] + d_col.astype(dtype), -1, SIDE)
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = rows - r0, cols - c0
    # A zero border (one before, two after) lets every clipped neighbour be read without a bounds check.
    width = SIDE + 3
    padded = np.zeros((m, width, width), dtype=dtype)
    padded[:, 1:SIDE + 1, 1:SIDE + 1] = images
    flat = padded.ravel()
    image_start = (np.arange(m) * width * width + width + 1)[:, None, None]
    top_left = (r0.astype(np.intp) * width + c0.astype(np.intp) + image_start).ravel()

    def read(offset):
        return flat.take(top_left + offset).reshape(m, SIDE, SIDE)

    top = read(0) * (1 - fc) + read(1) * fc
    bottom = read(width) * (1 - fc) + read(width + 1) * fc
    return top * (1 - fr) + bottom * fr


# -- displacement fields ------------------------------------------------------------------------------

def affine_displacement(m, degrees=0.0, scale=1.0, dx=0.0, dy=0.0):
    """Displacement fields (d_row, d_col), each (m, 28, 28), of a rotation, a scaling and a shift.

    With u = i - c, v = j - c the offsets of output pixel (i, j) from the centre c = 13.5, the source is
        row = c + (cos θ u + sin θ v) / s - dy,     col = c + (-sin θ u + cos θ v) / s - dx,
    which rotates the picture by θ = degrees counter-clockwise as displayed (θ = 90° is np.rot90), scales
    it by s (s > 1 enlarges) and moves it dx pixels right and dy pixels down. Each argument is a number
    or an array of one value per image, shape (m,).
    """
    theta = np.deg2rad(_per_image(degrees, m, "degrees"))
    s = _per_image(scale, m, "scale")
    if not (s > 0).all():
        raise ValueError(f"scale must be positive (1 keeps the size), got {scale!r}")
    dx, dy = _per_image(dx, m, "dx"), _per_image(dy, m, "dy")
    centre = (SIDE - 1) / 2
    u = (np.arange(SIDE) - centre)[None, :, None]
    v = (np.arange(SIDE) - centre)[None, None, :]
    cos, sin = (np.cos(theta) / s)[:, None, None], (np.sin(theta) / s)[:, None, None]
    d_row = centre + cos * u + sin * v - dy[:, None, None] - (u + centre)
    d_col = centre - sin * u + cos * v - dx[:, None, None] - (v + centre)
    return d_row, d_col


def gaussian_matrix(sigma, size=SIDE):
    """The (size, size) matrix G with G[i, k] = g(i - k), g the normalized Gaussian of width sigma
    (truncated at 4 sigma), so that G @ F @ G.T smooths every (size, size) field F in both directions:
    a separable Gaussian filter with zeros beyond the border. sigma = 0 gives the identity."""
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma is the width of the Gaussian in pixels and must be >= 0, got {sigma!r}")
    if sigma == 0:
        return np.eye(size)
    radius = int(np.ceil(4 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    distance = np.arange(size)[:, None] - np.arange(size)[None, :]
    return np.where(np.abs(distance) <= radius, taps[np.clip(distance + radius, 0, 2 * radius)], 0.0)


def elastic_displacement(m, rng, alpha=34.0, sigma=4.0):
    """Simard et al. (2003) displacement fields (d_row, d_col), each (m, 28, 28): uniform random numbers
    in [-1, 1] per pixel, smoothed by a Gaussian of width sigma (pixels), then scaled by alpha:
        d = alpha * G_sigma * U,   U ~ Uniform(-1, 1)^(28 x 28).
    A small sigma gives nearly independent (noisy) moves, a large sigma nearly a rigid shift; the paper
    uses sigma = 4 and alpha = 34 for MNIST."""
    _check_generator(rng)
    if not (np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha scales the displacements (pixels) and must be >= 0, got {alpha!r}")
    G = gaussian_matrix(sigma)
    fields = rng.uniform(-1.0, 1.0, size=(2, m, SIDE, SIDE))
    smoothed = alpha * (G @ fields @ G.T)  # matmul broadcasts over the (2, m) leading axes
    return smoothed[0], smoothed[1]


# -- the transforms -----------------------------------------------------------------------------------

def _apply(X, d_row, d_col):
    images = _as_images(X)
    return resample(images, d_row, d_col).reshape(len(images), -1)


def affine(X, degrees=0.0, scale=1.0, dx=0.0, dy=0.0):
    """Rotate every image of X (m, 784) by `degrees` counter-clockwise, scale it by `scale` about the
    centre and move it dx pixels right and dy down (see affine_displacement); bilinear, zeros outside.
    Each argument is a number or one value per image (m,). Returns a new (m, 784) array."""
    images = _as_images(X)
    return _apply(X, *affine_displacement(len(images), degrees, scale, dx, dy))


def shift(X, dx, dy):
    """Every image of X (m, 784) moved dx pixels right and dy pixels down; pixels moved in from outside are
    0. Whole-pixel shifts are exact copies; fractional ones interpolate. Returns a new (m, 784) array."""
    return affine(X, dx=dx, dy=dy)


def rotate(X, degrees):
    """Every image of X (m, 784) rotated counter-clockwise by `degrees` about its centre (90 is np.rot90 of
    each 28x28 image). Returns a new (m, 784) array."""
    return affine(X, degrees=degrees)


def elastic(X, rng, alpha=34.0, sigma=4.0):
    """Elastic distortion of every image of X (m, 784), a fresh random field per image (see
    elastic_displacement). alpha = 0 returns an exact copy. Returns a new (m, 784) array."""
    images = _as_images(X)
    return _apply(X, *elastic_displacement(len(images), rng, alpha, sigma))


@dataclass(frozen=True)
class Augmentation:
    """Random distortions for training, drawn per image: a rotation uniform in ±max_degrees, a scale
    uniform in 1 ± max_scale, a shift uniform in ±max_shift pixels along each axis, then an elastic
    distortion of strength alpha and width sigma (alpha = 0: none), all resampled once.

    Call it as augment(X, rng) with X (m, 784) and a np.random.Generator; train(..., augment=augment)
    does so for every batch. Returns a new (m, 784) array of X's dtype; X is not changed."""

    max_shift: float = 2.0
    max_degrees: float = 10.0
    max_scale: float = 0.1
    alpha: float = 0.0
    sigma: float = 4.0

    def __post_init__(self):
        for name in ("max_shift", "max_degrees", "max_scale", "alpha", "sigma"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value) and value >= 0):
                raise ValueError(f"Augmentation {name} must be a number >= 0 (0 turns it off), got {value!r}")
        if self.max_scale >= 1:
            raise ValueError(f"max_scale must be below 1 (scales are drawn from 1 ± max_scale), "
                             f"got {self.max_scale}")
        if self.alpha > 0 and self.sigma == 0:
            raise ValueError("an elastic distortion needs sigma > 0 (the smoothing width in pixels)")

    def __call__(self, X, rng):
        images = _as_images(X)
        _check_generator(rng)
        m = len(images)
        uniform = lambda limit: rng.uniform(-limit, limit, size=m) if limit else 0.0
        d_row, d_col = affine_displacement(m, degrees=uniform(self.max_degrees), scale=1 + uniform(self.max_scale),
                                           dx=uniform(self.max_shift), dy=uniform(self.max_shift))
        if self.alpha > 0:
            e_row, e_col = elastic_displacement(m, rng, self.alpha, self.sigma)
            d_row, d_col = d_row + e_row, d_col + e_col
        return resample(images, d_row, d_col).reshape(m, -1)
