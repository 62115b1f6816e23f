"""Embedding models as LangChain ``Embeddings``: in process (Qwen3, the bundled MiniLM) or served."""
