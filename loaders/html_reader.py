"""HTML pages: the main content found by trafilatura (menus, banners, footers and cookie notices left
out), cut at its headings; a page trafilatura finds nothing in is walked whole, less its navigation.

Loaded by path inside the sandboxed worker. A page nested deeper than libxml2 parses (256 levels) is
refused rather than read in part. Not read: text drawn by scripts, images' text, frames' documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

EXTRACTOR = "trafilatura"
_BOILERPLATE = ("nav", "header", "footer", "aside", "form", "script", "style", "noscript", "template")


def read(path: str, request: dict[str, Any], runtime: Any) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as handle:
        data = handle.read()
    tree = parse_html(data, runtime)
    markup = runtime.sibling("markup")
    title = " ".join((tree.findtext(".//title") or "").split())
    outline = runtime.sibling("outline").Outline()
    extracted = _main_content(tree)
    if extracted is not None:
        markup.walk(extracted, outline, _trafilatura_words(markup))
        extractor = EXTRACTOR
    else:
        tree = parse_html(data, runtime)  # trafilatura may have pruned the tree it was given
        for element in tree.xpath("|".join(f"//{name}" for name in _BOILERPLATE)):
            element.drop_tree()
        markup.walk(tree, outline, markup.HTML)
        extractor = "lxml"
    yield {"event": "meta", "title": title, "extractor": extractor}
    for section in outline.sections():
        yield {"event": "section", **section}


def parse_html(data: bytes, runtime: Any) -> Any:
    """An lxml tree of the page (never a DTD or the network); refused when nested past libxml2's limit."""
    import lxml.html

    parser = lxml.html.HTMLParser(no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        tree = lxml.html.document_fromstring(data, parser=parser)
    except Exception as exc:  # lxml raises ParserError, ValueError or XMLSyntaxError on a hopeless page
        raise runtime.Refused("not_readable", f"no HTML could be parsed ({exc})") from exc
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        limit = runtime.sibling("markup").MAX_NESTING
        raise runtime.Refused(
            "unsafe", f"HTML nested more than {limit} elements deep (refused, not read in part)"
        )
    return tree


def _main_content(tree: Any) -> Any:
    """trafilatura's XML of the page's main content, parsed; None when it found none."""
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        tree,
        output_format="xml",
        include_tables=True,
        include_formatting=True,
        include_comments=False,
        favor_recall=True,
        deduplicate=False,
    )
    if not xml:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(xml.encode(), parser=parser)
    main = root.find("main")
    return main if main is not None else root


def _trafilatura_heading(element: Any) -> int | None:
    if element.tag != "head":
        return None
    rend = element.get("rend") or "h2"
    return int(rend[1]) if len(rend) == 2 and rend[1] in "123456" else 2


def _trafilatura_words(markup: Any) -> Any:
    """trafilatura's XML: ``head`` (rend h1..h6), ``p``, ``list``/``item``, ``table``/``row``/``cell``."""
    return markup.Vocabulary(
        heading=_trafilatura_heading,
        blocks=frozenset({"p", "list", "item", "quote", "code", "table"}),
        rows=frozenset({"row"}),
        cells=frozenset({"cell"}),
        skip=frozenset({"comments"}),
    )
