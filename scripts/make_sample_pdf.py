"""Write sample_docs/rag-app-guide.pdf: a short multi-page PDF for the demo and tests.

A minimal PDF writer (standard Helvetica font, one text stream per page) so the sample
needs no extra dependency. Run: python scripts/make_sample_pdf.py
"""

from __future__ import annotations

import textwrap
from pathlib import Path

PAGES = [
    (
        "How rag-app answers a question",
        "rag-app turns your PDFs and text files into passages and stores one vector per passage "
        "in a FAISS index on disk. When you ask a question, the question is embedded with a short "
        "task instruction, and the passages whose vectors have the highest cosine similarity are "
        "returned with their source file and page number.",
    ),
    (
        "Reading the scores",
        "Every passage is shown with its cosine similarity. For Qwen3-Embedding-4B a score of 0.4 "
        "or more is coloured green as relevant. When the best two scores differ by less than 0.02 "
        "the app shows a Top-3 ambiguity warning, because the ranking between them cannot be "
        "trusted: read the three best passages yourself before relying on the answer.",
    ),
    (
        "Keeping your data safe",
        "The index is stored without pickle: FAISS files for the vectors and an SQLite database for "
        "the texts. Every change is written as it is made, so a crash never leaves a half-written "
        "index.",
    ),
    (
        "Warranty of the demo kit",
        "The warranty of the demo kit lasts 24 months from the date of purchase. Keep the receipt: "
        "a repair under warranty needs it.",
    ),
]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_stream(title: str, body: str) -> bytes:
    lines = ["BT", "/F1 18 Tf", "72 720 Td", f"({_escape(title)}) Tj", "/F1 12 Tf", "0 -32 Td"]
    for line in textwrap.wrap(body, 80):
        lines += [f"({_escape(line)}) Tj", "0 -16 Td"]
    lines.append("ET")
    return "\n".join(lines).encode("latin-1")


def build_pdf(pages: list[tuple[str, str]]) -> bytes:
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, (title, body) in enumerate(pages):
        content_id = 4 + 2 * i
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        stream = _page_stream(title, body)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "sample_docs" / "rag-app-guide.pdf"
    target.write_bytes(build_pdf(PAGES))
    print(f"wrote {target}")
