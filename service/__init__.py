"""The retrieval API (FastAPI), its settings and the `rus` command line."""
