"""What every widget of course_utils.widgets is drawn with: colours, a fast PNG encoder, a figure drawn by
blitting, and the container that carries a static fallback.

Static fallback: every widget is a StaticFallbackBox, whose `_repr_mimebundle_` adds, next to the live widget
view, a `text/plain` summary of the current state (stable rounded numbers, so strict nbval can compare it) and,
where there is a plot, an `image/png` of it. A viewer without a kernel or without ipywidgets (GitHub, nbviewer,
a closed notebook) shows that picture or text instead.

Speed: a plot is one matplotlib Figure per widget with a fixed layout, drawn by blitting (Blitter): what does
not move (axes, ticks, labels, legends) is rendered once into a cached background, and an input redraws only
the artists it changes, updated in place, then encodes the pixels as PNG (encode_png).
"""
import base64
import struct
import zlib

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from course_utils.lab import fmt_eps

_DPI = 90  # text near its point size on screen (72 made legends ~6 px); more costs draw time
PASS = "#009E73"  # Okabe-Ito green
FAIL = "#D55E00"  # Okabe-Ito vermillion
NOTE = "#555555"  # the grey of secondary text
NO_WIDGETS = ("If you see this text instead of controls, widgets are not rendering here: open the notebook "
              "in JupyterLab 4 or Notebook 7 with ipywidgets 8 installed (pip install -r requirements.txt), "
              "then run the cell again (Kernel > Restart Kernel and Run All Cells).")


def check_range(value, low, high, name):
    """A slider's starting value must be inside its range (ipywidgets would clamp it silently)."""
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {fmt_eps(low)} and {fmt_eps(high)} (the slider's range), "
                         f"got {value!r}")


def encode_png(rgba):
    """PNG bytes of an (h, w, 4) uint8 RGBA array, alpha dropped.

    A minimal encoder: no per-row filters, zlib level 1 -- a few ms where PIL's adaptive filters take
    10-25 ms for the same plot; the file is about as small (plots are mostly flat colour).
    """
    h, w, _ = rgba.shape
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type "none" for every row
    raw[:, 1:].reshape(h, w, 3)[...] = rgba[:, :, :3]  # one strided copy

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1))
            + chunk(b"IEND", b""))


class _FixedLayoutFigure(Figure):
    """A Figure whose margins are set once: tight_layout() from plotting functions is a no-op.

    Re-running the layout on every redraw costs more than the rest of the drawing.
    """

    def tight_layout(self, *args, **kwargs):
        pass


class Blitter:
    """A figure whose static part is rendered once; render() draws the dynamic artists over it.

    dynamic -- the artists that change between renders (updated in place by the caller).
    The background is rendered with them hidden whenever invalidate() was called.
    """

    def __init__(self, figsize, **margins):
        self.figure = _FixedLayoutFigure(figsize=figsize, dpi=_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(**margins)
        self.dynamic = []
        self._background = None

    def invalidate(self):
        self._background = None

    def render(self):
        """PNG bytes of the figure as it is now."""
        if self._background is None:
            self.canvas.draw()  # a full draw first: it places the titles where they belong
            titles = [(ax.title, ax.title.get_position()) for ax in self.figure.axes]
            visible = [a.get_visible() for a in self.dynamic]
            for artist in self.dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            for artist, shown in zip(self.dynamic, visible):
                artist.set_visible(shown)
            for title, position in titles:  # the draw with hidden titles moved them
                title.set_position(position)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in sorted(self.dynamic, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                artist.draw(renderer)
        return encode_png(np.asarray(self.canvas.buffer_rgba()))


class StaticFallbackBox(widgets.VBox):
    """A VBox whose display also carries text/plain and image/png of the current state.

    Subclasses set `static_text()` and `static_png()`; a front end that renders widgets shows the
    live widget, any other viewer falls back to the picture (or the text).
    """

    def static_text(self):
        return ""

    def static_png(self):
        return None

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data = dict(data)
        data["text/plain"] = self.static_text()
        png = self.static_png()
        if png:
            data["image/png"] = base64.b64encode(png).decode("ascii")
        return data
