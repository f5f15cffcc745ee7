"""Every ``import`` of a pyworkflow package in a docs code block imports, runnable or not."""

from __future__ import annotations

import ast
import importlib

from .test_docs import DOCS, ROOT, blocks

_OURS = ("pyworkflow", "pyworkflow_")


def bad_imports(doc: str, text: str) -> list[str]:
    """``from pyworkflow... import NAME`` and ``import pyworkflow...`` in the python blocks of
    ``doc`` that fail (blocks that are not whole Python, such as excerpts, are read line by
    line)."""
    problems = []
    for block in blocks(doc, text):
        if block.info != "python":
            continue
        for k, line in enumerate(block.text.splitlines(), block.line + 1):
            stripped = line.strip()
            if not stripped.startswith(("from pyworkflow", "import pyworkflow")):
                continue
            try:
                node = ast.parse(stripped.rstrip("\\(")).body[0]
            except SyntaxError:
                continue  # an import continued on the next lines: not checked
            if isinstance(node, ast.ImportFrom) and node.module:
                try:
                    module = importlib.import_module(node.module)
                except ImportError as exc:
                    problems.append(f"{doc}:{k}: {stripped} ({exc})")
                    continue
                for alias in node.names:
                    if not hasattr(module, alias.name):
                        try:
                            importlib.import_module(f"{node.module}.{alias.name}")
                        except ImportError:
                            problems.append(f"{doc}:{k}: {node.module} has no {alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    try:
                        importlib.import_module(alias.name)
                    except ImportError as exc:
                        problems.append(f"{doc}:{k}: {stripped} ({exc})")
    return problems


def test_imports_in_docs_code_blocks_work() -> None:
    problems = [p for doc in DOCS for p in bad_imports(doc, (ROOT / doc).read_text())]
    assert not problems, "\n".join(problems)


def test_imports_that_fail_are_found() -> None:
    text = (
        "```python\nfrom pyworkflow import start, stopp\nimport pyworkflow.nowhere\n"
        "from pyworkflow.errors import NotFound\n```\n"
    )
    found = bad_imports("d.md", text)
    assert [p.split(" (")[0] for p in found] == [
        "d.md:2: pyworkflow has no stopp",
        "d.md:3: import pyworkflow.nowhere",
    ]
