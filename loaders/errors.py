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


class NotReadableDocumentError(LoaderError):
    """An Office file, EPUB, ODT, HTML page or image its parser could not read (damaged, encrypted)."""

    code = "not_readable"


class UnsafeFileError(LoaderError):
    """Refused for what the file is built to do: a zip bomb, parts that lie about their size, XML
    entities, macros, markup nested past the parser's limit. Named, never followed."""

    code = "unsafe"


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
    "NotReadableDocumentError",
    "NotReadablePdfError",
    "PasswordProtectedError",
    "TimedOutError",
    "TooLargeError",
    "UnsafeFileError",
    "UnsupportedTypeError",
]
