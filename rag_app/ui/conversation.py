"""The chat as the conversation stages read it: Gradio's messages back to the plain text they showed.

The chatbot holds what was rendered (Markdown with escapes, the low-confidence line, the sources);
a follow-up is resolved against what the person asked and what the answer said, nothing more.
"""

from __future__ import annotations

import html
import re
from typing import Any

_ESCAPE = re.compile(r"\\(.)")
_CUT = ("\n**Sources:**", "\n**Left out, not supported by the passages:**", "\n_Searched for:")


def plain_history(messages: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """``{"role", "content"}`` turns, oldest first, with the app's own additions removed."""
    out: list[dict[str, str]] = []
    for message in messages or []:
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            continue
        text = _text_of(message.get("content"))
        if role == "assistant":
            for marker in _CUT:
                text = text.split(marker, 1)[0]
            text = "\n".join(line for line in text.splitlines() if not line.startswith("⚠️"))
        text = html.unescape(_ESCAPE.sub(r"\1", text)).strip()
        if text:
            out.append({"role": role, "content": text})
    return out


def _text_of(content: Any) -> str:
    """Gradio 6 sends a message's content as a list of typed parts."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""
