"""Turn PDFs, Office files, EPUB, ODT, HTML, Markdown, CSV, text and images into page-aware LangChain
documents, each parsed where a hostile file can do no harm."""

from loaders.errors import (
    EmptyDocumentError,
    LoaderError,
    NoExtractableTextError,
    NotReadableDocumentError,
    NotReadablePdfError,
    PasswordProtectedError,
    TimedOutError,
    TooLargeError,
    UnsafeFileError,
    UnsupportedTypeError,
)
from loaders.limits import LoadLimits
from loaders.load import file_sha256, load

__all__ = [
    "EmptyDocumentError",
    "LoadLimits",
    "LoaderError",
    "NoExtractableTextError",
    "NotReadableDocumentError",
    "NotReadablePdfError",
    "PasswordProtectedError",
    "TimedOutError",
    "TooLargeError",
    "UnsafeFileError",
    "UnsupportedTypeError",
    "file_sha256",
    "load",
]
