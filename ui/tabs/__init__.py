"""One module per tab of the UI, each with its layout, its handlers and its events (composed by ui/app.py)."""
