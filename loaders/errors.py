"""Typed loader errors: each carries a short machine-readable ``code`` and a plain-language reason."""

from __future__ import annotations


class LoaderError(Exception):
    """A file could not be turned into documents; ``str(err)`` is a reason a person can act on."""

    code = "unreadable"

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source


class PasswordProtectedError(LoaderError):
    code = "password_protected"


class NoExtractableTextError(LoaderError):
    code = "no_text"


class EmptyDocumentError(LoaderError):
    code = "empty"


class NotReadablePdfError(LoaderError):
    code = "not_readable_pdf"


class UnsupportedTypeError(LoaderError):
    code = "unsupported_type"


class TooLargeError(LoaderError):
    code = "too_large"


class TimedOutError(LoaderError):
    code = "timed_out"


__all__ = [
    "EmptyDocumentError",
    "LoaderError",
    "NoExtractableTextError",
    "NotReadablePdfError",
    "PasswordProtectedError",
    "TimedOutError",
    "TooLargeError",
    "UnsupportedTypeError",
]
