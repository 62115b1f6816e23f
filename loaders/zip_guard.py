"""ZIP containers (DOCX, PPTX, XLSX, EPUB, ODT) looked over before any parser sees them: what they
are, from their parts; refused, by name, when they are bombs, lie about their sizes, carry macros or
declare XML entities.

Standard library only; loaded by path inside the sandboxed worker. ``zipfile`` never reads past a
part's declared size (and checks its CRC), so bounding the declared sizes bounds what is unpacked.
"""

from __future__ import annotations

import re
import zipfile
from typing import Any

XML_SUFFIXES = (".xml", ".rels", ".opf", ".ncx", ".xhtml", ".htm", ".html", ".svg")
MAX_PROLOG_BYTES = 1 << 20
"""Entity declarations live in the prolog, before the root element: this much is read to find it."""
BOMB_FLOOR_BYTES = 1 << 20
"""Parts smaller than this may compress as well as they like (tiny XML compresses very well)."""

_ODF_TYPES = {"application/vnd.oasis.opendocument.text": "odt"}
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_ROOT_START = re.compile(rb"<(?![!?])")


def inspect(path: str, limits: dict[str, Any], refused: type[Exception]) -> str:
    """The container's format (docx, pptx, xlsx, epub or odt), after every check has passed; else
    ``refused(code, detail)`` is raised (code: unsafe, macros, not_readable, unsupported, password_protected)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise refused("not_readable", f"a damaged ZIP container ({exc})") from exc
    with archive:
        infos = archive.infolist()
        _check_sizes(infos, limits, refused)
        names = {info.filename for info in infos}
        kind = _format(archive, names, refused)
        if any(name.lower().endswith("vbaproject.bin") for name in names) or _macro_content_type(
            archive, names
        ):
            raise refused(
                "macros",
                f"a macro-enabled {kind.upper()} (macros are never run, and such files are not read): "
                f"save it as a plain .{kind} to index it",
            )
        for info in infos:
            if info.filename.lower().endswith(XML_SUFFIXES):
                _check_prolog(archive, info, refused, allow_doctype=kind == "epub")
        return kind


def _check_sizes(infos: list[zipfile.ZipInfo], limits: dict[str, Any], refused: type[Exception]) -> None:
    if len(infos) > limits["max_zip_parts"]:
        raise refused(
            "unsafe", f"a ZIP container of {len(infos):,} parts (the limit is {limits['max_zip_parts']:,})"
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise refused("password_protected", "an encrypted ZIP container")
        if info.file_size > limits["max_part_bytes"]:
            raise refused(
                "unsafe",
                f"part {info.filename!r} claims {info.file_size / 2**20:,.0f} MiB unpacked "
                f"(the limit is {limits['max_part_bytes'] / 2**20:,.0f} MiB)",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > BOMB_FLOOR_BYTES and ratio > limits["max_compression_ratio"]:
            raise refused(
                "unsafe",
                f"a zip bomb: part {info.filename!r} unpacks {ratio:,.0f} times its packed size "
                f"(the limit is {limits['max_compression_ratio']:,})",
            )
        total += info.file_size
    if total > limits["max_unpacked_bytes"]:
        raise refused(
            "unsafe",
            f"its parts claim {total / 2**20:,.0f} MiB unpacked (the limit is "
            f"{limits['max_unpacked_bytes'] / 2**20:,.0f} MiB)",
        )


def _format(archive: zipfile.ZipFile, names: set[str], refused: type[Exception]) -> str:
    if "mimetype" in names:
        mimetype = archive.read("mimetype")[:200].decode("ascii", "replace").strip()
        if mimetype == "application/epub+zip":
            return "epub"
        if mimetype in _ODF_TYPES:
            return _ODF_TYPES[mimetype]
        raise refused("unsupported", f"unsupported type: a ZIP container of type {mimetype!r}")
    if "[Content_Types].xml" in names:
        for part, kind in (
            ("word/document.xml", "docx"),
            ("ppt/presentation.xml", "pptx"),
            ("xl/workbook.xml", "xlsx"),
        ):
            if part in names:
                return kind
        raise refused("unsupported", "unsupported type: an Office container that is not DOCX, PPTX or XLSX")
    raise refused("unsupported", "unsupported type: a ZIP archive, not DOCX, PPTX, XLSX, EPUB or ODT")


def _macro_content_type(archive: zipfile.ZipFile, names: set[str]) -> bool:
    if "[Content_Types].xml" not in names:
        return False
    types = archive.open("[Content_Types].xml").read(MAX_PROLOG_BYTES)
    return b"macroEnabled" in types


def _check_prolog(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, refused: type[Exception], *, allow_doctype: bool
) -> None:
    """Refuse an XML part that declares entities (billion laughs, external entities) or, where the format
    never has one, any document type declaration. Only the prolog is read (up to the root element)."""
    try:
        with archive.open(info) as part:
            head = part.read(MAX_PROLOG_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise refused("not_readable", f"part {info.filename!r} is damaged ({exc})") from exc
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
        head = head.decode("utf-16", "replace").encode("utf-8")
    prolog = _COMMENT.sub(b"", head)
    root = _ROOT_START.search(prolog)
    if root is None and len(head) >= MAX_PROLOG_BYTES:
        raise refused("unsafe", f"part {info.filename!r} has no root element in its first MiB")
    prolog = prolog[: root.start()] if root else prolog
    if b"<!ENTITY" in prolog:
        raise refused("unsafe", f"part {info.filename!r} declares XML entities (entity expansion is refused)")
    if b"<!DOCTYPE" in prolog and (not allow_doctype or b"[" in prolog):
        raise refused(
            "unsafe", f"part {info.filename!r} declares a document type (refused: it can pull in entities)"
        )
