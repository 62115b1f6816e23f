"""Compaction: rewrite segments without their dead rows, and merge small ones, under the writer lock.

Readers are never held up and never lose a vector: each rewrite commits, then publishes the new
segment list, and only then removes the files it replaced. A reader still searching one of those
keeps its memory mapping (on Linux an unlinked file's pages live as long as they are mapped); a
reader that opens the segments of an older commit meanwhile finds a file gone and reads again.
"""

from __future__ import annotations

import numpy as np

from rag_app.store.faiss.docstore import Docstore
from rag_app.store.faiss.segments import CompactionPolicy, Segment, plan_compaction
from rag_app.store.faiss.snapshot import Snapshots, StoreState


def compact(
    db: Docstore, snapshots: Snapshots, state: StoreState, policy: CompactionPolicy, *, everything: bool
) -> int:
    """Rewrite what ``policy`` asks (all of it into one segment with ``everything``); ``state`` is the
    last commit, read under the writer lock. Returns how many segments were rewritten."""
    files = snapshots.files
    # Under the writer lock every file no commit names is a leftover of a writer killed before it
    # committed: nobody else is writing one, and no reader was ever told of it.
    if orphans := files.orphans({s.row.name for s in state.segments.values()}):
        files.remove(orphans)
    segments = list(state.segments.values())
    if everything:
        groups = [segments] if len(segments) > 1 or any(len(s.dead) for s in segments) else []
    else:
        groups = plan_compaction(segments, policy)
    for group in groups:
        _rewrite(db, snapshots, group)
    return sum(len(g) for g in groups)


def _rewrite(db: Docstore, snapshots: Snapshots, group: list[Segment]) -> None:
    files = snapshots.files
    parts = [s.vectors() for s in group]
    fids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    order = np.argsort(fids, kind="stable")
    vectors = (
        np.concatenate([p[1] for p in parts])[order]
        if len(fids)
        else np.zeros((0, files.dimensions), np.float32)
    )
    # Written before the transaction that names it, as every segment is: a crash in between leaves
    # an orphan file (removed by the next writer), never a row without its file.
    written = files.write(fids[order], vectors) if len(fids) else None
    with db.transaction():
        new_id = db.add_segment(*written) if written is not None else None
        db.replace_segments([s.row.id for s in group], new_id)
        db.bump_generation()
    snapshots.catch_up(db)
    files.remove([s.row.name for s in group])
