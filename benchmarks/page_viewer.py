"""The page viewer: how well the highlights cover their passages, and how long a page takes to draw.

Three fixture PDFs are indexed through the app (`RagService.ingest`); for every chunk, the page's characters
whose boxes have their centre inside the chunk's rectangles are compared with the chunk's own text: coverage is
the share of the chunk's non-space characters found there, spill the share of the highlighted characters that
belong to other text (a two-column page must not light up the wrong column). Page drawing is timed through
`RagService.page_view` (the sandboxed worker, PDFium, the highlight painted).

Run: .venv/bin/python benchmarks/page_viewer.py
"""

from __future__ import annotations

import difflib
import statistics
import tempfile
import time

import numpy as np
from common import PDFS, save

FILES = ["multipage-4-pages.pdf", "two-column.pdf", "chinese-product-table.pdf"]


def inside(textpage, rects: list[list[float]]) -> str:
    from loaders.page_geometry import normalised

    chars = []
    for i in range(textpage.count_chars()):
        left, bottom, right, top = textpage.get_charbox(i)
        x, y = (left + right) / 2, (bottom + top) / 2
        if right > left and any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in rects):
            chars.append(textpage.get_text_range(i, 1))
    return normalised("".join(chars))[0]


def main() -> None:
    import pypdfium2 as pdfium

    from loaders.page_geometry import normalised
    from rag_app.service import RagService
    from rag_app.settings import Settings

    service = RagService(Settings(store_dir=tempfile.mkdtemp(), llm="none"))
    service.ingest([PDFS / name for name in FILES])
    rows, per_file = [], {}
    renders: list[float] = []
    for name in FILES:
        document = pdfium.PdfDocument(str(PDFS / name))
        coverage, spill = [], []
        records = [r for r in service.store.all_records() if r.metadata["source"] == name]
        for record in records:
            meta = record.metadata
            own = normalised(record.text)[0]
            lit = inside(document[meta["page"] - 1].get_textpage(), meta.get("highlights") or [])
            matched = sum(
                b.size for b in difflib.SequenceMatcher(None, own, lit, autojunk=False).get_matching_blocks()
            )
            coverage.append(matched / len(own) if own else 1.0)
            spill.append(1 - matched / len(lit) if lit else 0.0)
        for record in records[:10]:
            started = time.perf_counter()
            service.page_view(record.chunk_id)
            renders.append(time.perf_counter() - started)
        per_file[name] = {
            "chunks": len(records),
            "coverage_min": min(coverage),
            "coverage_mean": statistics.mean(coverage),
            "share_at_least_95": float(np.mean([c >= 0.95 for c in coverage])),
            "spill_mean": statistics.mean(spill),
            "spill_max": max(spill),
        }
        m = per_file[name]
        rows.append(
            f"| {name} | {m['chunks']} | {m['share_at_least_95']:.0%} | {m['coverage_mean']:.3f} (min {m['coverage_min']:.3f}) | "
            f"{m['spill_mean']:.3f} (max {m['spill_max']:.3f}) |"
        )
    p50, p95 = statistics.median(renders), float(np.percentile(renders, 95))
    markdown = f"""
### Page viewer (`benchmarks/page_viewer.py`)

Every chunk of three fixture PDFs, indexed through the app; its rectangles (found at ingest, in PDF points) against the
page's own characters. Coverage: share of the chunk's non-space characters whose boxes lie inside its rectangles (goal
>= 0.95 for every chunk). Spill: share of the highlighted characters that belong to other text.

| file | chunks | chunks with coverage >= 0.95 | coverage mean (min) | spill mean (max) |
|---|---|---|---|---|
{chr(10).join(rows)}

Drawing a page with its highlight (`RagService.page_view`: a sandboxed worker starts, PDFium draws at 108 dpi, the
rectangles are painted): p50 **{p50 * 1000:.0f} ms**, p95 **{p95 * 1000:.0f} ms** over {len(renders)} pages.
"""
    save("page_viewer", {"files": per_file, "render_seconds": renders}, markdown)


if __name__ == "__main__":
    main()
