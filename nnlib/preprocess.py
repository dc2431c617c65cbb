"""Turn any picture of a digit into a 28x28 image prepared the way MNIST's were.

MNIST's recipe (LeCun et al.): the digit was scaled to fit a 20x20 box keeping its aspect ratio, then placed
in a 28x28 field so that its centre of mass sits at the centre. In the test set the centre of mass lies at
row 14.0, column 14.0 (0-based pixel indices) to within half a pixel, so we shift by whole pixels to (14, 14).
MNIST digits are bright ink (1.0) on a dark background (0.0); photos and drawings are usually the opposite,
so a light background is detected and inverted. Ink is what stands out from the paper: the paper's level and
its noise are measured on the image's border, so grey paper, or a page of noise, is not mistaken for a digit.

Image files are read in bounded memory: their pixel count is checked from the header before anything is
decoded (a small PNG can declare gigapixels: a decompression bomb), and large images are reduced while
decoding or right after, before any conversion to floats.
"""
import struct
import warnings
from pathlib import Path

import numpy as np

INK_THRESHOLD = 0.05   # ink must stand out from the paper by more than this (after scaling to [0, 1], ink bright)
NOISE_MARGIN = 5       # ... and by more than this many times the paper's own noise
MAX_PIXELS = 50_000_000  # larger image files are refused before decoding (8000 x 6000 is 48 million)
WORKING_SIZE = 1024    # larger images are reduced to about this longer side before anything else
BOX, FIELD, CENTRE = 20, 28, 14.0


def to_mnist_format(image, invert=None):
    """A 2-D grayscale image of any size -> (28, 28) float64 in [0, 1], bright digit on black, MNIST-style.

    image: values in [0, 1] or [0, 255]. invert: True for dark ink on a light background, False for bright
    ink on dark, None to decide from the paper (the border's median): the ink is what lies
    further from it, darker (then inverted) or brighter.
    Steps: crop to the ink, scale the longer side to 20 pixels keeping the aspect ratio, place in 28x28 with
    the centre of mass at (14, 14). Ink is a pixel brighter than the paper (the border's median p) by more than
    INK_THRESHOLD and NOISE_MARGIN times the border's noise; the paper then becomes 0: x -> (x - p) / (1 - p).
    Raises ValueError for a blank image (no ink stands out from the paper) or one that is not 2-D.
    """
    pixels = _as_unit_grayscale(image)
    paper, noise = _paper_level(pixels)
    if invert is None:  # the ink is on the side of the paper that reaches further: darker or brighter
        invert = paper - pixels.min() > pixels.max() - paper
    if invert:
        pixels, paper = 1.0 - pixels, 1.0 - paper
    rows, cols = np.nonzero(pixels > paper + max(INK_THRESHOLD, NOISE_MARGIN * noise))
    if rows.size == 0:
        raise ValueError("the image is blank: no ink found (no pixel stands out from the paper). Draw or load "
                         "a digit first; if the digit is light on dark, pass invert=False")
    if paper > 0:  # grey paper becomes MNIST's black background
        pixels = np.clip((pixels - paper) / (1.0 - paper), 0.0, 1.0)
    digit = pixels[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    return _centre_by_mass(_fit_in_box(digit))


def _paper_level(pixels):
    """(level, noise) of the paper, from the border: its median and its robust spread (1.4826 x the median
    absolute deviation, which is the standard deviation for Gaussian noise; ink touching the edge barely moves it)."""
    border = _border(pixels)
    level = float(np.median(border))
    return level, 1.4826 * float(np.median(np.abs(border - level)))


def _as_unit_grayscale(image):
    if isinstance(image, np.ndarray) and image.dtype == np.uint16:  # 16-bit pixels: 0..65535
        image = image / 65535.0
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
    """Read an image file (PNG, JPEG, TIFF, ...) as a 2-D grayscale float array in [0, 1], upright (EXIF
    orientation applied), at most about WORKING_SIZE pixels on a side. Transparent pixels count as white paper;
    16-bit images are scaled by 65535 and float images taken as [0, 1] (or [0, 255]). Raises FileNotFoundError,
    or ValueError for a non-image or an image of more than MAX_PIXELS pixels (refused before decoding)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder, not an image file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                _check_pixel_count(path, *picture.size)  # from the header: nothing is decoded yet
                picture.draft("L", (WORKING_SIZE, WORKING_SIZE))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
                return _unit_grayscale_of(path, ImageOps.exif_transpose(picture))
    except _ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _ImageRefused(f"{path}: refused as a possible decompression bomb: {error}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error) as error:
        raise ValueError(f"{path}: not an image file Pillow can read (PNG, JPEG, BMP, ...): {error}") from None


class _ImageRefused(ValueError):
    """An image file that was read but refused; its message is final."""


def _check_pixel_count(path, width, height):
    if width * height > MAX_PIXELS:
        raise _ImageRefused(f"{path}: the image is {width} x {height} = {width * height:,} pixels, more than "
                            f"nnlib reads ({MAX_PIXELS:,}; a small file declaring that many is a decompression "
                            f"bomb); scale it down first")


def _unit_grayscale_of(path, picture):
    """A decoded Pillow image -> 2-D float64 in [0, 1]: reduced to about WORKING_SIZE first, then gray."""
    from PIL import Image

    if picture.mode.startswith("I;16"):
        picture = picture.convert("I")  # same values, in a mode that can be resized
    elif picture.mode in ("I", "F"):
        pass  # high bit depths: scaled by _unit_scale, never squeezed through 8 bits
    elif picture.mode == "1" or picture.mode == "P" and "transparency" not in picture.info:
        picture = picture.convert("L")
    elif picture.mode in ("P", "PA") or "transparency" in picture.info:
        picture = picture.convert("RGBA")
    elif picture.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
        picture = picture.convert("RGB")  # CMYK, YCbCr, LAB, HSV, ...
    factor = -(-max(picture.size) // WORKING_SIZE)
    if factor > 1:
        picture = picture.reduce(factor)  # a box filter: each output pixel averages factor x factor inputs
    if picture.mode in ("I", "F"):
        return _unit_scale(path, np.asarray(picture, dtype=np.float64), picture.mode)
    if picture.mode in ("RGBA", "LA"):
        picture = picture.convert("RGBA")
        picture = Image.alpha_composite(Image.new("RGBA", picture.size, "white"), picture)
    return np.asarray(picture.convert("L"), dtype=np.float64) / 255.0


def _unit_scale(path, values, mode):
    """Integer (16-bit) or float pixels -> [0, 1]. Integers up to 255 are 8-bit, up to 65535 16-bit; floats
    are taken as [0, 1], or [0, 255] if they exceed 1."""
    if not np.isfinite(values).all():
        raise _ImageRefused(f"{path}: the image holds nan or infinite pixel values")
    low, high = values.min(), values.max()
    for limit in (1.0, 255.0, 65535.0) if mode == "F" else (255.0, 65535.0):
        if low >= 0 and high <= limit:
            return values / limit
    raise _ImageRefused(f"{path}: pixel values range from {low:g} to {high:g}; nnlib reads {mode} images with "
                        f"values in [0, 1], [0, 255] or [0, 65535]")
