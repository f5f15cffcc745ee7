"""``pyworkflow setup`` and ``pyworkflow quickstart``: a config file, example workflows and
a database server for a new project.

``setup`` writes ``./pyworkflow.config.yaml`` for the chosen backend (an existing file is
kept as ``pyworkflow.config.yaml.backup``) and starts the backend's server: ``docker compose``
with the repository's ``compose/docker-compose.yml`` when a Docker daemon answers, else
``compose/servers start NAME`` (Debian packages or a downloaded Cassandra, no Docker). Both
files ship only in the repository: a pip install without it gets a message saying so, and the
config is still written. It never asks questions: every choice is a flag.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from pyworkflow.errors import InvalidInput, MissingDependency

from ._globals import STORAGE_TYPES
from ._output import err

__all__ = ["add_parsers", "cmd_quickstart", "cmd_setup", "server_command", "storage_config"]

CONFIG = Path("pyworkflow.config.yaml")

# compose service / compose/servers name, and the URL each way serves the backend at.
_SERVERS: dict[str, tuple[str | None, str | None, str, str]] = {
    # type: (compose service, compose/servers name, URL under docker, URL under servers)
    "postgres": (
        "postgres",
        "postgres",
        "postgresql://root@127.0.0.1:15432/postgres",
        "postgresql://root@127.0.0.1:5432/postgres",
    ),
    "mysql": (
        "mysql",
        "mariadb",
        "mysql://root@127.0.0.1:13306/pyworkflow",
        "mysql://root@127.0.0.1:3306/pyworkflow",
    ),
    "cassandra": (
        "cassandra",
        "cassandra",
        "cassandra://127.0.0.1:19042/pyworkflow?local_dc=datacenter1",
        "cassandra://127.0.0.1:9042/pyworkflow?local_dc=dc1",
    ),
}


def _compose_dir() -> Path | None:
    """The repository's compose/ folder, looked for from the working directory and from this
    package's source checkout."""
    here = Path(__file__).resolve()
    for folder in (Path.cwd(), *Path.cwd().parents, *here.parents):
        candidate = folder / "compose"
        if (candidate / "servers").is_file() and (candidate / "docker-compose.yml").is_file():
            return candidate
    return None


def _docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        probe = subprocess.run([docker, "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def server_command(kind: str, *, docker: bool, compose: Path) -> list[str]:
    """The command that starts ``kind``'s server: compose where Docker answers, else
    ``compose/servers``."""
    service, servers_name, _, _ = _SERVERS[kind]
    if docker:
        return [
            "docker",
            "compose",
            "-f",
            str(compose / "docker-compose.yml"),
            "up",
            "-d",
            "--wait",
            str(service),
        ]
    return [str(compose / "servers"), "start", str(servers_name)]


def storage_config(kind: str, path: str | None, *, docker: bool) -> dict[str, Any]:
    """The ``storage:`` block of the config file, in the predecessor's keys (a database's
    address as ``dsn``)."""
    if kind == "memory":
        return {"type": "memory"}
    if kind == "file":
        return {"type": "file", "base_path": path or "./pyworkflow_data"}
    if kind == "sqlite":
        return {"type": "sqlite", "base_path": path or "./pyworkflow_data/pyworkflow.db"}
    if kind == "dynamodb":
        if not path:
            raise InvalidInput(
                "--storage dynamodb needs the endpoint: --storage-path dynamodb://HOST:PORT/TABLE"
            )
        return {"type": "dynamodb", "dsn": path}
    _, _, docker_url, servers_url = _SERVERS[kind]
    return {"type": kind, "dsn": path or (docker_url if docker else servers_url)}


def _write_config(data: dict[str, Any]) -> None:
    if CONFIG.exists():
        backup = CONFIG.with_name(CONFIG.name + ".backup")
        shutil.copy2(CONFIG, backup)
        err.print(f"kept the old {CONFIG} as {backup}", markup=False, highlight=False)
    CONFIG.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    print(f"wrote {CONFIG.resolve()}")


def _start_server(kind: str, *, skip: bool, dry_run: bool) -> tuple[bool, int]:
    """(docker used?, exit code) after starting ``kind``'s server (0 when there is none)."""
    if kind not in _SERVERS or skip:
        return False, 0
    compose = _compose_dir()
    docker = _docker_answers()
    if compose is None:
        raise MissingDependency(
            f"no compose/ folder found (it ships in the pyworkflow repository, not in the "
            f"package): start a {kind} server yourself, or run setup from a clone; the config "
            "file was written"
        )
    command = server_command(kind, docker=docker, compose=compose)
    print("starting the server: " + " ".join(command))
    if dry_run:
        return docker, 0
    return docker, subprocess.run(command, check=False).returncode


def _setup(args: argparse.Namespace) -> int:
    kind = (args.storage or "sqlite").lower()
    if kind not in STORAGE_TYPES:
        raise InvalidInput(f"--storage must be one of {', '.join(STORAGE_TYPES)}")
    docker = (not args.skip_docker) and kind in _SERVERS and _docker_answers()
    data: dict[str, Any] = {}
    if args.module:
        data["module"] = args.module
    data["runtime"] = "local"
    data["storage"] = storage_config(kind, args.storage_path, docker=docker)
    _write_config(data)
    _, code = _start_server(kind, skip=args.skip_docker, dry_run=args.dry_run)
    if code:
        err.print(f"the {kind} server did not start (exit {code})", markup=False)
        return 1
    if kind == "mysql" and not args.storage_path:
        print(
            "create its database once: mysql -h 127.0.0.1 -u root -e 'CREATE DATABASE pyworkflow'"
        )
    print("next: pyworkflow worker run   (and: pyworkflow workflows list)")
    return 0


_INIT = '''"""Example workflows made by `pyworkflow quickstart`."""

from . import notifications, orders

__all__ = ["notifications", "orders"]
'''

_ORDERS = '''"""An order: validate, charge, confirm."""

from pyworkflow import sleep, step, workflow


@step()
async def validate_order(order_id: str, amount: float) -> dict:
    if amount <= 0:
        raise ValueError(f"order {order_id}: amount must be positive")
    return {"order_id": order_id, "amount": amount}


@step()
async def charge_payment(order: dict) -> dict:
    return {**order, "charged": True}


@step()
async def send_confirmation(order: dict) -> dict:
    return {**order, "confirmed": True}


@workflow()
async def process_order(order_id: str, amount: float = 99.99) -> dict:
    order = await validate_order(order_id, amount)
    order = await charge_payment(order)
    await sleep("1s")
    return await send_confirmation(order)
'''

_NOTIFICATIONS = '''"""A notification, delivered by a step."""

from pyworkflow import step, workflow


@step()
async def deliver(user_id: str, message: str) -> dict:
    return {"user_id": user_id, "message": message, "delivered": True}


@workflow()
async def send_notification(user_id: str, message: str = "Hello from pyworkflow") -> dict:
    return await deliver(user_id, message)
'''


def _quickstart(args: argparse.Namespace) -> int:
    kind = args.storage
    folder = Path("workflows")
    if folder.exists():
        raise InvalidInput(f"{folder.resolve()} exists already; quickstart changes nothing")
    folder.mkdir()
    for name, text in (
        ("__init__.py", _INIT),
        ("orders.py", _ORDERS),
        ("notifications.py", _NOTIFICATIONS),
    ):
        (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {folder / name}")
    _write_config(
        {
            "module": "workflows",
            "runtime": "local",
            "storage": storage_config(kind, None, docker=False),
        }
    )
    print("next: pyworkflow --module workflows workflows run process_order --arg order_id=A-1")
    return 0


async def cmd_setup(args: argparse.Namespace) -> int:
    return _setup(args)


async def cmd_quickstart(args: argparse.Namespace) -> int:
    return _quickstart(args)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("setup", help="write pyworkflow.config.yaml and start the store's server")
    p.add_argument(
        "--storage",
        choices=STORAGE_TYPES,
        help="backend to configure (default sqlite)",
    )
    p.add_argument(
        "--storage-path",
        metavar="PATH|URL",
        help="file/folder of sqlite or file; the server URL of a database (default: the "
        "server setup starts)",
    )
    p.add_argument("--module", help="module defining your workflows (written as `module`)")
    p.add_argument(
        "--non-interactive",
        action="store_true",
        help="accepted for compatibility: setup never asks questions",
    )
    p.add_argument(
        "--skip-docker",
        action="store_true",
        help="write the config only; start no server (Docker or compose/servers)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print the server command instead of running it"
    )
    p.set_defaults(func=cmd_setup)
    p = sub.add_parser("quickstart", help="create workflows/ with examples and the config")
    p.add_argument("--storage", choices=("sqlite", "file"), default="sqlite", help="default sqlite")
    p.add_argument("--template", choices=("basic",), default="basic", help="the only one: basic")
    p.add_argument("--non-interactive", action="store_true", help="accepted: quickstart never asks")
    p.add_argument(
        "--skip-docker", action="store_true", help="accepted: sqlite and file need no server"
    )
    p.set_defaults(func=cmd_quickstart)
