"""pyworkflow-conformance: the suite every storage backend must pass.

A backend joins with one class::

    from pyworkflow_conformance import BackendContract

    class TestMyConformance(BackendContract):
        backend_name = "postgres"        # a built-in service, or override backend_url
"""

from .suite import AREAS, BackendContract

__all__ = ["AREAS", "BackendContract"]
