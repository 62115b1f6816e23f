"""The "Behind the scenes" tab: how a question looks to the retriever (its vector, side by side with another)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
import pandas as pd

from rag_app.service import Service
from rag_app.ui.refusals import plainly, refusal
from rag_app.ui.render import vector_frame


def inspector_tab(kb: Callable[[gr.Request | None], Service]) -> None:
    """Lays out the tab inside the app's Blocks and wires its button (``api_name="inspect"``)."""

    @plainly
    def inspect_vectors(first: str, second: str, request: gr.Request) -> tuple[Any, ...]:
        if not (first or "").strip():
            raise refusal("Type a query to inspect.")
        texts = [t for t in (first, second) if (t or "").strip()]
        vectors = kb(request).embed_queries(texts)
        frames = [vector_frame(v.tolist(), f"query {i + 1}") for i, v in enumerate(vectors)]
        frame = pd.concat(frames, ignore_index=True)
        summary = f"Each query becomes a vector of **{vectors.shape[1]}** numbers (unit length)."
        if len(vectors) == 2:
            summary += f" Cosine similarity of the two queries: **{float(vectors[0] @ vectors[1]):.3f}**."
        # float64 before rounding: a float32 0.0424 prints as 0.042399998754262924
        table = pd.DataFrame({f"query {i + 1}": v[:50].astype(float).round(4) for i, v in enumerate(vectors)})
        return summary, frame, table

    with gr.Tab("Behind the scenes"):
        gr.Markdown("How a question looks to the retriever: its vector, first 50 values.")
        with gr.Row():
            first = gr.Textbox(label="Query 1", value="I want something to eat")
            second = gr.Textbox(label="Query 2 (compare)", value="I am hungry")
        show = gr.Button("Show vectors")
        vec_summary = gr.Markdown()
        # One line per query, side by side on the same axes (bars would stack the two into one).
        plot = gr.LinePlot(x="dimension", y="value", color="query", height=300, label="First 50 values")
        values = gr.Dataframe(label="First 50 values", interactive=False)

    show.click(inspect_vectors, [first, second], [vec_summary, plot, values], api_name="inspect")
