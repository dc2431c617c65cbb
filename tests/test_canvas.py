"""nnlib.canvas on the Python side: what arrives from the browser, rendering strokes, classifying drawings.
(The JavaScript half is exercised in a real browser by tests/test_browser.py.)"""
import numpy as np
import pytest

from nnlib import Network
from nnlib.canvas import (CANVAS_SIZE, DigitPad, DrawingCanvas, classify_drawing, png_bytes,
                          render_strokes)
from nnlib.preprocess import to_mnist_format

SEVEN = [[(70, 60), (210, 60), (120, 230)]]


def browser_sends(canvas, ink):
    """What ipywidgets does with a message from the front end: binary buffers arrive as memoryviews."""
    canvas.set_state({"ink": memoryview(np.ascontiguousarray(ink, dtype=np.uint8).tobytes())})


@pytest.fixture
def net():
    return Network([784, 16, 10], activation="relu", loss="cross_entropy", init="he", seed=0)


def test_ink_from_the_browser_arrives_as_a_memoryview_and_is_accepted():
    canvas = DrawingCanvas(size=30)
    assert canvas.image() is None
    ink = np.zeros((30, 30), dtype=np.uint8)
    ink[5:25, 14:16] = 255
    browser_sends(canvas, ink)
    assert isinstance(canvas.ink, bytes)
    np.testing.assert_allclose(canvas.image(), ink / 255.0)


def test_a_canvas_of_the_wrong_size_is_reported():
    canvas = DrawingCanvas(size=30)
    browser_sends(canvas, np.zeros((10, 10)))
    with pytest.raises(ValueError, match="sent 100 bytes, expected 30x30"):
        canvas.image()


def test_render_strokes_draws_round_pen_polylines():
    ink = render_strokes(SEVEN)
    assert ink.shape == (CANVAS_SIZE, CANVAS_SIZE) and ink.min() == 0.0 and ink.max() == 1.0
    assert ink[60, 140] == 1.0 and ink[150, 40] == 0.0  # on the bar; far left of the diagonal
    dot = render_strokes([[(50, 50)]], size=100, stroke_width=10)
    assert dot[50, 50] == 1.0 and dot[50, 56] == 0.0 and 60 < dot.sum() < 100  # a disc of radius 5
    with pytest.raises(ValueError, match="at least one"):
        render_strokes([[]])


def test_classify_drawing_feeds_the_mnist_formatted_image_to_the_network(net):
    ink = render_strokes(SEVEN)
    prediction = classify_drawing(net, ink)
    np.testing.assert_allclose(prediction.image, to_mnist_format(ink, invert=False))
    expected = net.predict_proba(prediction.image.reshape(1, -1))[0]
    np.testing.assert_allclose(prediction.probabilities, expected)
    digits = [digit for digit, _ in prediction.top]
    assert digits == list(np.argsort(-expected)[:3]) and prediction.digit == digits[0]
    assert prediction.describe().startswith(f"prediction: {digits[0]}  ({digits[0]}: ")


def test_classify_drawing_of_an_empty_canvas_says_so(net):
    with pytest.raises(ValueError, match="blank"):
        classify_drawing(net, np.zeros((CANVAS_SIZE, CANVAS_SIZE)))


def test_digit_pad_answers_after_each_stroke_and_after_clear(net):
    pad = DigitPad(net)
    browser_sends(pad.canvas, np.round(render_strokes(SEVEN) * 255))
    assert pad.last is not None
    assert f"prediction: {pad.last.digit}" in pad.answer.value
    assert bytes(pad.seen.value).startswith(b"\x89PNG")
    browser_sends(pad.canvas, np.zeros(0))
    assert pad.last is None and "Cleared" in pad.answer.value


def test_digit_pad_shows_a_message_for_a_blank_drawing(net):
    pad = DigitPad(net)
    assert pad.show(np.zeros((CANVAS_SIZE, CANVAS_SIZE))) is None
    assert "Nothing to classify" in pad.answer.value and "blank" in pad.answer.value


def test_png_bytes_is_dark_ink_on_white_and_enlarged():
    from io import BytesIO

    from PIL import Image
    image = np.zeros((28, 28))
    image[0, 0] = 1.0
    picture = Image.open(BytesIO(png_bytes(image, scale=4)))
    assert picture.size == (112, 112)
    assert picture.getpixel((0, 0)) == 0 and picture.getpixel((111, 111)) == 255


def test_reprs_are_stable_text_without_memory_addresses(net):
    assert repr(DigitPad(net)) == "DigitPad(network 784-16-10, canvas 280x280)"
    assert repr(DrawingCanvas()) == "DrawingCanvas(size=280, stroke_width=20)"
