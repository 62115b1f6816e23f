"""Turn PDFs and text files into page-aware LangChain documents."""

from loaders.errors import (
    EmptyDocumentError,
    LoaderError,
    NoExtractableTextError,
    NotReadablePdfError,
    PasswordProtectedError,
    TimedOutError,
    TooLargeError,
    UnsupportedTypeError,
)
from loaders.limits import LoadLimits
from loaders.load import file_sha256, load

__all__ = [
    "EmptyDocumentError",
    "LoadLimits",
    "LoaderError",
    "NoExtractableTextError",
    "NotReadablePdfError",
    "PasswordProtectedError",
    "TimedOutError",
    "TooLargeError",
    "UnsupportedTypeError",
    "file_sha256",
    "load",
]
