"""ODT (OpenDocument text) with zipfile and lxml: ``content.xml``'s paragraphs, lists and tables in
order, cut at its headings (``text:h`` with their outline level).

Loaded by path inside the sandboxed worker, after ``zip_guard`` has checked the container. Not read:
text frames, headers and footers (in ``styles.xml``), charts and embedded objects.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import Any

EXTRACTOR = "odf (lxml)"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"


def read(path: str, request: dict[str, Any], runtime: Any) -> Iterator[dict[str, Any]]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    with zipfile.ZipFile(path) as document:
        try:
            content = etree.fromstring(document.read("content.xml"), parser=parser)
            meta = (
                etree.fromstring(document.read("meta.xml"), parser=parser)
                if "meta.xml" in document.namelist()
                else None
            )
        except (KeyError, etree.XMLSyntaxError) as exc:
            raise runtime.Refused("not_readable", f"an ODT without readable content.xml ({exc})") from exc
    title = " ".join((meta.findtext(f".//{_DC}title") or "").split()) if meta is not None else ""
    yield {"event": "meta", "title": title, "extractor": EXTRACTOR}
    body = content.find(f"{_OFFICE}body/{_OFFICE}text")
    if body is None:
        return
    markup = runtime.sibling("markup")
    outline = runtime.sibling("outline").Outline()
    markup.walk(body, outline, _odf_words(markup))
    for section in outline.sections():
        yield {"event": "section", **section}


def _heading(element: Any) -> int | None:
    if element.tag != f"{_TEXT}h":
        return None
    level = element.get(f"{_TEXT}outline-level") or "1"
    return int(level) if level.isdigit() else 1


def _odf_words(markup: Any) -> Any:
    return markup.Vocabulary(
        heading=_heading,
        blocks=frozenset({"p", "list-item", "list", "table", "section"}),
        rows=frozenset({"table-row"}),
        cells=frozenset({"table-cell"}),
        skip=frozenset({"tracked-changes", "annotation", "sequence-decls", "forms"}),
        breaks=frozenset({"line-break", "tab", "s"}),
    )
