"""A real browser (Debian's Chromium, driven by Playwright) uses the app like a person would."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SAMPLE_DOCS
from tests.rag_app.ui.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_upload_ask_and_see_passages(running_app, browser, tmp_path):
    from playwright.sync_api import expect

    demo, _ = running_app
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(demo.local_url)
    expect(page.locator("#banner")).to_contain_text("Embedding model", timeout=60_000)
    assert "Embedding model" in page.locator("#banner").inner_text()

    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files(
        [str(SAMPLE_DOCS / "everyday.md"), str(SAMPLE_DOCS / "rag-app-guide.pdf")]
    )
    # Indexing must wait for the upload: Gradio lists each file with its size once it has arrived.
    expect(page.locator("#upload")).to_contain_text(
        re.compile(r"rag-app-guide\s*\.pdf\s*[\d.]+\s*KB"), timeout=60_000
    )
    expect(page.locator("#upload")).to_contain_text(
        re.compile(r"everyday\s*\.md\s*[\d.]+\s*B"), timeout=60_000
    )
    page.locator("#index").click()
    expect(page.locator("#outcomes")).to_contain_text("from 4 pages", timeout=120_000)
    outcomes = page.locator("#outcomes").inner_text()
    assert "rag-app-guide.pdf" in outcomes and "everyday.md" in outcomes

    page.get_by_role("tab", name="Chat").click()
    expect(page.locator("#indexed")).to_contain_text("everyday.md")  # what can be asked, said where one asks
    page.locator("#question textarea").fill("When does the library open on Saturdays?")
    page.locator("#ask").click()
    expect(page.locator("#passages .passage").first).to_be_visible(timeout=120_000)
    expect(page.locator("#chat")).to_contain_text("Saturdays", timeout=120_000)
    passages = page.locator("#passages").inner_text()
    assert "cosine" in passages and "everyday.md" in passages
    screenshot(page, "screenshot.png", tmp_path)


def test_an_image_in_a_passage_is_never_fetched_by_the_browser(running_app, browser, tmp_path):
    from playwright.sync_api import expect

    demo, _ = running_app
    note = tmp_path / "otters.md"
    note.write_text(
        "Sea otters hold hands ![tracker](http://127.0.0.1:9/pixel.png) while they sleep so that they "
        "do not <img src='http://127.0.0.1:9/raw.png'> drift apart.\n"
    )
    page = browser.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(demo.local_url)
    expect(page.locator("#banner")).to_contain_text("Embedding model", timeout=60_000)
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files([str(note)])
    expect(page.locator("#upload")).to_contain_text(re.compile(r"otters\s*\.md\s*[\d.]+\s*B"), timeout=60_000)
    page.locator("#index").click()
    expect(page.locator("#outcomes")).to_contain_text("otters.md", timeout=120_000)
    page.get_by_role("tab", name="Chat").click()
    page.locator("#question textarea").fill("Why do sea otters hold hands while they sleep?")
    page.locator("#ask").click()
    chat = page.locator("#chat")
    expect(chat).to_contain_text("pixel.png", timeout=120_000)  # the address is shown, as text
    assert chat.locator("img").count() == 0
    assert not [url for url in fetched if url.startswith("http://127.0.0.1:9/")]
    # A text source opens as its text, marked; no empty page-image box above it.
    page.locator("#open-passage label").first.click()
    expect(page.locator("#text-view mark")).to_be_visible(timeout=30_000)
    expect(page.locator("#page-view")).to_be_hidden()


def test_a_citation_opens_its_page_with_the_passage_highlighted(running_app, browser, tmp_path):
    from playwright.sync_api import expect

    demo, _ = running_app
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(demo.local_url)
    expect(page.locator("#banner")).to_contain_text("Embedding model", timeout=60_000)
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files([str(SAMPLE_DOCS / "rag-app-guide.pdf")])
    expect(page.locator("#upload")).to_contain_text(
        re.compile(r"rag-app-guide\s*\.pdf\s*[\d.]+\s*KB"), timeout=60_000
    )
    page.locator("#index").click()
    expect(page.locator("#outcomes")).to_contain_text(re.compile("indexed|skipped"), timeout=120_000)
    page.get_by_role("tab", name="Chat").click()
    page.locator("#question textarea").fill("How long does the warranty of the demo kit last?")
    page.locator("#ask").click()
    expect(page.locator("#chat")).to_contain_text("24 months", timeout=120_000)
    expect(page.locator("#open-passage label").first).to_contain_text("[1] rag-app-guide.pdf, page 4")
    expect(page.locator("#page-view")).to_be_hidden()  # no empty page box before a passage is opened
    page.locator("#chat a.cite").first.click()  # the answer's own [1]
    image = page.locator("#page-view img")
    expect(image).to_be_visible(timeout=60_000)
    assert image.evaluate("img => img.naturalWidth") > 500
    screenshot(page, "page-viewer.png", tmp_path)


def open_with_the_everyday_notes(running_app, browser):
    """The app with the sample everyday notes indexed, opened in a new page."""
    demo, service = running_app
    if not any(d["source"] == "everyday.md" for d in service.documents()):
        service.ingest([SAMPLE_DOCS / "everyday.md"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(demo.local_url)
    return page, service


def test_the_first_screen_offers_questions_from_the_documents_and_one_click_asks(running_app, browser):
    from playwright.sync_api import expect

    page, _ = open_with_the_everyday_notes(running_app, browser)
    examples = page.locator("#examples button.example")
    expect(examples.first).to_be_visible(timeout=60_000)
    offered = [t.strip() for t in examples.all_inner_texts() if t.strip()]
    assert offered and all(q.endswith(("?", "？")) for q in offered)
    examples.first.click()
    expect(page.locator("#passages .passage").first).to_be_visible(timeout=120_000)
    expect(page.locator("#chat")).to_contain_text(offered[0], timeout=60_000)  # asked, as typed
    # ... and answered from a document, its citations clickable
    expect(page.locator("#chat a.cite").first).to_be_visible(timeout=60_000)


def test_a_follow_up_in_the_chat_is_answered_from_the_conversation(running_app, browser):
    """After the Saturdays question, "And on Sundays?" alone would be refused; the chat carries it."""
    from playwright.sync_api import expect

    page, service = open_with_the_everyday_notes(running_app, browser)
    if service.chats.list():  # the last chat comes back on load: let it arrive before asking
        expect(page.locator("#saved-chats input")).not_to_have_value("", timeout=30_000)
    page.locator("#question textarea").fill("When does the library open on Saturdays?")
    page.locator("#ask").click()
    # answered: the box is cleared and the newest answer is the library's (a restored chat may hold it too)
    expect(page.locator("#question textarea")).to_have_value("", timeout=120_000)
    expect(page.locator("#chat .message-row").last).to_contain_text("ten on Saturdays", timeout=120_000)
    page.locator("#question textarea").fill("And on Sundays?")
    page.locator("#ask").click()
    last = page.locator("#chat .message-row").last
    expect(last).to_contain_text("closed on Sundays", timeout=120_000)
    expect(last).to_contain_text("Searched for", timeout=10_000)
    page.close()


def test_the_design_headline_in_the_browser_hunger_finds_the_apple(running_app, browser, tmp_path):
    """我想吃点东西 shares no word with the apple passage: found by meaning, answered from it."""
    from playwright.sync_api import expect

    demo, service = running_app
    if not any(d["source"] == "everyday_zh.txt" for d in service.documents()):
        service.ingest([SAMPLE_DOCS / "everyday_zh.txt"])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(demo.local_url)
    page.locator("#question textarea").fill("我想吃点东西")
    page.locator("#ask").click()
    expect(page.locator("#question textarea")).to_have_value("", timeout=120_000)
    expect(page.locator("#chat .message-row").last).to_contain_text("苹果", timeout=120_000)
    expect(page.locator("#passages .passage").first).to_contain_text("everyday_zh.txt")
    assert "not meaningful for this model" not in page.locator("#passages").inner_text()
    screenshot(page, "screenshot-zh.png", tmp_path)
    page.close()
