"""Finding a passage among a page's characters, and the rectangles that cover it."""

from __future__ import annotations

from loaders.page_geometry import line_rects, locate, normalised, ocr_rects


def test_matching_tolerates_what_the_loader_changed():
    page = "Lorem ipsum dolor sit amet, consectetuer adip\ufffe\r\niscing elit. Ut purus ﬁnis."
    passage = "consectetuer adipiscing elit. Ut purus finis."  # hyphen mark gone, ligature unfolded
    found = locate(page, passage)
    assert page[found[0]] == "c" and page[found[-1]] == "."
    assert "".join(page[i] for i in found).replace("\ufffe", "") == "consectetueradipiscingelit.Utpurusﬁnis."


def test_a_passage_in_pieces_is_found_line_by_line():
    page = "Revenue 10 20\nThree Months Ended\nProducts 5 6\nServices 7 8\n"
    table_chunk = "Three Months Ended\nServices 7 8"  # header above, one row below another
    found = locate(page, table_chunk)
    text = "".join(page[i] for i in found)
    assert text == "ThreeMonthsEndedServices78"
    assert locate(page, "nowhere to be found") == []


def test_boxes_merge_into_one_rectangle_per_line():
    line_one = [(10 + 6 * i, 700, 15 + 6 * i, 710) for i in range(5)]
    line_two = [(10 + 6 * i, 686, 15 + 6 * i, 696) for i in range(3)]
    assert line_rects(line_one + line_two) == [[10, 700, 39, 710], [10, 686, 27, 696]]
    # A column away on the same baseline is another rectangle, not one spanning the gutter.
    assert len(line_rects([(10, 700, 15, 710), (300, 700, 305, 710)])) == 2


def test_ocr_lines_make_the_rectangles_of_an_ocr_page():
    lines = [
        ["The LinnSequencer", 200, 740, 400, 764],
        ["32 Track MIDI", 130, 716, 470, 744],
        ["Other", 1, 1, 2, 2],
    ]
    assert ocr_rects(lines, "The LinnSequencer\n32 Track MIDI") == [
        [200, 740, 400, 764],
        [130, 716, 470, 744],
    ]
    assert normalised("A b\u00adc")[0] == "abc"
