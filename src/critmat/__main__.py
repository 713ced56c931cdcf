"""``python -m critmat`` runs the command line."""

from critmat.cli.main import run

run()
