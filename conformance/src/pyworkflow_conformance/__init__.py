"""pyworkflow-conformance: the suite every storage backend must pass.

A backend joins with one class::

    from pyworkflow_conformance import BackendContract

    class TestMyConformance(BackendContract):
        backend_name = "postgres"        # a built-in service, or override backend_url
"""

import pytest

# Plain `assert`s in the contract areas must show their values when they fail.
pytest.register_assert_rewrite("pyworkflow_conformance.contracts", "pyworkflow_conformance.helpers")

from .suite import AREAS, BackendContract  # noqa: E402

__all__ = ["AREAS", "BackendContract"]
