"""Images (PNG, JPEG, TIFF, WebP) read by the OCR the PDF worker uses (RapidOCR, ``ocr.py``): one section
an image, and for a multi-page TIFF one a page (``page`` 1-based).

Loaded by path inside the sandboxed worker. Pillow refuses decompression bombs itself (more pixels than
``MAX_IMAGE_PIXELS``), before any pixel is decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

EXTRACTOR = "ocr"
FORMATS = {"PNG", "JPEG", "MPO", "TIFF", "WEBP"}
MAX_IMAGE_PIXELS = 100_000_000
MAX_FRAMES = 500


class ImagePage:
    """An image dressed as the PDF page ``ocr.Ocr.read_page`` expects: a size in points at ``dpi``, and
    ``render(scale)`` back to pixels (BGR, as PDFium renders and RapidOCR reads)."""

    def __init__(self, image: Any, dpi: int) -> None:
        self.image, self.dpi = image.convert("RGB"), dpi

    def get_size(self) -> tuple[float, float]:
        width, height = self.image.size
        return width * 72 / self.dpi, height * 72 / self.dpi

    def render(self, scale: float) -> Any:
        width, height = self.get_size()
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        return _Pixels(self.image if size == self.image.size else self.image.resize(size))


class _Pixels:
    def __init__(self, image: Any) -> None:
        self.image = image

    def to_numpy(self) -> Any:
        import numpy as np

        return np.ascontiguousarray(np.asarray(self.image)[:, :, ::-1])


def read(path: str, request: dict[str, Any], runtime: Any) -> Iterator[dict[str, Any]]:
    from PIL import Image, ImageSequence

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise runtime.Refused(
            "too_large", f"an image of more than {MAX_IMAGE_PIXELS:,} pixels ({exc})"
        ) from exc
    except (OSError, ValueError) as exc:
        raise runtime.Refused("not_readable", f"an image Pillow cannot decode ({exc})") from exc
    if image.format not in FORMATS:
        raise runtime.Refused(
            "unsupported", f"unsupported type: a {image.format} image (PNG, JPEG, TIFF, WebP are read)"
        )
    frames = getattr(image, "n_frames", 1)
    paged = image.format == "TIFF"
    yield {
        "event": "meta",
        "title": "",
        "extractor": EXTRACTOR,
        "total_pages": min(frames, MAX_FRAMES) if paged else None,
    }
    ocr = runtime.sibling("ocr").Ocr(runtime.sibling("ocr_layout"))
    dpi = int(request.get("ocr_dpi", 200))
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        if number > MAX_FRAMES or (not paged and number > 1):  # an animated WebP: its first frame
            break
        yield {"event": "ocr", "page": number}
        try:
            text, _ = ocr.read_page(ImagePage(frame, dpi), dpi)
        except (OSError, ValueError) as exc:
            raise runtime.Refused("not_readable", f"an image Pillow cannot decode ({exc})") from exc
        if text.strip():
            section: dict[str, Any] = {"text": text, "location": "", "heading": ""}
            if paged:
                section["page"] = number
            yield {"event": "section", **section}
