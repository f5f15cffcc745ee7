"""The whole suite against the URL given with ``--pyworkflow-url`` (or ``--backend-url``).

``pyworkflow conformance URL`` and ``pytest --pyworkflow-url URL`` run this module. The URL's
scheme picks the backend name (``postgresql://`` -> ``postgres``), so every test still gets a
fresh store made from that server, exactly as the backend's own conformance class does.
"""

from __future__ import annotations

from .suite import BackendContract

__all__ = ["TestConformance"]


class TestConformance(BackendContract):
    """Every contract area, on the backend named by ``--pyworkflow-url``."""

    from_cli_url = True
