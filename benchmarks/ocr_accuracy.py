"""OCR accuracy and speed, before and after issue #29: pages with known text rendered at 200 dpi into image-only
PDFs, read back through the app's own path (`loaders.load`, OCR in the sandboxed worker) by today's loaders (AFTER)
and by the loaders of commit BASELINE (BEFORE), page set by page set in the same run; character error rate against
the known text and pages per second for both, and their ratio.

Known text: ClapNQ passages set in Helvetica (also turned a quarter, half and three quarters, as scans come), CMRC
2018 paragraphs set in an Adobe-GB1 CID font (written by this script), and fixture PDFs whose text layers PDFium
reads right. Rendering the Chinese pages needs a CJK system font for PDFium to substitute (Debian: `apt-get install
fonts-wqy-microhei`); without one that row is skipped and says so. BEFORE needs git (`git archive BASELINE`).

Run: .venv/bin/python benchmarks/ocr_accuracy.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import unicodedata
from pathlib import Path

import numpy as np
from common import EVAL, PDFS, ROOT, save

from tests.fixtures.pdf_writer import scanned_copy

DPI = 200
PAGES_WRITTEN = 4
BASELINE = "803f8f5"
"""The commit whose loaders read the BEFORE columns: OCR as it was when issue #29 asked for twice the speed."""

READER = """
import json, sys, time
from pathlib import Path
from loaders import LoadLimits, load
started = time.perf_counter()
docs = load(Path(sys.argv[1]), limits=LoadLimits(ocr_dpi=int(sys.argv[2])))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "pages": {d.metadata["page"]: [d.metadata["extractor"], d.page_content] for d in docs}}))
"""
"""Run with the working directory at the root whose ``loaders`` it should import (``-c`` puts it first on the path)."""


def written_english() -> list[tuple[str, bytes, dict[int, str]]]:
    from tests.fixtures.pdf_writer import text_pdf

    passages = [
        json.loads(line)["passages"][0]["text"]
        for line in (EVAL / "clapnq" / "clapnq_dev_answerable.jsonl")
        .read_text()
        .splitlines()[: PAGES_WRITTEN * 2]
    ]
    # Helvetica's WinAnsi encoding holds Western European text only: other characters are left out.
    typeable = [p.encode("cp1252", "ignore").decode("cp1252") for p in passages]
    pages = [
        "\n".join(textwrap.wrap(" ".join(typeable[2 * i : 2 * i + 2]), 90)[:50]) for i in range(PAGES_WRITTEN)
    ]
    return [("ClapNQ passages (Helvetica, written here)", text_pdf(pages), dict(enumerate(pages, start=1)))]


def written_chinese() -> list[tuple[str, bytes, dict[int, str]]]:
    from tests.fixtures.cjk_pdf import cid_pdf, unicode_to_cid

    known = unicode_to_cid("GB1")
    paragraphs = [
        p["context"]
        for a in json.loads((EVAL / "cmrc2018" / "cmrc2018_trial.json").read_text())["data"]
        for p in a["paragraphs"]
    ]
    out = []
    for number in range(PAGES_WRITTEN):
        text = "".join(
            ch for ch in "".join(paragraphs[number * 3 : number * 3 + 3]) if ch in known and not ch.isspace()
        )
        lines = [text[i : i + 34] for i in range(0, 34 * 24, 34)]
        out.append((lines, cid_pdf(lines, "zh")))
    return [
        (f"CMRC 2018 paragraphs (Adobe-GB1 CID font, written here), page {n + 1}", pdf, {1: "".join(lines)})
        for n, (lines, pdf) in enumerate(out)
    ]


def turned_english() -> list[tuple[str, bytes, dict[int, str]]]:
    """The written English pages 1-3 scanned lying a quarter, a half and three quarters turned."""
    import pypdfium2 as pdfium

    from tests.fixtures.pdf_writer import image_pdf

    _label, pdf, truth = written_english()[0]
    document = pdfium.PdfDocument(pdf)
    pages = []
    for turns in (1, 2, 3):
        page = document[turns - 1]
        bitmap = page.render(scale=DPI / 72, fill_color=(255, 255, 255, 255))
        pixels = bitmap.to_numpy()[:, :, :3]
        rgb = np.ascontiguousarray(
            np.rot90(pixels[:, :, ::-1] if bitmap.mode.startswith("BGR") else pixels, turns)
        )
        width, height = page.get_size()
        size = (height, width) if turns % 2 else (width, height)
        pages.append((rgb.tobytes(), rgb.shape[1], rgb.shape[0], *size))
    return [
        ("ClapNQ passages turned 90, 180, 270 degrees", image_pdf(pages), {n: truth[n] for n in (1, 2, 3)})
    ]


def fixture(name: str) -> tuple[str, bytes, dict[int, str]]:
    from loaders import load

    return (
        f"fixture {name}",
        (PDFS / name).read_bytes(),
        {d.metadata["page"]: d.page_content for d in load(PDFS / name)},
    )


def sets() -> dict[str, list[tuple[str, bytes, dict[int, str]]]]:
    chinese_font = bool(
        subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
    )
    return {
        "English": [
            *written_english(),
            *(fixture(n) for n in ("single-page-text.pdf", "multipage-4-pages.pdf", "two-column.pdf")),
        ],
        "English, turned": turned_english(),
        "Chinese": [*(written_chinese() if chinese_font else []), fixture("chinese-product-table.pdf")],
        "Chinese mind map (hard case)": [fixture("chinese-kangxi-radicals.pdf")],
    }


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time."""
    if not a or not b:
        return max(len(a), len(b))
    codes_b = np.array([ord(c) for c in b])
    row = np.arange(len(b) + 1)
    for i, ch in enumerate(a, start=1):
        substitute = row[:-1] + (codes_b != ord(ch))
        new = np.empty_like(row)
        new[0] = i
        new[1:] = np.minimum(row[1:] + 1, substitute)
        new = np.minimum.accumulate(new - np.arange(len(b) + 1)) + np.arange(len(b) + 1)  # insertions
        row = new
    return int(row[-1])


def squeeze(text: str) -> str:
    """NFKC, no whitespace: what both sides mean by 'the characters of the page'."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def baseline_root() -> Path:
    """A folder holding the ``loaders`` package of commit BASELINE."""
    root = Path(tempfile.mkdtemp(prefix="ocr-baseline-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BASELINE, "loaders"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    return root


def read_back(root: Path, scan: Path) -> tuple[float, dict[int, tuple[str, str]]]:
    """(seconds ``load`` took, {page: (extractor, text)}) with the ``loaders`` package under ``root``."""
    done = subprocess.run(
        [sys.executable, "-c", READER, str(scan), str(DPI)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["seconds"], {int(page): (e, t) for page, (e, t) in result["pages"].items()}


def main() -> None:
    from loaders import LoadLimits

    roots = {"before": baseline_root(), "after": ROOT}
    rows, results = [], {}
    totals = {side: {"pages": 0, "seconds": 0.0} for side in roots}
    for language, items in sets().items():
        tally = {side: {"errors": 0, "seconds": 0.0} for side in roots}
        chars = pages = 0
        for number, (_label, pdf, truth) in enumerate(items):
            scan = Path(tempfile.mkdtemp()) / "scan.pdf"
            scan.write_bytes(scanned_copy(pdf, DPI))
            # Each side goes first on every other file: a machine that slows down mid-run slows both alike.
            for side in list(roots)[:: 1 if number % 2 == 0 else -1]:
                # The faster of two reads: a spike of another job's load costs one of them, rarely both.
                (seconds, read), (again, _) = read_back(roots[side], scan), read_back(roots[side], scan)
                seconds = min(seconds, again)
                assert all(extractor == "ocr" for extractor, _ in read.values()), (side, _label)
                tally[side]["seconds"] += seconds
                for page, text in truth.items():
                    tally[side]["errors"] += edit_distance(
                        squeeze(read.get(page, ("", ""))[1]), squeeze(text)
                    )
            for text in truth.values():
                chars += len(squeeze(text))
                pages += 1
        labels = [label for label, _, _ in items]
        sides = {
            side: {
                "errors": t["errors"],
                "cer": t["errors"] / chars,
                "seconds": t["seconds"],
                "pages_per_second": pages / t["seconds"],
            }
            for side, t in tally.items()
        }
        ratio = sides["after"]["pages_per_second"] / sides["before"]["pages_per_second"]
        results[language] = {"sources": labels, "pages": pages, "chars": chars, **sides, "speedup": ratio}
        for side in roots:
            totals[side]["pages"] += pages
            totals[side]["seconds"] += tally[side]["seconds"]
        named = "; ".join(dict.fromkeys(label.split(", page")[0] for label in labels))
        before, after = sides["before"], sides["after"]
        rows.append(
            f"| {language} | {named} | {pages} | {chars:,} | {before['cer']:.2%} | {after['cer']:.2%} "
            f"| {before['pages_per_second']:.3f} | {after['pages_per_second']:.3f} | {ratio:.2f}x |"
        )
    speed = {side: t["pages"] / t["seconds"] for side, t in totals.items()}
    results["all pages"] = {
        "pages": totals["after"]["pages"],
        "before_pages_per_second": speed["before"],
        "after_pages_per_second": speed["after"],
        "speedup": speed["after"] / speed["before"],
    }
    rows.append(
        f"| **all pages** | | {totals['after']['pages']} | | | | {speed['before']:.3f} | {speed['after']:.3f} "
        f"| **{speed['after'] / speed['before']:.2f}x** |"
    )
    markdown = f"""
### OCR accuracy and speed (`benchmarks/ocr_accuracy.py`)

Pages with known text rendered at {DPI} dpi into image-only PDFs (no text layer), read back through `loaders.load`
(RapidOCR's bundled PP-OCR models on ONNX Runtime, in the sandboxed worker, a fresh worker per file as in the app),
BEFORE by the loaders of commit {BASELINE} and AFTER by today's, file by file in the same run (each goes first on
every other file), each file read twice a side and the faster read kept. Character error rate = edit distance / reference characters, whitespace removed and both sides
NFKC-normalised (so spacing and line order inside a line do not count, misread, missing and extra characters do).
Pages per second include starting the worker and loading the models, once per file.

| text | pages from | pages | reference characters | CER before | CER after | pages/s before | pages/s after | speed-up |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Goal: English and Chinese at most 0.5 %, no worse than before, at least twice the pages per second. AFTER reads each
page once, its orientation settled on the detector's boxes and the line classifier first (BEFORE read a page lying on
its side three times, an upside-down one twice), detects at most 1280 pixels on the longer side, narrows lines to 0.7
of their width and pads them to 160 pixels, not 320, for the recogniser, and gives ONNX Runtime a memory arena
(see `loaders/ocr.py`; posters keep RapidOCR's detector size). The mind map is a
25 x 46 inch page of tiny print in boxes joined by lines: OCR reads it capped at {16_000_000:,} pixels and in another
order than its text layer, so it is shown apart as the hard case it is. OCR runs only for pages without a readable
text layer, at most {LoadLimits().ocr_max_pages} pages a file, each within {LoadLimits().ocr_page_timeout_s:g} s.
"""
    save("ocr_accuracy", results, markdown)


if __name__ == "__main__":
    main()
