"""Every prompt text the app uses, in one place."""

from prompts.answer import ANSWER_PROMPT, COMPACT_ANSWER_PROMPT, NO_ANSWER_TEXT, SYSTEM_PROMPT
from prompts.embedding import DEFAULT_QUERY_TASK, format_query

__all__ = [
    "ANSWER_PROMPT",
    "COMPACT_ANSWER_PROMPT",
    "DEFAULT_QUERY_TASK",
    "NO_ANSWER_TEXT",
    "SYSTEM_PROMPT",
    "format_query",
]
