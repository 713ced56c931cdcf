"""Use cases as one contract (docs/architecture.md, "Use cases"): each use case's result is an
:class:`Outcome` (its tables, README, notes and JSON), and :data:`REGISTRY` maps a kind to its
request model and runner. The CLI's ``--format json/csv/xlsx`` and the HTTP API's jobs both go
through them, so the two faces give the same JSON for the same request (tests/test_usecases.py).

This package imports no maths: the registry names its runners by module path and imports them
when a use case runs. The package itself imports nothing, so that a face can read a light
contract (critmat.usecases.movements) without loading the others: import from the submodules.
"""
