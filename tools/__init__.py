"""Maintainer tools (not shipped in the package)."""
