"""The `rus` command line (`main.py`, a composition point) and its command groups."""
