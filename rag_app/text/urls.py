"""Server addresses as people write them, and as they may be shown.

One parser for every ``URL#MODEL`` setting (an answer model, an embedding model, a reranker), and one
``redact`` for everything a log line, an error, a notice, the banner or the JSON says of a URL.
"""

from __future__ import annotations

import re

_CREDENTIALS = re.compile(r"//[^/]*@")  # greedy to the last "@" before the path: a password may hold "@"
_URL = re.compile(r"\bhttps?://\S+")


def redact(url: str) -> str:
    """``http://user:p@ss@host/v1`` -> ``http://host/v1``: no user, no password."""
    return _CREDENTIALS.sub("//", url, count=1)


def redact_text(text: str) -> str:
    """Every URL inside ``text`` (an exception's message, a notice) redacted."""
    return _URL.sub(lambda m: redact(m.group(0)), text)


def split_url_model(spec: str, *, what: str, example: str, model_required: bool = True) -> tuple[str, str]:
    """``BASE_URL#MODEL`` -> (base URL without a trailing slash, model). The error names the setting
    (``what``) and shows ``example``; it never repeats the URL's credentials."""
    base, _, model = spec.partition("#")
    base = base.strip()
    if not base.startswith(("http://", "https://")) or (model_required and not model.strip()):
        raise ValueError(f"{what} {redact(spec)!r}: write {example}")
    return base.rstrip("/"), model.strip()
