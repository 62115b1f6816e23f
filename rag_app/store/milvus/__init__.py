"""The Milvus backend: Milvus Lite (a local file) or a Milvus server, through one client."""
