"""Environments, stores and the measurement of ``pyworkflow bench --peers``."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pyworkflow_benchmarks import services

__all__ = ["MODES", "PEERS", "Peer", "PeerResult", "cache_dir", "ensure_env", "run_peers"]

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Peer:
    """A system to compare with: what to install in its environment, and its workload script
    (``None`` requirements: pyworkflow itself, in this interpreter)."""

    name: str
    script: str
    requirements: tuple[str, ...] | None


PEERS: tuple[Peer, ...] = (
    Peer("pyworkflow", "workload_ours.py", None),
    Peer("dbos 3.4.0", "workload_dbos.py", ("dbos==3.4.0",)),
    Peer(
        "pyworkflow-engine 0.4.0",
        "workload_predecessor.py",
        ("pyworkflow-engine[sqlite,postgres]==0.4.0",),
    ),
)

#: (label, runs, concurrency): 100-step workflows one after another, then 16 at a time
MODES: tuple[tuple[str, int, int], ...] = (("sequential", 20, 1), ("16 concurrent", 32, 16))
STEPS = 100
#: a peer run that takes longer than this is stopped and reported as an error
TIMEOUT = 180.0


@dataclass
class PeerResult:
    peer: str
    store: str
    mode: str
    steps_per_s: float | None = None
    error: str | None = None
    extra: dict[str, float] = field(default_factory=dict)


def cache_dir() -> Path:
    """Where the peers' environments live (``$PYWORKFLOW_BENCH_CACHE``, else the user cache)."""
    base = os.environ.get("PYWORKFLOW_BENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pyworkflow-bench"
    )
    return Path(base) / "peers"


def ensure_env(peer: Peer, root: Path) -> Path:
    """The Python of ``peer``'s environment, creating it (once) with uv if present, else venv
    and pip. Raises ``RuntimeError`` with the installer's last words when that fails."""
    if peer.requirements is None:
        return Path(sys.executable)
    env = root / peer.name.replace(" ", "-")
    python = env / "bin" / "python"
    marker = env / ".pyworkflow-bench-ready"
    if marker.exists() and marker.read_text() == "\n".join(peer.requirements):
        return python
    shutil.rmtree(env, ignore_errors=True)
    uv = shutil.which("uv")
    if uv:
        steps = [
            [uv, "venv", "--quiet", "--python", sys.executable, str(env)],
            [uv, "pip", "install", "--quiet", "--python", str(python), *peer.requirements],
        ]
    else:
        steps = [
            [sys.executable, "-m", "venv", str(env)],
            [str(python), "-m", "pip", "install", "--quiet", *peer.requirements],
        ]
    for command in steps:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            raise RuntimeError(f"could not install {' '.join(peer.requirements)}: {tail[0]}")
    marker.write_text("\n".join(peer.requirements))
    return python


def _measure(python: Path, script: str, url: str, runs: int, concurrency: int) -> PeerResult:
    result = PeerResult("", "", "")
    try:
        done = subprocess.run(
            [str(python), str(HERE / script), url, str(STEPS), str(runs), str(concurrency)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=tempfile.gettempdir(),
        )
    except subprocess.TimeoutExpired:
        result.error = f"no result after {TIMEOUT:.0f} s"
        return result
    found = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == 0 and found:
        figures = json.loads(found[-1])
        result.steps_per_s = figures["steps"] / figures["seconds"]
        return result
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    result.error = lines[-1] if lines else f"exit status {done.returncode}"
    return result


async def run_peers(stores: list[str] | None = None, *, progress: bool = True) -> list[PeerResult]:
    """Every peer on every store (``sqlite``, ``postgres``) in every mode, each measurement
    on a fresh database."""
    wanted = stores or ["sqlite", "postgres"]
    out: list[PeerResult] = []
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    for peer in PEERS:
        try:
            python = await asyncio.to_thread(ensure_env, peer, root)
        except Exception as exc:
            for store in wanted:
                for mode, _, _ in MODES:
                    out.append(PeerResult(peer.name, store, mode, error=str(exc)))
            continue
        for store in wanted:
            for mode, runs, concurrency in MODES:
                if progress:
                    print(f"peers: {peer.name} on {store}, {mode} ...", file=sys.stderr)
                result = await _fresh_store_run(python, peer, store, runs, concurrency)
                result.peer, result.store, result.mode = peer.name, store, mode
                out.append(result)
    return out


async def _fresh_store_run(
    python: Path, peer: Peer, store: str, runs: int, concurrency: int
) -> PeerResult:
    if store == "sqlite":
        with tempfile.TemporaryDirectory(prefix="pwbench-peer-") as tmp:
            url = f"sqlite:///{tmp}/peer.db"
            return await asyncio.to_thread(_measure, python, peer.script, url, runs, concurrency)
    if store == "postgres":
        if not services.answers("127.0.0.1", 5432):
            return PeerResult("", "", "", error="no PostgreSQL server on 127.0.0.1:5432")
        url, drop = await services.scratch_postgres()
        try:
            return await asyncio.to_thread(_measure, python, peer.script, url, runs, concurrency)
        finally:
            await drop()
    return PeerResult("", "", "", error=f"unknown store {store!r}")
