from __future__ import annotations

import codecs

import pytest

from loaders import (
    EmptyDocumentError,
    LoadLimits,
    NotReadableDocumentError,
    TooLargeError,
    UnsupportedTypeError,
    load,
)


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Grüße aus Köln. 你好。".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "Grüße 你好".encode(), "utf-8-sig"),
        ("Grüße 你好".encode("utf-16"), "utf-16"),
        ("北京是中国的首都。苹果很好吃。".encode("gb18030"), "gb18030"),
        ("résumé café naïve".encode("latin-1"), "latin-1"),
    ],
)
def test_text_encodings(tmp_path, data, encoding):
    docs = load(write(tmp_path, "a.txt", data))
    assert docs[0].metadata["encoding"] == encoding
    assert docs[0].metadata["page"] is None
    assert data.decode(encoding).strip().lstrip("\ufeff")[:4] == docs[0].page_content[:4]


def test_control_characters_and_nul_are_cleaned(tmp_path):
    docs = load(write(tmp_path, "a.md", b"# Title\x00\n\nSome\x07 text\x1b here.\n"))
    text = docs[0].page_content
    assert "\x00" not in text and "\x07" not in text and "\x1b" not in text
    assert "Some" in text and "here." in text


def test_ligatures_normalised(tmp_path):
    assert (
        load(write(tmp_path, "a.txt", "e\ufb03cient \ufb02ow".encode()))[0].page_content == "efficient flow"
    )


def test_type_comes_from_bytes_not_name(tmp_path, pdf_fixtures):
    renamed_pdf = write(tmp_path, "notes.txt", (pdf_fixtures / "single-page-text.pdf").read_bytes())
    assert load(renamed_pdf)[0].metadata["file_type"] == "pdf"
    with pytest.raises(UnsupportedTypeError, match="ELF executable"):
        load(write(tmp_path, "report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200))
    with pytest.raises(NotReadableDocumentError, match="not a readable image"):  # a PNG, but a broken one
        load(write(tmp_path, "x.md", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100))
    with pytest.raises(UnsupportedTypeError, match="GIF image"):
        load(write(tmp_path, "x.png", b"GIF89a" + b"\x00" * 100))


def test_empty_and_whitespace_files(tmp_path):
    with pytest.raises(EmptyDocumentError):
        load(write(tmp_path, "e.txt", b""))
    with pytest.raises(EmptyDocumentError):
        load(write(tmp_path, "w.txt", b"  \n\t \n"))


def test_size_limit(tmp_path):
    with pytest.raises(TooLargeError, match="too large"):
        load(write(tmp_path, "big.txt", b"a" * 2048), limits=LoadLimits(max_file_bytes=1024))


def test_source_is_never_a_full_path(tmp_path):
    docs = load(write(tmp_path, "a.txt", b"hello world"))
    assert docs[0].metadata["source"] == "a.txt"
