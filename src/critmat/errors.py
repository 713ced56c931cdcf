"""The errors critmat reports to its users (one hierarchy, one boundary).

Every error a user can cause (a bad option, file, name or request) is a :class:`CritmatError`;
the CLI turns it into one line on stderr and exit status 2, the HTTP API into a 4xx body. Anything
else is a bug and keeps its traceback. Import cost: standard library only.
"""

from __future__ import annotations

__all__ = ["CritmatError", "InfeasibleRequestError", "one_line"]


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


def one_line(exc: Exception, most: int = 5) -> str:
    """An error as one line, for the CLI's stderr and the API's error body alike: a
    validation error's issues joined (the first ``most``)."""
    issues = list(getattr(exc, "issues", []) or [])
    head = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not issues:
        return " ".join(x.strip() for x in str(exc).splitlines() if x.strip()) or head
    parts = [str(i).strip().removeprefix("error: ") for i in issues[:most]]
    more = f"; ... and {len(issues) - most} more" if len(issues) > most else ""
    return f"{head}: {'; '.join(parts)}{more}"
