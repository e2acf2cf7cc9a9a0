"""Embed chunks into a FAISS index beside a BM25 index, persist them, and search them."""
