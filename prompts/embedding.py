"""Query instructions for instruction-aware embedding models (Qwen3-Embedding)."""

# The Qwen3-Embedding authors' default task; instructions are written in English even for
# Chinese queries, as the model card advises.
DEFAULT_QUERY_TASK = "Given a web search query, retrieve relevant passages that answer the query"


def format_query(task: str, query: str) -> str:
    """Qwen3-Embedding's query format; note: no space after ``Query:``."""
    return f"Instruct: {task}\nQuery:{query}"
