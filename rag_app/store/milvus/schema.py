"""The four Milvus collections of a store (chunks, refs, files, meta), created where missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rag_app.store.milvus.keys import NAME_BYTES, TEXT_BYTES


def create_collections(
    client: Any, name: Callable[[str], str], dimensions: int, index_type: str, *, bm25: bool = True
) -> None:
    """Create each of a store's collections that does not exist yet (a no-op for an existing store).

    ``bm25``: give the texts a sparse field filled by Milvus's BM25 function (2.5+); without it the
    tokens are stored plain, for the local BM25 (``lexicon.py``)."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    def create(part: str, schema: Any, index: Any) -> None:
        try:
            client.create_collection(
                name(part), schema=schema, index_params=index, consistency_level="Strong"
            )
        except Exception:
            # Two processes opening a new store at once both try; the loser finds it made.
            if not client.has_collection(name(part)):
                raise
        client.load_collection(name(part))

    def plain(part: str, fields: list[tuple[str, Any, dict[str, Any]]]) -> None:
        # Milvus wants a vector field in every collection; ledgers carry a constant 2-d one.
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("key", DataType.INT64, is_primary=True)
        for field, kind, params in fields:
            schema.add_field(field, kind, **params)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
        index = client.prepare_index_params()
        index.add_index("unused", index_type="FLAT", metric_type="L2")
        create(part, schema, index)

    if not client.has_collection(name("chunks")):
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("key", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimensions)
        schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
        schema.add_field("context", DataType.VARCHAR, max_length=TEXT_BYTES)
        schema.add_field("length", DataType.INT64)
        index = client.prepare_index_params()
        index.add_index("vector", index_type=index_type, metric_type="IP")
        if bm25:
            schema.add_field(
                "tokens",
                DataType.VARCHAR,
                max_length=TEXT_BYTES,
                enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"},
            )
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["tokens"],
                    output_field_names=["sparse"],
                )
            )
            index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        else:
            schema.add_field("tokens", DataType.VARCHAR, max_length=TEXT_BYTES)
        create("chunks", schema, index)
    if not client.has_collection(name("refs")):
        plain(
            "refs",
            [
                ("fid", DataType.INT64, {}),
                ("source_key", DataType.INT64, {}),
                ("chunk_key", DataType.INT64, {}),
                ("seq", DataType.INT64, {}),
                ("source", DataType.VARCHAR, {"max_length": NAME_BYTES}),
                ("chunk_id", DataType.VARCHAR, {"max_length": NAME_BYTES}),
                ("metadata", DataType.JSON, {}),
            ],
        )
    if not client.has_collection(name("files")):
        plain(
            "files",
            [
                ("sha_key", DataType.INT64, {}),
                ("source", DataType.VARCHAR, {"max_length": NAME_BYTES}),
                ("info", DataType.JSON, {}),
            ],
        )
    if not client.has_collection(name("meta")):
        plain("meta", [("value", DataType.JSON, {})])
