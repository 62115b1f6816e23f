"""OCR of rendered pages with RapidOCR (PP-OCR models inside the wheel, on ONNX Runtime): lines in
reading order with their boxes, pages lying on their side or upside down turned first.

Recognition is most of the cost (it grows with the width of every line), so each page is recognised
once: its orientation is settled on the detector's boxes and the line classifier's votes before any
line is read (issue #29: a turned scan used to be read once per orientation tried, up to three times).

Loaded by path inside the sandboxed worker (``pdf_worker.py``), so it imports no package of ours.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MAX_OCR_PIXELS = 16_000_000
"""A rendered page has at most this many pixels (48 MB in RGB): a 35,000-pixel-wide page is drawn
at a lower resolution instead of exhausting memory."""

DET_SIDE = 1280
"""The detector sees the page at most this many pixels on its longer side. RapidOCR's default (shorter
side at least 736) ran it on ~1536x1984 pixels for a 200 dpi letter page, four times the time for the
same boxes: at this size a 9-point line is still ~15 pixels high."""

POSTER_PT = 1224.0
"""Pages longer than this (17 inches, a little over A3) are detected at RapidOCR's default size instead:
posters and drawings carry small print for their size (the mind-map fixture's 46-inch page)."""

REC_SQUEEZE = 0.7
"""Lines are narrowed to this share of their width before recognition, whose time grows with width:
PP-OCR's recogniser reads condensed print as well (each Latin letter still spans two or more of its
output columns), measured by ``benchmarks/ocr_accuracy.py``."""

SQUEEZE_MIN_HEIGHT = 20
"""Lines under this many pixels high are not narrowed: already enlarged more than twice to the recogniser's
48 pixels, they lose their strokes (the mind map's 10-15-pixel print: half its lines fell under the score
floor). Body text at 200 dpi is 24-40 pixels high."""

MIN_VOTES = 6
"""Pieces of line (two lines' worth) the 0/180 classifier must see before its majority settles a page on its own;
with fewer the page is read both ways and the surer reading kept (on a line or two it is easily wrong)."""

ENGINE_PARAMS = {
    "Global.log_level": "error",
    # Lines are not turned one by one (use_cls off): on an upright page the line classifier turns some
    # good lines over. Whole pages are turned instead, when they need it.
    "Global.use_cls": False,
    # The recogniser pads every line to at least 160 pixels wide, not 320: a table's short cells cost
    # twice the time at 320 for the same text (the Chinese product table: same 4 errors, 1.7x faster).
    "Rec.rec_img_shape": [3, 48, 160],
    # Every line has its own width: without an arena ONNX Runtime allocates each run's buffers afresh.
    "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
}


@dataclass
class _Found:
    """One orientation's detection: the image as detected, RapidOCR's record of its resizing, the
    line crops and the detector's output (boxes in the resized image)."""

    image: Any
    record: dict[str, Any]
    crops: list[Any]
    detected: Any


class Ocr:
    """One RapidOCR engine for a worker's life (its models load once), and how many pages it read."""

    def __init__(self, layout: Any) -> None:
        self.layout = layout
        self.runs = 0
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from rapidocr import RapidOCR

            self._engine = RapidOCR(params=ENGINE_PARAMS)
        return self._engine

    def read_page(self, page: Any, dpi: int) -> tuple[str, list[list[Any]]]:
        """Text read from the rendered page, lines in reading order, and each line's box in PDF points."""
        self.runs += 1
        width, height = page.get_size()
        scale = ocr_scale(width, height, dpi)
        detector = self.engine._load_det_model()
        if max(width, height) <= POSTER_PT:
            detector.limit_type, detector.limit_side_len = "max", DET_SIDE
        else:
            detector.limit_type, detector.limit_side_len = "min", 736  # RapidOCR's own default
        with ocr_memory():
            image = page.render(scale=scale).to_numpy()
            rows, cols = image.shape[:2]
            turns, boxes = self._read_upright(image)
            del image
        if not boxes:
            return "", []
        lines = self.layout.reading_order(boxes)
        out = []
        for text, x0, top, x1, bottom, _ in lines:
            corners = [self.layout.unturn(x, y, turns, cols, rows) for x, y in ((x0, top), (x1, bottom))]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            # Pixels (origin top-left) to PDF points (origin bottom-left).
            out.append(
                [text, min(xs) / scale, height - max(ys) / scale, max(xs) / scale, height - min(ys) / scale]
            )
        return "\n".join(line[0] for line in out), out

    def _read_upright(self, image: Any) -> tuple[int, list[list[Any]]]:
        """(quarter turns counter-clockwise that set the page upright, its boxes read that way up)."""
        found = self._detect(image, 0)
        if found is None:
            return 0, []
        if self.layout.mostly_tall([_extent(quad) for quad in found.detected.boxes]):
            # A scan lying on its side: a quarter turn lays its lines flat, upright or upside down.
            found = self._detect(image, 1)
            if found is None:
                return 0, []
            return self._settle(image, 1, found)
        return self._settle(image, 0, found)

    def _settle(self, image: Any, turns: int, found: _Found) -> tuple[int, list[list[Any]]]:
        """Read ``found`` (the image turned ``turns``) or the image turned half a turn more, whichever
        the classifier calls upright; both, keeping the surer reading, when it cannot tell."""
        upside_down, votes = self._upside_down(found.crops)
        other = (turns + 2) % 4
        if votes >= MIN_VOTES:
            if not upside_down:
                return turns, self._recognise(found)
            flipped = self._detect(image, other)
            return (other, self._recognise(flipped)) if flipped is not None else (turns, [])
        boxes = self._recognise(found)
        if not upside_down and turns == 0:
            return turns, boxes  # an upright page of a line or two: no reason to doubt it
        flipped = self._detect(image, other)
        turned = self._recognise(flipped) if flipped is not None else []
        if self.layout.mean_score(turned) > self.layout.mean_score(boxes):
            return other, turned
        return turns, boxes

    def _upside_down(self, crops: list[Any]) -> tuple[bool, int]:
        """(whether most of the longest lines are upside down, by the OCR's own 0/180 classifier; how
        many pieces of line voted).

        The classifier sees 48x192 pixels: a whole line squeezed into that is illegible and its votes
        near chance, so it is shown three pieces of each line, each four times as wide as high.
        """
        longest = sorted(
            (c for c in crops if c.size and c.shape[1] >= 4 * c.shape[0]), key=lambda c: -c.shape[1]
        )[:9]
        pieces = []
        for crop in longest:
            high, wide = crop.shape[:2]
            for middle in (wide // 4, wide // 2, 3 * wide // 4):
                start = max(0, middle - 2 * high)
                pieces.append(crop[:, start : start + 4 * high])
        if not pieces:
            return False, 0
        labels = self.engine._load_cls_model()(pieces).cls_res or []
        return sum(label == "180" for label, _ in labels) * 3 > 2 * len(labels), len(labels)

    def _detect(self, image: Any, turns: int) -> _Found | None:
        """The detector's lines on ``image`` turned ``turns`` quarters counter-clockwise; None if none."""
        import numpy as np
        from rapidocr.main import RapidOCRError

        turned = np.ascontiguousarray(np.rot90(image, turns)) if turns else image
        resized, record = self.engine.preprocess_img(turned)
        try:
            crops, detected = self.engine.detect_and_crop(resized, record)
        except RapidOCRError:  # raised when the detector found no text
            return None
        return _Found(turned, record, crops, detected)

    def _recognise(self, found: _Found) -> list[list[Any]]:
        """[text, x0, top, x1, bottom, score] per line of ``found``, in its image's pixels; a box the
        detector ran across a narrow column gutter is cut there (see ``cut_at_gutters``)."""
        import cv2
        from rapidocr.ch_ppocr_cls import TextClsOutput

        narrowed = [
            cv2.resize(c, (max(1, round(c.shape[1] * REC_SQUEEZE)), c.shape[0]), interpolation=cv2.INTER_AREA)
            if c.shape[0] >= SQUEEZE_MIN_HEIGHT
            else c
            for c in found.crops
        ]
        engine = self.engine
        engine.return_word_box = True
        result = engine.build_final_output(
            found.image,
            found.detected,
            TextClsOutput(),
            engine.recognize_txt(narrowed),
            found.crops,
            found.record,
        )
        if not getattr(result, "txts", None):
            return []
        lines = []
        for quad, text, score, words in zip(
            result.boxes, result.txts, result.scores, result.word_results, strict=True
        ):
            xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
            spans = [
                (str(w[0]), float(min(p[0] for p in w[2])), float(max(p[0] for p in w[2]))) for w in words
            ]
            lines.append(([str(text), min(xs), min(ys), max(xs), max(ys), float(score)], spans))
        return self.layout.cut_at_gutters(lines)


def _extent(quad: Any) -> list[Any]:
    """A detected quadrilateral as a box ``[text, x0, top, x1, bottom, score]``, not yet read."""
    xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
    return ["", min(xs), min(ys), max(xs), max(ys), 0.0]


def ocr_scale(width_pt: float, height_pt: float, dpi: int) -> float:
    """Pixels per PDF point for OCR: ``dpi``, lowered so the page has at most MAX_OCR_PIXELS pixels."""
    return min(dpi / 72, math.sqrt(MAX_OCR_PIXELS / max(width_pt * height_pt, 1.0)))


@contextmanager
def ocr_memory() -> Iterator[None]:
    """Lift the worker's soft memory limit to its hard one while a page is OCR'd (see ``limit_self``)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
