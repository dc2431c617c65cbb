"""nnlib.preprocess: any drawing of a digit becomes an MNIST-style 28x28 image, centred by its mass."""
import numpy as np
import pytest
from PIL import Image

from nnlib.data import default_data_dir, read_idx
from nnlib.preprocess import centre_of_mass, load_image, to_mnist_format


def seven(size=200, top=20, left=30, height=150, width=110, thickness=14):
    """A '7' (a bar and a diagonal) drawn as bright ink on black, placed anywhere on a size x size canvas."""
    canvas = np.zeros((size, size))
    canvas[top:top + thickness, left:left + width] = 1.0
    for row in range(top, top + height):
        col = left + width - int((row - top) * width / height * 0.7)
        canvas[row, max(col - thickness, 0):col] = 1.0
    return canvas


def ink_box(image):
    rows, cols = np.nonzero(image > 0.05)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def assert_mnist_like(image):
    assert image.shape == (28, 28) and image.dtype == np.float64
    assert image.min() >= 0.0 and image.max() <= 1.0
    row, col = centre_of_mass(image)
    assert abs(row - 14.0) <= 0.5 and abs(col - 14.0) <= 0.5, f"centre of mass at ({row:.2f}, {col:.2f})"


@pytest.mark.parametrize("top, left", [(20, 30), (0, 0), (45, 85), (5, 80)])
def test_an_off_centre_digit_lands_centred(top, left):
    assert_mnist_like(to_mnist_format(seven(top=top, left=left)))


def test_shifting_the_input_does_not_change_the_output():
    np.testing.assert_allclose(to_mnist_format(seven(top=10, left=10)), to_mnist_format(seven(top=40, left=70)))


@pytest.mark.parametrize("height, width", [(150, 110), (60, 44), (18, 13), (300, 220)])
def test_any_scale_fits_a_20_pixel_box_keeping_the_aspect_ratio(height, width):
    size = max(height, width) + 60
    image = to_mnist_format(seven(size=size, top=30, left=30, height=height, width=width,
                                  thickness=max(2, height // 10)))
    assert_mnist_like(image)
    rows, cols = ink_box(image)
    assert max(rows, cols) in (20, 21, 22), "the longer side fills the 20x20 box (Lanczos may bleed a pixel)"
    assert rows > cols, "a tall digit stays tall"


def test_a_wide_stroke_keeps_its_aspect_ratio():
    bar = np.zeros((100, 100))
    bar[45:55, 10:90] = 1.0  # 80 wide, 10 tall
    image = to_mnist_format(bar)
    rows, cols = ink_box(image)
    assert 20 <= cols <= 22 and rows <= 5
    assert_mnist_like(image)


def test_dark_ink_on_light_paper_is_inverted_automatically():
    drawing = seven(top=30, left=40)
    np.testing.assert_allclose(to_mnist_format(1.0 - drawing), to_mnist_format(drawing))
    np.testing.assert_allclose(to_mnist_format(1.0 - drawing, invert=True), to_mnist_format(drawing, invert=False))


def test_0_to_255_input_is_the_same_as_0_to_1():
    drawing = seven()
    np.testing.assert_allclose(to_mnist_format(drawing * 255), to_mnist_format(drawing))


def test_an_mnist_digit_survives_the_round_trip():
    test_images = read_idx(default_data_dir() / "t10k-images-idx3-ubyte.gz")[:20] / 255.0
    for image in test_images:
        again = to_mnist_format(image)
        assert np.corrcoef(again.ravel(), image.ravel())[0, 1] > 0.9


@pytest.mark.parametrize("blank", [np.zeros((280, 280)), np.ones((50, 50)), np.full((10, 10), 255.0)])
def test_an_empty_canvas_gives_a_clear_message(blank):
    with pytest.raises(ValueError, match="blank: no ink found"):
        to_mnist_format(blank)


@pytest.mark.parametrize("image, message", [
    (np.zeros((5, 5, 3)), "2-D grayscale"),
    (np.zeros(784), "2-D grayscale"),
    (np.array([[0.0, -1.0]]), r"\[0, 1\] or \[0, 255\]"),
    (np.array([[0.0, 300.0]]), r"\[0, 1\] or \[0, 255\]"),
    (np.array([[0.0, np.nan]]), "nan"),
    (np.zeros((0, 0)), "empty"),
])
def test_bad_images_are_rejected_clearly(image, message):
    with pytest.raises(ValueError, match=message):
        to_mnist_format(image)


def test_centre_of_mass_of_a_single_pixel_is_that_pixel():
    image = np.zeros((28, 28))
    image[3, 20] = 0.7
    assert centre_of_mass(image) == pytest.approx((3.0, 20.0))


def test_centre_of_mass_of_an_empty_image_is_a_clear_error_not_a_division_by_zero():
    with pytest.raises(ValueError, match="no ink"):
        centre_of_mass(np.zeros((28, 28)))


def test_load_image_reads_png_with_transparency_as_white_paper(tmp_path):
    rgba = np.zeros((60, 60, 4), dtype=np.uint8)  # fully transparent: paper
    rgba[10:50, 28:32] = [0, 0, 0, 255]           # an opaque black '1'
    path = tmp_path / "one.png"
    Image.fromarray(rgba).save(path)
    gray = load_image(path)
    assert gray.shape == (60, 60) and gray[0, 0] == 1.0 and gray[30, 30] == 0.0
    assert_mnist_like(to_mnist_format(gray))


def test_load_image_explains_missing_and_non_image_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such image file"):
        load_image(tmp_path / "missing.png")
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(ValueError, match="not an image file Pillow can read"):
        load_image(text)
