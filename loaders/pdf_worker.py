"""Read a PDF page by page in a separate, resource-limited process, engine by engine.

Run as a script (``python -I pdf_worker.py``): the parent sends one JSON request line on stdin
and reads JSON lines back, one per event, so it sees every page as soon as it is read and can
give each page its own time budget::

    {"event": "open", "total_pages": 12, "engine": "pdfium"}
    {"event": "ocr", "page": 3}                                  (OCR of page 3 begins: it is slow)
    {"event": "page", "page": 3, "state": "ocr", "extractor": "ocr", "text": "...", "reason": "", "lines": [...]}
    {"event": "done", "truncated_chars": false, "log_records": 0, "first_log_record": null}
    {"event": "error", "code": "password_protected", "detail": "..."}

Each page ends in one state: ``text`` (the first engine whose text the verdict calls readable:
PDFium, then pypdf, then pdfminer.six; pdfminer first for vertical writing, which PDFium reads
in the wrong line order), ``ocr`` (RapidOCR on the rendered page), ``blank``, or ``unreadable``
with its reason. JSON, not pickle, crosses the boundary, so a hostile PDF that subverts this
process still cannot make the parent execute anything. The only modules of ours it loads are
files beside it that import no package of ours (``verdict.py``, ``ocr.py``, ``ocr_layout.py``,
``page_geometry.py``).
"""

from __future__ import annotations

import io
import logging
import sys
import warnings
from pathlib import Path
from typing import Any


def _runtime() -> Any:
    """``worker_runtime.py``, loaded by its path: every worker starts here (see its docstring)."""
    import importlib.util

    name = "rag_worker_worker_runtime"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("worker_runtime.py"))
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


runtime = _runtime()
sibling, Refused = runtime.sibling, runtime.Refused

IMAGE, TEXT = 3, 1  # FPDF_PAGEOBJ_IMAGE, FPDF_PAGEOBJ_TEXT
MAX_OBJECTS_LOOKED_AT = 20_000


class _CountingHandler(logging.Handler):
    """Counts the parsers' log records instead of printing them: some PDFs emit thousands."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = record.getMessage()[:200]


class Engines:
    """The three text engines (and OCR) over one file, each opened on first use."""

    def __init__(self, path: str, password: str | None, judge: Any) -> None:
        self.path, self.password, self.judge = path, password, judge
        self.pdfium: Any = None
        self._pypdf: Any = None
        self._miner: Any = None
        self.opened_by = ""
        self.ocr = sibling("ocr").Ocr(sibling("ocr_layout"))

    # ---- opening ----------------------------------------------------------------------

    def open(self) -> int:
        import pypdfium2 as pdfium

        try:
            self.pdfium = pdfium.PdfDocument(self.path, password=self.password)
            self.opened_by = "pdfium"
            return len(self.pdfium)
        except pdfium.PdfiumError as exc:
            pdfium_error = str(exc)
        # PDFium refused: pypdf for encryption PDFium cannot open, then pdfminer.six.
        for name, count in (("pypdf", self._pypdf_pages), ("pdfminer", self._miner_pages)):
            try:
                total = count()
                self.opened_by = name
                return total
            except Refused:
                raise
            except Exception:  # each engine fails in its own way on a damaged file
                continue
        if "password" in pdfium_error.lower():
            raise Refused("password_protected", "the password is wrong" if self.password else "")
        why = pdfium_error.replace("Failed to load document", "").strip(" .()").replace("PDFium: ", "")
        raise Refused(
            "not_readable_pdf", f"{why.lower() or 'unknown error'} (PDFium; pypdf and pdfminer failed too)"
        )

    def _pypdf_pages(self) -> int:
        if self._pypdf is None:
            from pypdf import PdfReader

            reader = PdfReader(self.path, strict=False)
            if reader.is_encrypted and not _decrypt(reader, self.password):
                raise Refused("password_protected", "the password is wrong" if self.password else "")
            self._pypdf = reader
        return len(self._pypdf.pages)

    def _miner_pages(self) -> int:
        if self._miner is None:
            from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
            from pdfminer.pdfpage import PDFPage
            from pdfminer.pdfparser import PDFParser

            handle = open(self.path, "rb")  # noqa: SIM115 - pdfminer reads it lazily, page by page
            try:
                document = PDFDocument(PDFParser(handle), password=self.password or "")
            except PDFPasswordIncorrect as exc:
                raise Refused("password_protected", "the password is wrong" if self.password else "") from exc
            self._miner = list(PDFPage.create_pages(document))
        return len(self._miner)

    # ---- one page ------------------------------------------------------------------------

    def read(self, index: int, ocr_off: str, dpi: int, emit: Any) -> dict[str, Any]:
        """One page's event. ``ocr_off``: why OCR may not run (empty when it may)."""
        has_text, has_images, vertical = self._layout(index)
        order = ["pdfium", "pypdf", "pdfminer"]
        if vertical:
            order = ["pdfminer", "pdfium", "pypdf"]
        if self.pdfium is None:
            order.remove("pdfium")
        problems: list[str] = []
        for engine in order if has_text else []:  # without text objects no engine finds any
            try:
                text = getattr(self, f"_{engine}_text")(index)
            except Exception as exc:  # an engine that fails on one page leaves the others to try
                problems.append(f"{engine}: {type(exc).__name__}")
                continue
            verdict = self.judge(text)
            if verdict.readable:
                page = _page(index, "text", engine, text)
                if self.pdfium is not None:
                    page["large_lines"] = sibling("text_layout").large_lines(
                        self.pdfium[index].get_textpage()
                    )
                return page
            if not verdict.empty:
                problems.append(verdict.reason)
        if not ocr_off and self.pdfium is not None and (has_images or problems or has_text):
            emit({"event": "ocr", "page": index + 1})
            text, lines = self.ocr.read_page(self.pdfium[index], dpi)
            verdict = self.judge(text)
            if verdict.readable:
                return {**_page(index, "ocr", "ocr", text), "lines": lines}
            reason = (
                "an image without legible text (OCR found none)"
                if verdict.empty
                else f"OCR: {verdict.reason}"
            )
            return _page(index, "unreadable", None, "", reason)
        if problems:
            return _page(index, "unreadable", None, "", f"{problems[0]} ({ocr_off or 'OCR could not run'})")
        if has_images:
            return _page(index, "unreadable", None, "", f"a scanned page without a text layer ({ocr_off})")
        return _page(index, "blank", None, "")

    def _layout(self, index: int) -> tuple[bool, bool, bool]:
        """(has text objects, has images, written vertically); without PDFium: (True, False, False)."""
        if self.pdfium is None:
            return True, False, False
        page = self.pdfium[index]
        kinds: set[int] = set()
        for seen, obj in enumerate(page.get_objects(max_depth=4)):
            kinds.add(obj.type)
            if {TEXT, IMAGE} <= kinds:
                break
            if seen >= MAX_OBJECTS_LOOKED_AT:  # a drawing of millions of paths: assume anything
                kinds |= {TEXT, IMAGE}
                break
        return TEXT in kinds, IMAGE in kinds, sibling("text_layout").vertical(page.get_textpage())

    def _pdfium_text(self, index: int) -> str:
        return self.pdfium[index].get_textpage().get_text_range().replace("\r\n", "\n")

    def _pypdf_text(self, index: int) -> str:
        self._pypdf_pages()
        return self._pypdf.pages[index].extract_text() or ""

    def _pdfminer_text(self, index: int) -> str:
        from pdfminer.converter import TextConverter
        from pdfminer.layout import LAParams
        from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager

        self._miner_pages()
        out = io.StringIO()
        manager = PDFResourceManager()
        device = TextConverter(manager, out, laparams=LAParams(detect_vertical=True))
        PDFPageInterpreter(manager, device).process_page(self._miner[index])
        device.close()
        return out.getvalue().replace("\x0c", "")


def _decrypt(reader: Any, password: str | None) -> bool:
    try:
        return bool(reader.decrypt(password or ""))
    except Exception:
        return False


def _page(index: int, state: str, extractor: str | None, text: str, reason: str = "") -> dict[str, Any]:
    return {
        "event": "page",
        "page": index + 1,
        "state": state,
        "extractor": extractor,
        "text": text,
        "reason": reason,
    }


def geometry(request: dict[str, Any], emit: Any) -> None:
    """For each page asked about: its size, and the rectangles of each of its passages."""
    import pypdfium2 as pdfium

    pages = sibling("page_geometry")
    document = pdfium.PdfDocument(request["path"], password=request.get("password"))
    for number, passages in request["pages"].items():
        page = document[int(number) - 1]
        textpage = page.get_textpage()
        emit(
            {
                "event": "geometry",
                "page": int(number),
                "size": list(page.get_size()),
                "rects": [pages.passage_rects(textpage, text) for text in passages],
            }
        )
    emit({"event": "done"})


def render(request: dict[str, Any], emit: Any) -> None:
    """One page as a PNG (base64), no larger than OCR's largest image (``ocr.MAX_OCR_PIXELS``)."""
    import base64

    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(request["path"], password=request.get("password"))
    number = int(request["page"])
    if not 1 <= number <= len(document):
        raise Refused("not_readable_pdf", f"the document has {len(document)} pages, not {number}")
    page = document[number - 1]
    width, height = page.get_size()
    scale = min(
        float(request["scale"]), sibling("ocr").ocr_scale(width, height, 72 * float(request["scale"]))
    )
    buffer = io.BytesIO()
    page.render(scale=scale).to_pil().save(buffer, "PNG")
    emit(
        {
            "event": "image",
            "png": base64.b64encode(buffer.getvalue()).decode(),
            "size": [width, height],
            "scale": scale,
            "pages": len(document),
        }
    )


def run(request: dict[str, Any], emit: Any) -> None:
    mode = request.get("mode", "extract")
    if mode == "geometry":
        return geometry(request, emit)
    if mode == "render":
        return render(request, emit)
    judge = sibling("verdict").judge
    handler = _CountingHandler()
    for name in ("pypdf", "fontTools", "pdfminer"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
    warnings.simplefilter("ignore")
    engines = Engines(request["path"], request.get("password"), judge)
    total = engines.open()
    emit({"event": "open", "total_pages": total, "engine": engines.opened_by})
    chars, truncated = 0, False
    for index in range(int(request.get("first_page", 0)), min(total, int(request["max_pages"]))):
        if not request.get("ocr"):
            ocr = "OCR is off"
        elif engines.ocr.runs >= int(request.get("ocr_max_pages", 0)):
            ocr = "over the file's OCR page limit"
        else:
            ocr = ""
        page = engines.read(index, ocr, int(request.get("ocr_dpi", 200)), emit)
        if engines.pdfium is not None:
            page["size"] = [round(v, 2) for v in engines.pdfium[index].get_size()]
        room = int(request["max_chars"]) - chars
        if len(page["text"]) > room:
            page["text"], truncated = page["text"][: max(0, room)], True
        chars += len(page["text"])
        emit(page)
        if truncated:
            break
    emit(
        {
            "event": "done",
            "truncated_chars": truncated,
            "log_records": handler.count,
            "first_log_record": handler.first,
        }
    )


if __name__ == "__main__":
    runtime.serve(run, unreadable="not_readable_pdf")
