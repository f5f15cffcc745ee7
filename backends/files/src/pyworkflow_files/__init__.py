"""pyworkflow-files: pyworkflow's store as append-only files in a local directory.

``file:///path/to/dir[?durability=fsync|flush|none]``. No driver, no server: several processes
of one host share the directory safely (``flock``), every record is checksummed, and a write
torn by a crash is cut off when the store is next opened. See README.md.
"""

from .backend import FORMAT, FilesBackend

__all__ = ["FORMAT", "FilesBackend"]
