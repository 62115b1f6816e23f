"""EPUB (2 and 3) with zipfile and lxml: the spine's documents in reading order, one chapter each, named by
the table of contents (the EPUB 3 navigation document or the EPUB 2 NCX) or else by its first heading,
and cut at the headings inside it ("chapter 2: The Sea > Storms").

Loaded by path inside the sandboxed worker, after ``zip_guard`` has checked the container. Not read:
images' text, footnotes kept in separate documents outside the spine, and DRM-encrypted books.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

EXTRACTOR = "epub (lxml)"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_NCX = "{http://www.daisy.org/z3986/2005/ncx/}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"


def read(path: str, request: dict[str, Any], runtime: Any) -> Iterator[dict[str, Any]]:
    with zipfile.ZipFile(path) as book:
        names = set(book.namelist())
        encrypted = _encrypted(book, names, runtime)
        container = _xml(book, "META-INF/container.xml", runtime)
        rootfile = container.find(f".//{_CONTAINER}rootfile")
        if rootfile is None or not rootfile.get("full-path"):
            raise runtime.Refused(
                "not_readable", "an EPUB without a package document (container.xml names none)"
            )
        opf_path = rootfile.get("full-path")
        opf = _xml(book, opf_path, runtime)
        base = posixpath.dirname(opf_path)
        manifest = {
            item.get("id"): item for item in opf.iter(f"{_OPF}item") if item.get("id") and item.get("href")
        }
        yield {
            "event": "meta",
            "title": " ".join((opf.findtext(f".//{_DC}title") or "").split()),
            "extractor": EXTRACTOR,
        }
        titles = _toc_titles(book, opf, manifest, base, runtime)
        html_reader, markup, outline = (runtime.sibling(n) for n in ("html_reader", "markup", "outline"))
        chapter = 0
        for ref in opf.iter(f"{_OPF}itemref"):
            item = manifest.get(ref.get("idref"))
            if item is None or "nav" in (item.get("properties") or "").split():
                continue
            if "html" not in (item.get("media-type") or ""):
                continue
            href = _resolve(base, item.get("href"))
            if (
                href in encrypted
            ):  # fonts are often obfuscated (and listed) in books without DRM: chapters are not
                raise runtime.Refused(
                    "not_readable", "an encrypted (DRM-protected) EPUB: its chapters cannot be read"
                )
            if href not in names:
                continue
            tree = html_reader.parse_html(book.read(href), runtime)
            body = tree.find("body")
            if body is None:
                continue
            title = titles.get(href) or _first_heading(body, markup)
            label = f"chapter {chapter + 1}: {title}" if title else f"chapter {chapter + 1}"
            chapter_outline = outline.Outline(label, absorb=title)
            markup.walk(body, chapter_outline, markup.HTML)
            sections = chapter_outline.sections()
            if sections:
                chapter += 1
            for section in sections:
                yield {"event": "section", **section}


def _xml(book: zipfile.ZipFile, name: str, runtime: Any) -> Any:
    from lxml import etree

    try:
        data = book.read(name)
    except KeyError:
        raise runtime.Refused("not_readable", f"an EPUB without {name}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise runtime.Refused("not_readable", f"{name} is not well-formed XML ({exc})") from exc


def _encrypted(book: zipfile.ZipFile, names: set[str], runtime: Any) -> set[str]:
    """The parts ``META-INF/encryption.xml`` says are encrypted."""
    if "META-INF/encryption.xml" not in names:
        return set()
    uris = {
        ref.get("URI") for ref in _xml(book, "META-INF/encryption.xml", runtime).iter("{*}CipherReference")
    }
    return {_resolve("", uri) for uri in uris if uri}


def _resolve(base: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(base, unquote(href.split("#", 1)[0])))


def _toc_titles(
    book: zipfile.ZipFile, opf: Any, manifest: dict[str, Any], base: str, runtime: Any
) -> dict[str, str]:
    """The first title the table of contents gives each document of the book."""
    titles: dict[str, str] = {}
    nav = next((i for i in manifest.values() if "nav" in (i.get("properties") or "").split()), None)
    if nav is not None:
        href = _resolve(base, nav.get("href"))
        tree = runtime.sibling("html_reader").parse_html(book.read(href), runtime)
        for link in tree.iter("a"):
            target = link.get("href")
            if target:
                titles.setdefault(
                    _resolve(posixpath.dirname(href), target), " ".join(link.text_content().split())
                )
        return titles
    spine = opf.find(f"{_OPF}spine")
    ncx = manifest.get(spine.get("toc")) if spine is not None else None
    if ncx is not None:
        href = _resolve(base, ncx.get("href"))
        for point in _xml(book, href, runtime).iter(f"{_NCX}navPoint"):
            content = point.find(f"{_NCX}content")
            label = " ".join((point.findtext(f"{_NCX}navLabel/{_NCX}text") or "").split())
            if content is not None and content.get("src") and label:
                titles.setdefault(_resolve(posixpath.dirname(href), content.get("src")), label)
    return titles


def _first_heading(body: Any, markup: Any) -> str:
    for element in body.iter():
        if markup.HTML.heading(element) is not None:
            return " ".join(element.text_content().split())
    return ""
