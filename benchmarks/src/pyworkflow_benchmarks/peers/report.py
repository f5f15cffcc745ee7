"""The side-by-side table of ``pyworkflow bench --peers``."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .run import PeerResult

__all__ = ["print_peers"]


def print_peers(results: list[PeerResult], console: Console) -> None:
    """One row per store and mode, one column per peer (steps/s, or the peer's error)."""
    peers = list(dict.fromkeys(r.peer for r in results))
    table = Table(title="100-step workflow, steps/s (higher is better)")
    table.add_column("store")
    table.add_column("mode")
    for peer in peers:
        table.add_column(peer, justify="right", overflow="fold", max_width=48)
    rows = list(dict.fromkeys((r.store, r.mode) for r in results))
    for store, mode in rows:
        cells: list[Text | str] = [store, mode]
        for peer in peers:
            found = next(
                (r for r in results if (r.peer, r.store, r.mode) == (peer, store, mode)), None
            )
            if found is None:
                cells.append("")
            elif found.steps_per_s is not None:
                cells.append(f"{found.steps_per_s:,.0f}")
            else:
                cells.append(Text(f"error: {found.error}", style="red"))
        table.add_row(*cells)
    console.print(table)
