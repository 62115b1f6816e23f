"""The upload's progress line says how long is left, from the share done, on an injected clock."""

from __future__ import annotations

from rag_app.ui.progress import WithTimeLeft


def test_the_time_left_follows_the_share_done_and_waits_for_a_first_estimate():
    now = [100.0]
    shown: list[str] = []
    progress = WithTimeLeft(lambda f, text: shown.append(text), clock=lambda: now[0])
    progress(0.0, "reading a.pdf")
    now[0] = 101.0
    progress(0.5, "reading b.pdf")  # 1 s in: too early to say
    now[0] = 110.0
    progress(0.25, "reading c.pdf: OCR of page 3/12")  # 10 s for a quarter: 30 s to go
    now[0] = 220.0
    progress(0.5, "reading d.pdf")  # 120 s for half: 2 min to go
    progress(1.0, "d.pdf: indexed 4 chunks")
    assert shown == [
        "reading a.pdf",
        "reading b.pdf",
        "reading c.pdf: OCR of page 3/12 · about 30 s left",
        "reading d.pdf · about 2 min left",
        "d.pdf: indexed 4 chunks",
    ]
