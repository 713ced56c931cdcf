"""Serve: the HTTP API (FastAPI) over the same services the CLI calls.

``critmat serve`` runs :func:`critmat.api.app.create_app`; users and their bearer tokens come
from ``critmat users add``. Route handlers hold no logic: they validate, authorise and call
:mod:`critmat.services`. Long work (simulations, plans) runs as jobs in a worker process pool,
with the job's state in the database.
"""
