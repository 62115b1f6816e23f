"""Retrieval: dense cosine search fused with BM25, ranks, the Top-3 ambiguity verdict, thresholds."""
