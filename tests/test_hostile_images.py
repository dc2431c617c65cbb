"""Images on hostile and unusual input: decompression bombs refused before decoding, large images reduced
before they become floats, 16-bit and float pixels scaled (not clipped), EXIF orientation honoured, and ink
told from paper relative to the paper, so blank grey paper or noise is not "predicted" as a digit."""
import numpy as np
import pytest
from PIL import Image

from hostile_tools import PEAK_KB_SOURCE, run_limited
from nnlib.preprocess import load_image, to_mnist_format


def seven(size=120, paper=1.0, ink=0.0):
    """A '7' (a bar and a diagonal) on paper of the given level, as floats in [0, 1]."""
    image = np.full((size, size), paper)
    s = size / 120
    image[int(20 * s):int(32 * s), int(30 * s):int(90 * s)] = ink
    for row in range(int(32 * s), int(100 * s)):
        col = int(90 * s - (row - 32 * s) * 0.5)
        image[row, max(col - int(12 * s), 0):col] = ink
    return image


def png(path, pixels, mode="L"):
    Image.fromarray(pixels, mode=None if mode == "L" else mode).save(path)
    return path


# -- decompression bombs and large images ----------------------------------------------------------------

@pytest.mark.parametrize("side, message", [
    (16384, "refused as a possible decompression bomb: Image size (268435456 pixels) exceeds limit"),
    (12000, "refused as a possible decompression bomb: Image size (144000000 pixels) exceeds limit of 89478485"),
    (7500, "the image is 7500 x 7500 = 56,250,000 pixels, more than nnlib reads"),
])
def test_a_decompression_bomb_is_refused_before_decoding(tmp_path, side, message):
    """Bilevel PNGs of tens to hundreds of millions of pixels in a few KB. Loaded in a child capped at 700 MB:
    decoding and converting one to float64 would need 0.4 to 2 GB."""
    bomb = tmp_path / "bomb.png"
    Image.new("1", (side, side), 1).save(bomb)
    assert bomb.stat().st_size < 100_000
    result = run_limited(f"""
        {PEAK_KB_SOURCE}
        from nnlib.preprocess import load_image
        try:
            load_image({str(bomb)!r})
        except ValueError as error:
            print(error)
        print("peak MB", peak_kb() // 1024)
    """, memory_mb=700)
    assert result.returncode == 0, result.stderr
    assert f"{bomb}: {message}" in result.stdout
    assert int(result.stdout.split("peak MB ")[1]) < 250


def test_pillows_own_limit_is_honoured_as_a_refusal(tmp_path, monkeypatch):
    """A user (or a server) that lowered Pillow's limit gets a refusal, not a warning and a full decode."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    path = png(tmp_path / "seven.png", (seven() * 255).astype(np.uint8))
    with pytest.raises(ValueError, match="refused as a possible decompression bomb: Image size \\(14400 pixels\\)"):
        load_image(path)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_large_image_is_reduced_before_it_becomes_floats(tmp_path, suffix):
    """A 6000 x 6000 photo of a 7 (36 MB as 8-bit, 288 MB as float64): load_image reduces it while decoding
    (JPEG) or right after (PNG). In a child process, the memory it adds stays below 100 MB, and the digit
    comes out as from a small copy of the same image."""
    path = tmp_path / f"big{suffix}"
    Image.fromarray((seven(6000) * 255).astype(np.uint8)).save(path)
    result = run_limited(f"""
        {PEAK_KB_SOURCE}
        import numpy as np
        from nnlib.preprocess import load_image, to_mnist_format
        before = peak_kb()
        pixels = load_image({str(path)!r})
        grown = peak_kb() - before
        np.save({str(tmp_path / 'digit.npy')!r}, to_mnist_format(pixels))
        print(pixels.shape, grown // 1024)
    """, memory_mb=1500)
    assert result.returncode == 0, result.stderr
    shape, grown_mb = result.stdout.rsplit(" ", 1)
    assert max(eval(shape)) <= 1024 and int(grown_mb) < 100, result.stdout
    small = to_mnist_format(seven(600))
    assert np.corrcoef(np.load(tmp_path / "digit.npy").ravel(), small.ravel())[0, 1] > 0.97


# -- 16-bit and float images ---------------------------------------------------------------------------

def test_a_16_bit_png_is_scaled_by_65535_not_clipped(tmp_path):
    path = tmp_path / "seven16.png"
    levels = np.where(seven() > 0.5, 60000, 5000).astype(np.uint16)     # light paper, dark ink, 16 bits
    Image.fromarray(levels).save(path)
    assert Image.open(path).mode.startswith("I;16")
    pixels = load_image(path)
    np.testing.assert_allclose(pixels, levels / 65535.0)
    np.testing.assert_allclose(to_mnist_format(pixels), to_mnist_format(seven(paper=60000 / 65535,
                                                                              ink=5000 / 65535)))


def test_a_float_tiff_in_0_1_is_not_clipped_to_black(tmp_path):
    path = tmp_path / "seven.tif"
    Image.fromarray(seven().astype(np.float32), mode="F").save(path)
    np.testing.assert_allclose(load_image(path), seven(), atol=1e-6)
    assert to_mnist_format(load_image(path)).max() > 0.9


@pytest.mark.parametrize("values, message", [
    (np.linspace(-5, 5, 100 * 100).reshape(100, 100), r"pixel values range from -5 to 5; nnlib reads F images"),
    (np.full((100, 100), np.nan), r"the image holds nan or infinite pixel values"),
])
def test_a_float_tiff_out_of_range_is_refused(tmp_path, values, message):
    path = tmp_path / "bad.tif"
    Image.fromarray(values.astype(np.float32), mode="F").save(path)
    with pytest.raises(ValueError, match=message):
        load_image(path)


def test_a_16_bit_array_is_scaled_by_65535():
    drawing = seven()
    np.testing.assert_allclose(to_mnist_format((drawing * 65535).astype(np.uint16)), to_mnist_format(drawing))


# -- ink relative to the paper -------------------------------------------------------------------------

@pytest.mark.parametrize("level", [0.3, 0.5, 0.6, 0.9])
def test_blank_grey_paper_has_no_ink(level):
    with pytest.raises(ValueError, match=r"the image is blank: no ink found \(no pixel stands out from the paper\)"):
        to_mnist_format(np.full((100, 100), level))


@pytest.mark.parametrize("make", [
    lambda rng: rng.uniform(0, 1, (200, 200)),                         # a page of uniform noise
    lambda rng: np.clip(0.6 + 0.05 * rng.standard_normal((200, 200)), 0, 1),   # grainy grey paper
    lambda rng: rng.integers(0, 256, (200, 200)).astype(float),       # 8-bit noise
], ids=["uniform", "grainy-grey", "8-bit-noise"])
def test_noise_is_not_ink(make):
    with pytest.raises(ValueError, match="no ink found"):
        to_mnist_format(make(np.random.default_rng(0)))


@pytest.mark.parametrize("paper, ink", [(0.7, 0.1), (0.4, 0.0), (0.2, 0.9)])
def test_a_digit_on_grey_paper_looks_like_the_same_digit_on_white(paper, ink):
    """Grey paper becomes MNIST's black background: the border is 0 and the digit matches the clean one."""
    result = to_mnist_format(seven(paper=paper, ink=ink))
    clean = to_mnist_format(seven())
    assert result[0].max() == 0 and result[:, 0].max() == 0
    assert np.corrcoef(result.ravel(), clean.ravel())[0, 1] > 0.99


def test_grey_paper_in_a_file_is_blank(tmp_path):
    path = png(tmp_path / "grey.png", np.full((80, 80), 128, np.uint8))
    with pytest.raises(ValueError, match="no ink found"):
        to_mnist_format(load_image(path))


# -- EXIF orientation -----------------------------------------------------------------------------------

# Orientation tag -> the transpose that makes the stored pixels upright (what exif_transpose applies),
# and the transpose a camera applied to store them (its inverse).
TO_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}
TO_STORED = {**TO_UPRIGHT, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


@pytest.mark.parametrize("orientation", sorted(TO_UPRIGHT))
def test_exif_orientation_is_applied_to_a_png(tmp_path, orientation):
    upright = Image.fromarray((seven(90) * 255).astype(np.uint8)[:, 5:])     # not square: rotations show
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "tagged.png"
    upright.transpose(TO_STORED[orientation]).save(path, exif=exif.tobytes())
    np.testing.assert_array_equal(load_image(path), np.asarray(upright) / 255.0)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_to_a_jpeg(tmp_path, orientation):
    upright = Image.fromarray((seven(90) * 255).astype(np.uint8)[:, 5:])
    exif = Image.Exif()
    exif[0x0112] = orientation
    tagged, plain = tmp_path / "tagged.jpg", tmp_path / "plain.jpg"
    stored = upright.transpose(TO_STORED[orientation])
    stored.save(tagged, exif=exif.tobytes())
    stored.save(plain)   # the same pixels, no tag: turned upright by hand for the reference
    expected = np.asarray(Image.open(plain).transpose(TO_UPRIGHT[orientation])) / 255.0
    assert expected.shape == np.asarray(upright).shape
    np.testing.assert_array_equal(load_image(tagged), expected)


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder, not an image file"):
        load_image(tmp_path)
