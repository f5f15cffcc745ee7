"""The files backend runs the whole conformance suite, with the full 20 crash kills."""

from pyworkflow_conformance import BackendContract


class TestFilesConformance(BackendContract):
    backend_name = "files"
    crash_kills = 20
