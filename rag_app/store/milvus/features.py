"""What the Milvus at the other end can do, read once at connect time.

Sparse vectors came in Milvus 2.4 and the BM25 function (full-text search in the server) in 2.5;
Milvus Lite emulates the newest. A store on an older server keeps its texts and tokens in Milvus
and scores BM25 itself (``lexicon.py``), and says so, instead of failing on the first index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")
BM25_SINCE = (2, 5)


@dataclass(frozen=True)
class ServerFeatures:
    """The server's version and whether Milvus scores BM25 for us."""

    version: str
    lite: bool
    bm25: bool

    @property
    def lexical(self) -> str:
        """How words are matched, as ``rag-app info``, the JSON and the app say it."""
        if self.bm25:
            return f"Milvus BM25 function ({'Milvus Lite' if self.lite else 'server ' + self.version})"
        return f"local BM25 over the stored tokens (server {self.version} has no BM25 function)"


def version_tuple(version: str) -> tuple[int, int, int] | None:
    """``v2.3.5-lite`` -> (2, 3, 5); None for a version we cannot read."""
    found = _VERSION.search(version)
    return (int(found[1]), int(found[2]), int(found[3] or 0)) if found else None


def detect(client: Any, lite: bool) -> ServerFeatures:
    """Milvus Lite has BM25; a server has it from 2.5 on. An unreadable version is taken as new:
    creating the BM25 index then fails loudly rather than silently scoring words worse."""
    if lite:
        return ServerFeatures("lite", True, True)
    version = str(client.get_server_version())
    parsed = version_tuple(version)
    return ServerFeatures(version, False, parsed is None or parsed[:2] >= BM25_SINCE)


def has_field(client: Any, collection: str, field: str) -> bool:
    """Whether an existing collection has ``field`` (a store made on a 2.3 server keeps its shape
    after the server is upgraded)."""
    described = client.describe_collection(collection)
    return any(f.get("name") == field for f in described.get("fields", []))
