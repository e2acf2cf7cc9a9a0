"""The document library as the API and the UI use it, and the safe reading of uploaded files."""
