"""URLs fit to show: what a log line, an error or the banner may say of a server's address."""

from __future__ import annotations

import re

_CREDENTIALS = re.compile(r"//[^/]*@")  # greedy to the last "@" before the path: a password may hold "@"


def redact(url: str) -> str:
    """``http://user:p@ss@host/v1`` -> ``http://host/v1``: no user, no password."""
    return _CREDENTIALS.sub("//", url, count=1)
