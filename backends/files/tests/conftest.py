"""Workaround, to remove once the suite resolves serverless names by scheme: the plugin's
services.py builds ``f"{name}://"`` for serverless backends, which is ``files://`` (no such
scheme; the scheme is ``file``). An explicit base URL makes it take the right one; the path is
replaced by a fresh tmp directory per test anyway."""

import os

os.environ.setdefault("PYWORKFLOW_TEST_FILES_URL", "file:///replaced-per-test")
