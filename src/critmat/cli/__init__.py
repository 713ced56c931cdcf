"""Command-line interface (Typer); heavy modules are imported inside commands."""
