"""OCR of rendered pages with RapidOCR (PP-OCR models inside the wheel, on ONNX Runtime): lines in
reading order with their boxes, pages lying on their side or upside down turned first.

Loaded by path inside the sandboxed worker (``pdf_worker.py``), so it imports no package of ours.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MAX_OCR_PIXELS = 16_000_000
"""A rendered page has at most this many pixels (48 MB in RGB): a 35,000-pixel-wide page is drawn
at a lower resolution instead of exhausting memory."""


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

            # Lines are not turned one by one (use_cls off): on an upright page the line classifier
            # turns some good lines over. Whole pages are turned instead, when they need it.
            self._engine = RapidOCR(params={"Global.log_level": "error", "Global.use_cls": False})
        return self._engine

    def read_page(self, page: Any, dpi: int) -> tuple[str, list[list[Any]]]:
        """Text read from the rendered page, lines in reading order, and each line's box in PDF points."""
        import numpy as np

        self.runs += 1
        width, height = page.get_size()
        scale = ocr_scale(width, height, dpi)
        with ocr_memory():
            image = page.render(scale=scale).to_numpy()
            turns, boxes = 0, self._boxes(image)
            if self.layout.mostly_tall(boxes):
                # A scan lying on its side: read it turned a quarter each way, keep the surer reading.
                tries = [(k, self._boxes(np.ascontiguousarray(np.rot90(image, k)))) for k in (1, 3)]
                turns, boxes = max(tries, key=lambda t: self.layout.mean_score(t[1]))
            elif self._upside_down(image, boxes):
                # Upside down: the line classifier rescues big print only, so read the page turned over,
                # and keep the surer reading (on a line or two the classifier alone is easily wrong).
                turned = self._boxes(np.ascontiguousarray(np.rot90(image, 2)))
                if self.layout.mean_score(turned) >= self.layout.mean_score(boxes):
                    turns, boxes = 2, turned
            rows, cols = image.shape[:2]
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

    def _upside_down(self, image: Any, boxes: list[list[Any]]) -> bool:
        """Whether most of the longest lines are upside down, by the OCR's own 0/180 classifier."""
        longest = sorted((b for b in boxes if len(b[0]) >= 6), key=lambda b: -len(b[0]))[:9]
        crops = [image[int(b[2]) : int(b[4]) + 1, int(b[1]) : int(b[3]) + 1] for b in longest]
        crops = [c for c in crops if c.size]
        if not crops:
            return False
        labels = self.engine._load_cls_model()(crops).cls_res or []
        return sum(label == "180" for label, _ in labels) * 3 > 2 * len(labels)

    def _boxes(self, image: Any) -> list[list[Any]]:
        """[text, x0, top, x1, bottom, score] per detected box, in the image's pixels; a box the
        detector ran across a narrow column gutter is cut there (see ``_cut_at_gutters``)."""
        result = self.engine(image, return_word_box=True)
        if not result.txts:
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
