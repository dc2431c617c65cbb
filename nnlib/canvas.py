"""Draw a digit with the mouse in a notebook and see what a network makes of it.

DrawingCanvas is an anywidget: about 40 lines of JavaScript draw into an HTML canvas in the browser, and
only when the mouse button is released does Python receive the picture, once per stroke, as size*size
bytes of ink (0 = paper, 255 = full ink). DigitPad puts a canvas next to the network's answer: the 28x28
image the network actually saw (nnlib.preprocess.to_mnist_format) and its three most probable digits.

render_strokes draws the same kind of ink from code (polylines rasterised with Pillow), so the whole
pipeline can be run and tested without a mouse.
"""
from dataclasses import dataclass
from io import BytesIO

import numpy as np

from .preprocess import to_mnist_format

try:
    import anywidget
    import ipywidgets
    import traitlets
except ImportError as error:  # pragma: no cover - the dev extra installs them
    raise ImportError(f"nnlib.canvas needs anywidget ({error}); install the notebook tools with "
                      f"pip install -e '.[dev]' (or: python3 run.py lab)") from None

CANVAS_SIZE = 280   # pixels on screen: ten per MNIST pixel
STROKE_WIDTH = 20   # a pen this wide, scaled into the 20x20 box, gives MNIST-like 2-3 pixel strokes

_JAVASCRIPT = """
function render({ model, el }) {
  const size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.className = "nnlib-canvas";
  const ctx = canvas.getContext("2d");
  let last = null;
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height];
  };
  const segment = (from, to) => {
    ctx.lineWidth = model.get("stroke_width");
    ctx.lineCap = "round";
    ctx.strokeStyle = "black";
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
  };
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    segment(last, [last[0] + 0.01, last[1]]);  // a click alone leaves a dot
  });
  canvas.addEventListener("pointermove", (event) => {
    if (last === null) return;
    const point = at(event);
    segment(last, point);
    last = point;
  });
  const finish = () => {
    if (last === null) return;
    last = null;
    const rgba = ctx.getImageData(0, 0, size, size).data;
    const ink = new Uint8Array(size * size);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i + 3];  // the alpha channel is the ink
    model.set("ink", new DataView(ink.buffer));
    model.save_changes();
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  const clear = document.createElement("button");
  clear.textContent = "Clear";
  clear.className = "nnlib-canvas-clear";
  clear.addEventListener("click", () => {
    ctx.clearRect(0, 0, size, size);
    model.set("ink", new DataView(new ArrayBuffer(0)));
    model.save_changes();
  });
  el.append(canvas, document.createElement("br"), clear);
}
export default { render };
"""

_CSS = """
.nnlib-canvas { border: 1px solid #888; background: white; cursor: crosshair; touch-action: none; }
"""


def _bytes_from_json(value, widget):
    """Binary data from the browser arrives as a memoryview, which traitlets.Bytes would reject."""
    return bytes(value) if value is not None else b""


class DrawingCanvas(anywidget.AnyWidget):
    """A square canvas to draw on with the mouse (or a finger). `ink` holds the drawing after each stroke:
    size*size bytes, row by row, 0 = untouched, 255 = full ink; empty after Clear."""

    _esm = _JAVASCRIPT
    _css = _CSS
    size = traitlets.Int(CANVAS_SIZE).tag(sync=True)
    stroke_width = traitlets.Float(STROKE_WIDTH).tag(sync=True)
    ink = traitlets.Bytes(b"").tag(sync=True, from_json=_bytes_from_json)

    def __repr__(self):
        return f"DrawingCanvas(size={self.size}, stroke_width={self.stroke_width:g})"

    def image(self):
        """The drawing as a (size, size) float array in [0, 1], ink bright; None before the first stroke."""
        if not self.ink:
            return None
        if len(self.ink) != self.size * self.size:
            raise ValueError(f"the canvas sent {len(self.ink)} bytes, expected {self.size}x{self.size}")
        return np.frombuffer(self.ink, dtype=np.uint8).reshape(self.size, self.size) / 255.0


# -- from ink to a prediction -------------------------------------------------------------------


@dataclass(frozen=True)
class DrawingPrediction:
    """What the network made of a drawing: the 28x28 image it saw, its probabilities (10,) and the top k."""

    image: np.ndarray
    probabilities: np.ndarray
    top: list  # [(digit, probability), ...], most probable first

    @property
    def digit(self):
        """The most probable digit, argmax of probabilities."""
        return self.top[0][0]

    def describe(self):
        """One line, e.g. 'prediction: 7  (7: 98.1%, 1: 1.2%, 9: 0.3%)'."""
        ranked = ", ".join(f"{digit}: {p:.1%}" for digit, p in self.top)
        return f"prediction: {self.digit}  ({ranked})"


def classify_drawing(net, ink, k=3):
    """ink: a 2-D drawing, bright ink on dark (e.g. DrawingCanvas.image() or render_strokes()).
    Converts it MNIST-style (crop, fit into 20x20, centre of mass at (14, 14)) and asks the network.
    Raises ValueError with a clear message for an empty drawing."""
    image = to_mnist_format(ink, invert=False)
    probabilities = net.predict_proba(image.reshape(1, -1))[0]
    order = np.argsort(-probabilities, kind="stable")[:k]
    return DrawingPrediction(image, probabilities, [(int(d), float(probabilities[d])) for d in order])


def render_strokes(strokes, size=CANVAS_SIZE, stroke_width=STROKE_WIDTH):
    """Rasterise polylines the way the canvas draws them: round pen of stroke_width pixels.

    strokes: a list of strokes, each a list of (x, y) points in canvas pixels (x to the right, y down).
    Returns a (size, size) float array in [0, 1], ink bright, like DrawingCanvas.image()."""
    from PIL import Image, ImageDraw

    picture = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(picture)
    radius = stroke_width / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke]
        if not points:
            raise ValueError("a stroke needs at least one (x, y) point")
        if len(points) > 1:
            pen.line(points, fill=255, width=int(round(stroke_width)))
        for x, y in points:  # round caps and joints
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(picture, dtype=np.float64) / 255.0


# -- the canvas and the network's answer side by side ------------------------------------------


class DigitPad(ipywidgets.HBox):
    """A canvas, and after every stroke the 28x28 image the network saw and its top-3 digits."""

    def __init__(self, net, size=CANVAS_SIZE, stroke_width=STROKE_WIDTH):
        self.net = net
        self.canvas = DrawingCanvas(size=size, stroke_width=stroke_width)
        self.seen = ipywidgets.Image(format="png", width=112, height=112)
        self.answer = ipywidgets.HTML("Draw a digit in the box; the answer appears when you release the mouse.")
        self.last = None
        super().__init__([self.canvas, ipywidgets.VBox([self.seen, self.answer])])
        self.canvas.observe(self._on_ink, names="ink")

    def __repr__(self):
        return f"DigitPad(network {'-'.join(map(str, self.net.sizes))}, canvas {self.canvas.size}x{self.canvas.size})"

    def _on_ink(self, change=None):
        ink = self.canvas.image()
        if ink is None:
            self.last, self.seen.value = None, b""
            self.answer.value = "Cleared. Draw a digit."
            return
        self.show(ink)

    def show(self, ink):
        """Classify a drawing (as DrawingCanvas.image() gives it) and display the answer."""
        try:
            self.last = classify_drawing(self.net, ink)
        except ValueError as error:
            self.last, self.seen.value = None, b""
            self.answer.value = f"Nothing to classify: {error}"
            return None
        self.seen.value = png_bytes(self.last.image)
        self.answer.value = "<br>".join([f"<b>prediction: {self.last.digit}</b>"] +
                                        [f"{digit}: {p:.1%}" for digit, p in self.last.top])
        return self.last


def png_bytes(image, scale=4):
    """A 2-D image in [0, 1] (ink bright) as PNG bytes, enlarged `scale` times, dark ink on white."""
    from PIL import Image

    gray = np.round(255 * (1.0 - np.clip(image, 0.0, 1.0))).astype(np.uint8)
    picture = Image.fromarray(gray)
    picture = picture.resize((gray.shape[1] * scale, gray.shape[0] * scale), Image.Resampling.NEAREST)
    buffer = BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
