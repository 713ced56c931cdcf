"""critmat: plan and run strategic stockpiles of critical materials.

Pipeline packages, in order: :mod:`critmat.data` (know), :mod:`critmat.risk` (assess),
:mod:`critmat.report` and :mod:`critmat.cli` (serve).
"""

__version__ = "0.1.0"
