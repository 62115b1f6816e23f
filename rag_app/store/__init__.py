"""Where vectors and texts live: a small store protocol (``KnowledgeStore``), FAISS by default.

``FaissStore`` (the default) and ``MilvusStore`` (``rag_app.store.milvus.store``, imported only when
asked for) both implement it and are both LangChain ``VectorStore``s.
"""

from rag_app.store.companion import Companion
from rag_app.store.errors import (
    DamagedStoreError,
    StoreBusyError,
    StoreError,
    StoreMismatchError,
    StoreUnavailableError,
)
from rag_app.store.factory import milvus_uri, open_companion, open_read_only, open_store, read_only_companion
from rag_app.store.faiss.segment_store import EXACT_LIMIT, SegmentStore
from rag_app.store.faiss.segments import CompactionPolicy
from rag_app.store.faiss.store import FaissStore
from rag_app.store.langchain_doors import unit_rows
from rag_app.store.manifest import Manifest, read_manifest
from rag_app.store.protocol import KnowledgeStore
from rag_app.store.records import Hit, NewChunk

__all__ = [
    "EXACT_LIMIT",
    "CompactionPolicy",
    "Companion",
    "DamagedStoreError",
    "FaissStore",
    "Hit",
    "KnowledgeStore",
    "Manifest",
    "NewChunk",
    "SegmentStore",
    "StoreBusyError",
    "StoreError",
    "StoreMismatchError",
    "StoreUnavailableError",
    "milvus_uri",
    "open_companion",
    "open_read_only",
    "open_store",
    "read_manifest",
    "read_only_companion",
    "unit_rows",
]
