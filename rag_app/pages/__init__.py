"""Passages on their pages: rectangles found at ingest, and the page viewer's drawings."""
