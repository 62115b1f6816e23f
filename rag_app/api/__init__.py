"""The open doors: an OpenAI-compatible chat endpoint, an HTTP API and an MCP server, all answering
through the same service as the Gradio app, with the same checked, cited answers.

``ProtocolDoors`` sits in front of the Gradio app (one host, one port) and takes ``/v1``, ``/api``
and ``/mcp``; ``mcp_server`` also runs alone over stdio (``rag-app mcp``).
"""

from rag_app.api.callers import Caller, Identify
from rag_app.api.doors import ProtocolDoors
from rag_app.api.mcp_tools import mcp_server

__all__ = ["Caller", "Identify", "ProtocolDoors", "mcp_server"]
