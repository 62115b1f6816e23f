"""Where vectors and texts live: a small store protocol, FAISS by default.

``FaissStore`` is both the protocol's default backend and a LangChain ``VectorStore``.
"""

from rag_app.store.errors import DamagedStoreError, StoreBusyError, StoreError, StoreMismatchError
from rag_app.store.faiss_store import FaissStore, unit_rows
from rag_app.store.manifest import Manifest, read_manifest
from rag_app.store.segment_store import EXACT_LIMIT, Hit, NewChunk, SegmentStore
from rag_app.store.segments import CompactionPolicy

__all__ = [
    "EXACT_LIMIT",
    "CompactionPolicy",
    "DamagedStoreError",
    "FaissStore",
    "Hit",
    "Manifest",
    "NewChunk",
    "SegmentStore",
    "StoreBusyError",
    "StoreError",
    "StoreMismatchError",
    "read_manifest",
    "unit_rows",
]
