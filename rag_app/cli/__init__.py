"""`rag-app`: the command line (parser, commands, and the server's wiring)."""

from rag_app.cli.main import main

__all__ = ["main"]
