"""The HTTP API: the FastAPI application (`app.create_app`, a composition point), its shared dependencies and one
module per group of routes."""
