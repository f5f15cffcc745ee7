"""What a backend can do, declared as data.

The conformance suite reads a backend's :class:`Features` and skips, with the reason, every
test that needs a capability the backend does not declare; the engine reads it to refuse an
unsafe setup (for example several worker processes on a store that is not ``multi_process``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Features"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Features:
    """Capabilities and limits of one configured backend instance."""

    #: Largest encoded JSON value (event data, run input/result/context, payloads), in bytes.
    max_event_bytes: int = 1 << 20
    #: Most events one ``append`` call may carry (it is atomic, so it cannot be split).
    max_batch: int = 1000
    #: An acknowledged write survives a crash of this process (and, for servers, of the host
    #: once the server has acknowledged it).
    durable: bool = True
    #: Several processes on one host may share the store.
    multi_process: bool = True
    #: Several hosts may share the store.
    multi_host: bool = True
    #: Every operation the contract calls atomic is atomic (a multi-row transaction or an
    #: equivalent such as a per-run lock).
    transactions: bool = True
    #: The store has a versioned schema that ``connect()`` creates or migrates.
    migrations: bool = False

    def missing(self, *needs: str) -> list[str]:
        """The names among ``needs`` that are false here (used for skip reasons)."""
        return [name for name in needs if not getattr(self, name)]
