"""Files in, chunks stored: the ingest pipeline, chunking (tables by rows under their header)."""
