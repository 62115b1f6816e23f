"""The default backend: append-only FAISS segments and a SQLite docstore in the store folder."""
