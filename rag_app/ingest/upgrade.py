"""Giving documents indexed before the multilingual model its vectors, from their kept originals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag_app.ingest.pipeline import FileOutcome, IngestReport, InputFile
from rag_app.store import KnowledgeStore


def originals_to_upgrade(
    store: KnowledgeStore, documents: Sequence[dict[str, Any]]
) -> tuple[list[InputFile], IngestReport]:
    """The kept original of each document, to be read again; a line for each whose original is gone."""
    files, report = [], IngestReport()
    for d in documents:
        original = store.original(d["sha256"])
        if original is None:
            reason = "its original was not kept: ingest the file again"
            report.outcomes.append(FileOutcome(d["source"], "rejected", reason=reason))
        else:
            files.append(InputFile(original, d["source"]))
    return files, report
