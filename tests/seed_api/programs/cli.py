"""The predecessor's CLI, typed as its documentation types it (kept to five commands: each
is a process; every command and format is covered in-process by tests/test_cli_compat.py).

A project folder with a workflows module, then the documented commands: `pyworkflow
--module ... workflows list`, `workflows run NAME --arg k=v`, `runs list --status completed`,
`runs status`, `runs logs --filter`, with `--output json`. The store is the one of
PYWORKFLOW_STORAGE_URL (the predecessor's CLI took it from --storage; ours reads that too).
"""

import json
import subprocess
import sys
from pathlib import Path

Path("myapp").mkdir(exist_ok=True)
Path("myapp/__init__.py").write_text("")
Path("myapp/workflows.py").write_text(
    '''
from pyworkflow import step, wait_for_hook, workflow


@step()
async def charge(order_id: str, amount: float) -> dict:
    return {"order_id": order_id, "charged": amount}


@workflow()
async def order_workflow(order_id: str, amount: float = 10.0) -> dict:
    """Charge an order."""
    return await charge(order_id, amount)


@workflow()
async def approval_workflow(request_id: str) -> dict:
    decision = await wait_for_hook("approval", timeout="1h")
    return {"request_id": request_id, "decision": decision}
'''
)


def pyworkflow(*args: str, expect: int = 0) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "pyworkflow.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
    return proc.stdout


listed = json.loads(
    pyworkflow("--module", "myapp.workflows", "--output", "json", "workflows", "list")
)
names = {w["name"] for w in listed}
assert names == {"order_workflow", "approval_workflow"}, names
out = pyworkflow(
    "--module",
    "myapp.workflows",
    "workflows",
    "run",
    "order_workflow",
    "--arg",
    "order_id=123",
    "--arg",
    "amount=25.5",
)
# values are JSON-decoded when they parse: 123 arrives as an int
assert json.loads(out) == {"order_id": 123, "charged": 25.5}, out

runs = json.loads(pyworkflow("--output", "json", "runs", "list", "--status", "completed"))
assert [r["workflow_name"] for r in runs] == ["order_workflow"]
run_id = runs[0]["run_id"]
status = json.loads(pyworkflow("--output", "json", "runs", "status", run_id))
assert status["input_kwargs"] == {"order_id": 123, "amount": 25.5}
assert status["result"] == {"order_id": 123, "charged": 25.5}
logs = json.loads(pyworkflow("--output", "json", "runs", "logs", run_id, "--filter", "step"))
assert [e["type"] for e in logs] == ["step.started", "step.completed"]

print("cli: ok")
