"""How Milvus rows are keyed and spelled: 63-bit integer keys (every filter compares integers only, so
no name or query becomes part of a filter expression), text ids equal on every machine, BM25 tokens
Milvus's analyzer keeps whole, and the collection a store folder gets."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag_app.store.ids import text_key

TEXT_BYTES = 65_535  # Milvus's VARCHAR limit
NAME_BYTES = 4_096
_PLAIN_TOKEN = re.compile(r"[a-z0-9]+")


def key63(value: str) -> int:
    """A stable non-negative 63-bit integer for a string (ids, names, hashes); collisions are
    checked against the stored string wherever one would matter."""
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big") >> 1


def text_fid(text: str) -> int:
    """A text's id: identical texts get the same id on every machine, so a repeated insert is a no-op."""
    return int(text_key(text)[:16], 16) >> 1


def lexical_tokens(tokens: Sequence[str]) -> str:
    """Our BM25 tokens spelled so Milvus's ``standard`` analyzer (the one Milvus Lite has) keeps each
    as one token: plain lower-case ASCII words as they are, anything else (CJK unigrams and bigrams,
    accented words) as a short hash. Lexical matching is then exactly the FAISS store's."""
    return " ".join(
        t if _PLAIN_TOKEN.fullmatch(t) else "x" + hashlib.blake2b(t.encode(), digest_size=5).hexdigest()
        for t in tokens
    )


def clip(text: str, limit: int) -> str:
    """``text`` cut at a space so its UTF-8 form fits ``limit`` bytes."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore").rsplit(" ", 1)[0]


def collection_for(store_dir: Path, explicit: str | None = None) -> str:
    """The collection of a store folder: the one named, else one derived from the folder, so each
    person's store (``people/<id>/``) and the library get collections of their own."""
    if explicit:
        return explicit
    digest = hashlib.sha256(str(Path(store_dir).expanduser().resolve()).encode()).hexdigest()[:16]
    return f"rag_{digest}"


def json_safe(value: Any) -> Any:
    """Metadata as Milvus's JSON field stores it (tuples become lists, as they would through JSON)."""
    return json.loads(json.dumps(value, ensure_ascii=False))
