"""The errors critmat reports to its users (one hierarchy, one boundary).

Every error a user can cause (a bad option, file, name or request) is a :class:`CritmatError`;
the CLI turns it into one line on stderr and exit status 2, the HTTP API into a 4xx body. Anything
else is a bug and keeps its traceback. Import cost: standard library only.
"""

from __future__ import annotations

__all__ = ["CritmatError", "InfeasibleRequestError"]


class CritmatError(ValueError):
    """A request critmat refuses, with a message for the user (what, where, why)."""

    #: short machine-readable kind, used by the HTTP API
    code: str = "invalid_request"
    #: the HTTP status the API answers with
    http_status: int = 400


class InfeasibleRequestError(CritmatError):
    """The request is well formed but has no solution (e.g. floors above caps or the budget)."""

    code = "infeasible"
    http_status = 409
