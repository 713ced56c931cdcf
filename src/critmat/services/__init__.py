"""The use cases of critmat, one module each: what the CLI, the reports and the HTTP API call.

``assess``, ``simulate``, ``plan``, ``calibrate``, ``loss``, ``data`` and ``inventory`` take typed
requests (pydantic) or plain arguments and return result objects; the maths lives in
:mod:`critmat.risk`, :mod:`critmat.sim`, :mod:`critmat.optimize` and :mod:`critmat.inventory`,
rendering in :mod:`critmat.report`. The CLI and the reports import the maths only through this
package (tests/test_architecture.py reads the imports). Submodules are imported on use.
"""
