"""The Gradio face: ``build_app(settings, service)`` lays out the app, ``launch`` serves it."""

from rag_app.ui.app import build_app
from rag_app.ui.launch import launch

__all__ = ["build_app", "launch"]
