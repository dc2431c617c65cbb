"""A dependency-free text progress bar for terminals and Jupyter (both honour a carriage return)."""
import sys
import time


class ProgressBar:
    """Draws `description [#####.....] 120/469` on one line, redrawn in place.

    Also speaks pooch's progress-bar protocol (total, update, reset, close) for downloads.
    """

    def __init__(self, total, description="", unit="", width=30, stream=None, min_interval=0.1):
        self.total, self.description, self.unit = total, description, unit
        self.width, self.stream, self.min_interval = width, stream or sys.stderr, min_interval
        self.count, self._last_draw = 0, 0.0

    def update(self, n=1):
        """Count n more steps done; redraw at most every min_interval seconds (and at the end)."""
        self.count += n
        now = time.perf_counter()
        if now - self._last_draw >= self.min_interval or (self.total and self.count >= self.total):
            self._last_draw = now
            self._draw()

    def reset(self):
        """Start counting from 0 again (pooch calls this before a retry)."""
        self.count = 0

    def close(self, suffix=""):
        """Draw the final state, followed by suffix (e.g. the epoch's loss), and end the line."""
        self._draw(suffix)
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, suffix=""):
        if self.total:
            count = min(self.count, self.total)  # pooch counts whole chunks, so the last one overshoots
            filled = int(count / self.total * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            line = f"{self.description} [{bar}] {self._amount(count)}/{self._amount(self.total)}"
        else:
            line = f"{self.description} {self._amount(self.count)}"
        self.stream.write("\r" + line + (" " + suffix if suffix else ""))
        self.stream.flush()

    def _amount(self, n):
        """unit "B" (downloads) reads as kB/MB; any other unit is appended to the plain count."""
        if self.unit != "B":
            return f"{n}{self.unit}"
        return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"


def wants_progress(progress):
    """progress=None means: show a bar when stderr is an interactive terminal."""
    if progress is None:
        return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    return bool(progress)
