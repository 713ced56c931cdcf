"""Curation of the shipped dataset from ../shared/data (run: python -m tools.curate)."""
