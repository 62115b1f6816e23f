"""What the app shows, as pure functions of the service's results (tested directly): every piece
of text that came from a document or a model is escaped here, never rendered as markup."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from rag_app.service import SCORE_NAMES, Answer, HealthReport, PageView, RetrievalResult

GREEN, AMBER = "#2e9d4f", "#c98a00"


def render_banner(info: dict[str, Any], backend_name: str) -> str:
    text = (
        f"**Embedding model:** {html.escape(info['name'])} · {info['dimensions']} dims · "
        f"{html.escape(info['device'])} ({html.escape(info['dtype'])}) "
        f"&nbsp;|&nbsp; **Answers:** {html.escape(backend_name)}"
    )
    if info.get("second_model"):
        text += f" &nbsp;|&nbsp; **Other languages:** {html.escape(info['second_model'])}"
    if info.get("lexical_fallback"):
        text += f" &nbsp;|&nbsp; **Words:** {html.escape(info['lexical'])}"
    if info["is_fallback"]:  # one calm line: the app works; this says what a stronger setup would change
        text += (
            "\n\n<span class='fallback'>Offline model in use (Qwen3-Embedding-4B is not here: "
            f"{html.escape(info['reason'])}). "
            "The README's “Models” section says how to use it.</span>"
        )
    return text


def render_passages(result: RetrievalResult) -> str:
    """Scored passages as HTML; every piece of document text is escaped, never rendered.

    Each passage shows its cosine and, when something else ranked it, that score, labelled. The colour
    is the passage's relevance (its cosine against the model's relevance line, or the question's words it
    holds where the model cannot read the question); a cosine that means nothing for this model and
    this language is shown grey and said to be so, never green.
    """
    if not result.passages:
        return "<p>No passages: the knowledge base is empty.</p>"
    parts = []
    if result.ambiguity.ambiguous:
        parts.append(
            f"<div class='ambiguity'>⚠️ Top-3 ambiguity: {html.escape(result.ambiguity.message)}</div>"
        )
    meaningful = result.evidence == "dense"
    ranked_by = SCORE_NAMES.get(result.rank_by, result.rank_by)
    for p in result.passages:
        colour = GREEN if p.relevant else AMBER
        page = f", page {p.page}" if p.page else ""
        page += f" · {html.escape(p.location)}" if p.location else ""
        page += " · <i>library</i>" if p.collection else ""
        cosine = (
            f"cosine <b>{p.score:.3f}</b>"
            if meaningful
            else f"<span class='muted'>cosine {p.score:.3f} (not meaningful for this model)</span>"
        )
        rank = (
            f" · {html.escape(ranked_by)} <b>{p.rank_score:.3f}</b> (ranked by)"
            if result.rank_by != "cosine" and p.rank_score is not None
            else ""
        )
        width = max(0.0, min(1.0, p.score if meaningful else (p.rank_score or 0.0))) * 100
        parts.append(
            f"<div class='passage' style='--c:{colour}'>"
            f"<div class='meta'><b>[{p.rank}]</b> {cosine}{rank} · "
            f"{html.escape(str(p.source))}{page}</div>"
            f"<div class='bar' style='width:{width:.0f}%'></div>"
            f"<div class='text'>{html.escape(p.text)}</div></div>"
        )
    parts.append(f"<p class='meta'>{html.escape(legend(result))}</p>")
    return "\n".join(parts)


def legend(result: RetrievalResult) -> str:
    """What the colours and the ambiguity warning mean for this result, with the same figures they use."""
    a = result.ambiguity
    if result.evidence == "dense":
        green = f"Green: cosine ≥ {result.thresholds.relevant} (relevant for this model)."
    else:
        green = "Green: the passage holds enough of the question's words (this model cannot compare its language by meaning)."
    gap = f"a relative {a.score} gap" if a.relative else f"a {a.score} gap"
    return f"{green} Ranked by {SCORE_NAMES.get(result.rank_by, result.rank_by)}; ambiguity warning at {gap} under {a.threshold} between ranks 1 and 2."


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~>])")


def safe_text(text: str) -> str:
    """Text from a document or a model, shown literally in the chat's Markdown: no HTML, and no
    image or link syntax (a passage holding ``![x](http://host/p)`` must not make a browser fetch)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def render_draft(draft: str) -> str:
    """What a model has written so far: shown as a draft, never as fact, until it is checked."""
    return f"{safe_text(draft)}\n\n_(draft: being checked against the passages)_"


_MARKER = re.compile(r"\\\[(\d+)\\\]")
"""A citation marker as ``safe_text`` writes it: ``\\[1\\]``."""


def clickable_citations(shown: str, answer: Answer) -> str:
    """Each [n] of the answer becomes a link to its passage: the page script opens the passage whose
    chunk id it carries (looked up in the asker's own knowledge base, like any passage opened)."""
    chunks = {p.rank: p.chunk_id for p in answer.retrieval.passages}
    cited = {c.number for c in answer.citations}

    def link(m: re.Match[str]) -> str:
        n = int(m[1])
        if n not in cited or n not in chunks or not re.fullmatch(r"[\w-]+", chunks[n]):
            return m[0]
        return (
            # The chunk id rides in the href: the chat's sanitiser keeps href, class and title, not data-*.
            f'<a class="cite" href="#cite-{chunks[n]}" title="Open passage {n}">[{n}]</a>'
        )

    return _MARKER.sub(link, shown)


def render_answer(answer: Answer) -> str:
    lines = [clickable_citations(safe_text(answer.text), answer)]
    if answer.low_confidence:
        lines.insert(0, f"⚠️ **Low confidence:** {safe_text(answer.confidence)}\n")
    if answer.citations:
        sources = [
            f"\\[{c.number}\\] {safe_text(str(c.source))}"
            + (f", p. {c.page}" if c.page else "")
            + (f", {safe_text(c.location)}" if c.location else "")
            + (" (matched)" if c.attributed else "")
            for c in answer.citations
        ]
        lines.append("\n**Sources:** " + "; ".join(sources))
    if answer.unsupported:
        left_out = "; ".join(f"“{safe_text(s)}”" for s in answer.unsupported)
        lines.append(f"\n**Left out, not supported by the passages:** ~~{left_out}~~")
    lines.extend(f"\n_{safe_text(n)}_" for n in answer.notices)
    searched, plan = list(dict.fromkeys(answer.retrieval.searched_for)), answer.retrieval.plan
    # A follow-up (or a rewrite) says what was actually looked up; a new topic is searched as asked
    # (the earlier questions only nudge it, and saying so under every answer would be noise).
    if (
        searched != [answer.retrieval.query]
        and plan is not None
        and (plan.kind == "follow-up" or plan.rewrites)
    ):
        lines.append("\n_Searched for: " + " · ".join(f"“{safe_text(q)}”" for q in searched) + "_")
    return "\n".join(lines)


def documents_frame(documents: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per document: what read its pages (pdfium, pypdf, pdfminer, ocr) and which it could not."""
    rows = []
    for d in documents:
        read_by = ", ".join(f"{name} {n}" for name, n in (d.get("extractors") or {}).items())
        unreadable = ", ".join(str(page) for page, _ in d.get("unreadable_pages") or [])
        rows.append((d["source"], d["chunks"], d["pages"] or "", read_by, unreadable))
    return pd.DataFrame(rows, columns=["document", "chunks", "pages", "read by", "unreadable pages"])


def render_summary(stats: dict[str, Any], health: HealthReport) -> str:
    spread = "n/a" if health.mean_pairwise_cosine is None else f"{health.mean_pairwise_cosine:.2f}"
    lines = [
        f"**{stats['files']} documents · {stats['vectors']} chunks · {stats['dimensions']} dimensions**",
        (
            f"Index holds {stats['index_bytes']:,} bytes; "
            if stats["index_bytes"] is not None
            else "Index kept by Milvus; "
        )
        + f"N × d × 4 = {stats['estimate_bytes']:,} bytes ({stats['search']}).",
        f"Health: {health.short_chunks} very short, {health.long_chunks} very long chunks, "
        f"{health.near_duplicate_pairs} near-duplicate pairs, mean pairwise cosine {spread}.",
        *[f"- {a}" for a in health.advice],
    ]
    return "\n\n".join(lines)


def passage_choices(result: RetrievalResult) -> Any:
    """The passages as choices to open: labelled like their citations, valued by chunk id (looked up
    in the asker's own knowledge base, never used as a path)."""
    choices = [
        (f"[{p.rank}] {p.source}" + (f", page {p.page}" if p.page else ""), p.chunk_id)
        for p in result.passages
    ]
    return gr.Radio(choices=choices, value=None)


def viewer_outputs(view: PageView, chunk_id: str) -> tuple[Any, ...]:
    """What the viewer shows: a page image, or a text passage in its surroundings."""
    state = {"chunk_id": chunk_id, "page": view.page, "pages": view.pages}
    if view.png is not None:
        return gr.Image(value=Image.open(io.BytesIO(view.png)), visible=True), "", state
    return gr.Image(value=None, visible=False), excerpt_html(view), state  # text: no empty page box


def excerpt_html(view: PageView) -> str:
    """A text passage marked within its surroundings; every character of the document escaped."""
    e = view.excerpt
    if e is None:
        return ""
    return (
        f"<div class='text-view'>{'…' if e.cut_before else ''}{html.escape(e.before)}"
        f"<mark>{html.escape(e.passage)}</mark>{html.escape(e.after)}{'…' if e.cut_after else ''}</div>"
    )


def vector_frame(vector: list[float], label: str, n: int = 50) -> pd.DataFrame:
    values = [round(float(v), 4) for v in vector[:n]]
    return pd.DataFrame({"dimension": list(range(len(values))), "value": values, "query": label})
