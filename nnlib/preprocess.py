"""Turn any picture of a digit into a 28x28 image prepared the way MNIST's were.

MNIST's recipe (LeCun et al.): the digit was scaled to fit a 20x20 box keeping its aspect ratio, then placed
in a 28x28 field so that its centre of mass sits at the centre. In the test set the centre of mass lies at
row 14.0, column 14.0 (0-based pixel indices) to within half a pixel, so we shift by whole pixels to (14, 14).
MNIST digits are bright ink (1.0) on a dark background (0.0); photos and drawings are usually the opposite,
so a light background is detected and inverted.
"""
from pathlib import Path

import numpy as np

INK_THRESHOLD = 0.05  # a pixel counts as ink above this (after scaling to [0, 1], ink bright)
BOX, FIELD, CENTRE = 20, 28, 14.0


def to_mnist_format(image, invert=None):
    """A 2-D grayscale image of any size -> (28, 28) float64 in [0, 1], bright digit on black, MNIST-style.

    image: values in [0, 1] or [0, 255]. invert: True for dark ink on a light background, False for bright
    ink on dark, None to decide from the border (a mostly light border means dark ink).
    Steps: crop to the ink, scale the longer side to 20 pixels keeping the aspect ratio, place in 28x28 with
    the centre of mass at (14, 14). Raises ValueError for a blank image or one that is not 2-D.
    """
    pixels = _as_unit_grayscale(image)
    if invert is None:
        invert = _border(pixels).mean() > 0.5
    if invert:
        pixels = 1.0 - pixels
    rows, cols = np.nonzero(pixels > INK_THRESHOLD)
    if rows.size == 0:
        raise ValueError("the image is blank: no ink found (every pixel is background). Draw or load a digit "
                         "first; if the digit is light on dark, pass invert=False")
    digit = pixels[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    return _centre_by_mass(_fit_in_box(digit))


def _as_unit_grayscale(image):
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image, got an array of shape {pixels.shape}; "
                         f"for colour images use load_image(), which converts to grayscale")
    if pixels.size == 0 or not np.isfinite(pixels).all():
        raise ValueError("the image is empty or contains nan/inf values")
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"pixel values must lie in [0, 1] or [0, 255], found {pixels.min():g} to {pixels.max():g}")
    return pixels / 255.0 if pixels.max() > 1.0 else pixels


def _border(pixels):
    return np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])


def _fit_in_box(digit):
    """Resize so the longer side is 20 pixels, keeping the aspect ratio (Lanczos resampling via Pillow)."""
    from PIL import Image

    height, width = digit.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)


def centre_of_mass(pixels):
    """(row, column) of the intensity-weighted mean pixel position. Raises ValueError for an image without ink."""
    total = pixels.sum()
    if total <= 0:
        raise ValueError("the image has no ink (all pixels are 0), so its centre of mass is undefined")
    rows, cols = np.indices(pixels.shape)
    return float((rows * pixels).sum() / total), float((cols * pixels).sum() / total)


def _centre_by_mass(digit):
    """Place digit (h, w <= 20) in a 28x28 field with its centre of mass as close to (14, 14) as whole pixels allow."""
    height, width = digit.shape
    row, col = centre_of_mass(digit)
    top = int(np.clip(round(CENTRE - row), 0, FIELD - height))
    left = int(np.clip(round(CENTRE - col), 0, FIELD - width))
    field = np.zeros((FIELD, FIELD))
    field[top:top + height, left:left + width] = digit
    return field


def load_image(path):
    """Read an image file (PNG, JPEG, ...) as a 2-D grayscale float array in [0, 1].
    Transparent pixels count as white paper. Raises FileNotFoundError or ValueError for a non-image."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    try:
        with Image.open(path) as picture:
            picture.load()
            if picture.mode in ("RGBA", "LA", "P"):
                picture = picture.convert("RGBA")
                paper = Image.new("RGBA", picture.size, "white")
                picture = Image.alpha_composite(paper, picture)
            gray = picture.convert("L")
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path}: not an image file Pillow can read (PNG, JPEG, BMP, ...): {error}") from None
    return np.asarray(gray, dtype=np.float64) / 255.0
