"""pyworkflow-mysql: MySQL 8 / MariaDB 10.11+ storage for pyworkflow (aiomysql)."""

from __future__ import annotations

from .backend import MySQLBackend

__all__ = ["MySQLBackend"]
