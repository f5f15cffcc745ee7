"""``pyworkflow bench --peers``: the same workflow on pyworkflow and on its peers.

A workflow of 100 no-op steps runs sequentially and 16 at a time on pyworkflow, on DBOS
Transact and on the predecessor (pyworkflow-engine 0.4.0), against the same SQLite file
system and the same PostgreSQL server, each peer in a virtual environment of its own (made
once, under the cache directory), and the steps/s are printed side by side. A peer that
cannot run on a store is shown with its error, not left out.
"""

from __future__ import annotations

from .run import PEERS, Peer, PeerResult, run_peers

__all__ = ["PEERS", "Peer", "PeerResult", "run_peers"]
