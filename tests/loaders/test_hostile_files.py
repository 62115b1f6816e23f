"""Hostile files are named, not followed: each refused with its reason, fast, by the sandboxed worker."""

from __future__ import annotations

import pytest

from loaders import LoadLimits, NotReadableDocumentError, UnsafeFileError, UnsupportedTypeError, load
from tests.fixtures import hostile_files as hostile
from tests.fixtures import office_files as make

BUDGET_S = 20.0
LIMITS = LoadLimits(timeout_s=BUDGET_S)


@pytest.fixture
def good_docx(tmp_path):
    return make.docx_file(tmp_path / "good.docx")


def refused(path, limits=LIMITS):
    # The refusal is the reader's own (a TimedOutError is none of these three), not the budget running out.
    with pytest.raises((UnsafeFileError, NotReadableDocumentError, UnsupportedTypeError)) as caught:
        load(path, limits=limits)
    return caught.value


def test_a_zip_bomb_is_refused(tmp_path, good_docx):
    err = refused(hostile.zip_bomb(good_docx, tmp_path / "bomb.docx"))
    assert isinstance(err, UnsafeFileError) and "a zip bomb: part 'word/media/image1.bin'" in err.reason


def test_a_part_that_claims_a_huge_size_is_refused(tmp_path, good_docx):
    err = refused(hostile.lying_sizes(good_docx, tmp_path / "liar.docx", "word/document.xml"))
    assert (
        isinstance(err, UnsafeFileError)
        and "part 'word/document.xml' claims 3,840 MiB unpacked" in err.reason
    )


def test_a_part_that_unpacks_larger_than_it_claims_is_damaged(tmp_path, good_docx):
    err = refused(
        hostile.lying_sizes(good_docx, tmp_path / "small-liar.docx", "word/document.xml", claimed=100)
    )
    assert isinstance(err, NotReadableDocumentError)


@pytest.mark.parametrize(
    ("maker", "part"),
    [
        (make.docx_file, "word/document.xml"),
        (make.xlsx_file, "xl/worksheets/sheet1.xml"),
        (make.pptx_file, "ppt/slides/slide1.xml"),
        (make.epub_file, "OEBPS/two.xhtml"),
    ],
)
def test_xml_that_declares_entities_is_refused(tmp_path, maker, part):
    source = maker(tmp_path / f"good.{part.split('/')[0]}")
    for prolog in (hostile.LAUGHS, hostile.EXTERNAL):
        err = refused(hostile.entities(source, tmp_path / "laughs", part, prolog))
        assert isinstance(err, UnsafeFileError) and f"part {part!r} declares XML entities" in err.reason


def test_macros_are_refused_by_name(tmp_path, good_docx):
    err = refused(hostile.macros(good_docx, tmp_path / "report.docm"))
    assert "a macro-enabled DOCX" in err.reason


def test_too_many_parts_are_refused(tmp_path, good_docx):
    err = refused(
        hostile.many_parts(good_docx, tmp_path / "parts.docx", 60),
        LoadLimits(timeout_s=BUDGET_S, max_zip_parts=50),
    )
    assert "ZIP container of" in err.reason and "the limit is 50" in err.reason


def test_deeply_nested_html_is_refused_not_read_in_part(tmp_path):
    (tmp_path / "deep.html").write_bytes(hostile.deep_html())
    err = refused(tmp_path / "deep.html")
    assert isinstance(err, UnsafeFileError) and "HTML nested more than 256 elements deep" in err.reason


def test_a_renamed_executable_and_an_unknown_zip_are_unsupported(tmp_path):
    import zipfile

    (tmp_path / "setup.docx").write_bytes(b"MZ\x90\x00" + bytes(300))
    assert "Windows executable" in refused(tmp_path / "setup.docx").reason
    with zipfile.ZipFile(tmp_path / "photos.docx", "w") as archive:
        archive.writestr("a.txt", "hello")
    assert "a ZIP archive, not DOCX, PPTX, XLSX, EPUB or ODT" in refused(tmp_path / "photos.docx").reason


def test_a_damaged_docx_is_not_readable(tmp_path, good_docx):
    data = good_docx.read_bytes()
    (tmp_path / "cut.docx").write_bytes(data[: len(data) // 2])
    assert isinstance(refused(tmp_path / "cut.docx"), NotReadableDocumentError)


def test_a_file_that_outlasts_its_budget_is_stopped_and_named(tmp_path):
    from loaders import TimedOutError

    sheet = make.xlsx_file(tmp_path / "big.xlsx", rows=[(f"r{i}", "Q1", i) for i in range(20_000)])
    # Read to its end, the sheet loads; the TimedOutError shows the budget stopped it first.
    with pytest.raises(TimedOutError, match=r"took the file's budget of 0\.5 s"):
        load(sheet, limits=LoadLimits(timeout_s=0.5))
