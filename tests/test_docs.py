"""Docs that cannot drift: the repository's Markdown is checked against the repository.

- every code block marked ``<!-- doctest -->`` (the line before its fence) runs: a ``python``
  block in a subprocess (top-level ``await`` allowed, as the docs write it) on a temporary
  SQLite store, an ``sh`` block line by line, each line a ``pyworkflow ...`` command;
- every relative link and every repository path written in backticks exists;
- every backticked dotted name under ``pyworkflow`` (or a ``pyworkflow_*`` package) imports;
- every ``PYWORKFLOW_*`` environment variable the docs name is read by the code;
- every ``pyworkflow <command> ... --option`` written in the docs exists in the argparse tree
  the CLI builds (``bench`` and ``ui`` through their own parsers; after ``conformance`` the
  words are pytest's and are not checked);
- no tracked file cites a file that is not in the repository (an ``X.md`` that does not exist,
  or the predecessor's notes by name).

Each checker is a pure function over text, and each has a test feeding it a broken doc, so a
checker that stops finding anything fails here too.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- doctest -->"
TIMEOUT = 90.0  # seconds per runnable block: a block that hangs fails rather than stalls CI


def _tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if (ROOT / line).is_file()]


TRACKED = _tracked()
DOCS = sorted(p for p in TRACKED if p.endswith(".md"))


@dataclass(frozen=True)
class Block:
    doc: str
    line: int  # 1-based line of the opening fence
    info: str
    text: str
    runnable: bool


def blocks(doc: str, text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, each with whether ``MARKER`` precedes it."""
    found: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", lines[i])
        if not fence:
            i += 1
            continue
        before = [ln.strip() for ln in lines[:i] if ln.strip()]
        runnable = bool(before) and before[-1] == MARKER
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence.group(2)):
            body.append(lines[i])
            i += 1
        found.append(Block(doc, start + 1, fence.group(3), "\n".join(body) + "\n", runnable))
        i += 1
    return found


def prose(text: str) -> str:
    """The text outside fenced code blocks (blank lines in their place, so line numbers hold)."""
    out, inside = [], False
    for line in text.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            inside = not inside
            out.append("")
            continue
        out.append("" if inside else line)
    return "\n".join(out)


# -- (b) links and paths -------------------------------------------------------------------------

_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
_SPAN = re.compile(r"`([^`\n]+)`")
_PATHLIKE = re.compile(r"[\w.\-/]+")


def broken_paths(doc: str, text: str, exists: set[str]) -> list[str]:
    """Relative links and backticked repository paths of ``doc`` that are not in ``exists``
    (repository-relative paths of files, and of their directories)."""
    here = os.path.dirname(doc)
    tops = {p.split("/")[0] for p in exists} | {
        p[len(here) + 1 :].split("/")[0] for p in exists if here and p.startswith(here + "/")
    }
    problems = []

    def found(path: str) -> bool:
        path = path.rstrip("/")
        candidates = {os.path.normpath(path), os.path.normpath(os.path.join(here, path))}
        return bool(candidates & exists) or any(map(_git_ignored, candidates))

    for n, line in enumerate(prose(text).splitlines(), 1):
        for link in _LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", link) or link.startswith("#"):
                continue  # a URL (http:, mailto:) or an anchor in this page
            target = link.split("#")[0]
            if target and not found(target):
                problems.append(f"{doc}:{n}: link to missing {target}")
        for span in _SPAN.findall(line):
            path = span.split(":")[0] if re.match(r"^[\w.\-/]+\.py:\w", span) else span
            if not _PATHLIKE.fullmatch(path):
                continue
            is_path = ("/" in path and path.split("/")[0] in tops) or path.endswith(".md")
            if is_path and not found(path):
                problems.append(f"{doc}:{n}: `{span}` is not in the repository")
    return problems


def _git_ignored(path: str) -> bool:
    """A folder or file the repository ignores on purpose (made by a tool, such as
    ``tools/.uv/``): docs may name it although it is not tracked."""
    probe = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", path + "/"], cwd=ROOT, check=False
    )
    return probe.returncode == 0


def _existing() -> set[str]:
    paths = set(TRACKED)
    for p in TRACKED:
        parts = p.split("/")
        paths.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return paths


def test_links_and_paths_exist() -> None:
    exists = _existing()
    problems = [p for doc in DOCS for p in broken_paths(doc, (ROOT / doc).read_text(), exists)]
    assert not problems, "\n".join(problems)


def test_broken_paths_are_found() -> None:
    text = (
        "See [the engine](engine.md), [gone](nowhere.md) and [site](https://example.com).\n"
        "Code in `core/src/pyworkflow/cli/__init__.py` and `core/src/missing.py`, run\n"
        "`examples/hello.py:hello`, `examples/absent.py:main`; the words `runs list` are prose.\n"
    )
    exists = _existing()
    assert broken_paths("docs/x.md", text, exists) == [
        "docs/x.md:1: link to missing nowhere.md",
        "docs/x.md:2: `core/src/missing.py` is not in the repository",
        "docs/x.md:3: `examples/absent.py:main` is not in the repository",
    ]


# -- (b') dotted names ----------------------------------------------------------------------------

_DOTTED = re.compile(r"`((?:pyworkflow|pyworkflow_[a-z]+)(?:\.[A-Za-z_]\w*)+)(?:\(\))?`")
_FILE_NAMES = ("pyworkflow.config.yaml", "pyworkflow.toml")  # files the docs name, not modules
#: the predecessor's modules that docs/migrating.md names as absent here, on purpose
_ABSENT_ON_PURPOSE = ("pyworkflow.core.exceptions", "pyworkflow.core.scheduled")


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            if not hasattr(obj, part):
                return False
            obj = getattr(obj, part)
        return True
    return False


def unknown_names(doc: str, text: str) -> list[str]:
    """Backticked ``pyworkflow...`` dotted names (modules, classes, functions, attributes)
    of ``doc`` that do not import."""
    return [
        f"{doc}:{n}: `{name}` does not import"
        for n, line in enumerate(text.splitlines(), 1)
        for name in _DOTTED.findall(line)
        if not name.startswith(_FILE_NAMES)
        and not (doc == "docs/migrating.md" and name.startswith(_ABSENT_ON_PURPOSE))
        and not _resolves(name)
    ]


def test_dotted_names_in_docs_import() -> None:
    problems = [p for doc in DOCS for p in unknown_names(doc, (ROOT / doc).read_text())]
    assert not problems, "\n".join(problems)


def test_dotted_names_that_do_not_import_are_found() -> None:
    text = (
        "`pyworkflow.engine.serializer.SerializationError` is there,\n"
        "`pyworkflow.engine.errors.SerializationError` is not; nor `pyworkflow.nowhere()`.\n"
    )
    assert unknown_names("d.md", text) == [
        "d.md:2: `pyworkflow.engine.errors.SerializationError` does not import",
        "d.md:2: `pyworkflow.nowhere` does not import",
    ]


# -- (b'') environment variables --------------------------------------------------------------

_ENV_VAR = re.compile(r"\bPYWORKFLOW_[A-Z0-9_]*[A-Z0-9]\b")


def unknown_variables(doc: str, text: str, code: str) -> list[str]:
    """``PYWORKFLOW_*`` variables ``doc`` names that ``code`` (the repository's code) never
    mentions, so nothing reads them."""
    return [
        f"{doc}:{n}: {var} is read nowhere"
        for n, line in enumerate(text.splitlines(), 1)
        for var in _ENV_VAR.findall(line)
        if var not in code and not (doc == "docs/migrating.md" and var in _PREDECESSOR_ONLY)
    ]


#: the predecessor's Celery variables, which docs/migrating.md names as having no counterpart
_PREDECESSOR_ONLY = frozenset({"PYWORKFLOW_CELERY_BROKER", "PYWORKFLOW_CELERY_RESULT_BACKEND"})


def test_environment_variables_in_docs_are_read() -> None:
    code = "\n".join(
        (ROOT / p).read_text(errors="replace")
        for p in TRACKED
        if not p.endswith(".md")
        and p != "tests/test_docs.py"
        and not p.startswith("tests/")
        and (p.endswith(".py") or p.startswith((".ci/", "compose/")))
    )
    problems = [p for doc in DOCS for p in unknown_variables(doc, (ROOT / doc).read_text(), code)]
    assert not problems, "\n".join(problems)


def test_unread_environment_variables_are_found() -> None:
    text = "Set `PYWORKFLOW_STORAGE_URL` or `PYWORKFLOW_STORAGE_URI`.\n"
    code = 'os.environ.get("PYWORKFLOW_STORAGE_URL")'
    assert unknown_variables("d.md", text, code) == [
        "d.md:1: PYWORKFLOW_STORAGE_URI is read nowhere"
    ]


# -- (d) files outside the repository ------------------------------------------------------------

_MD_NAME = re.compile(r"(?<![\w/.\"'-])([A-Z][\w-]*\.md)\b")
# The notes this project was written from live outside it; their names must not appear in it.
_FOREIGN = re.compile("|".join(["PREDE" + "CESSOR", "SEED" + "_API", "/work" + "/shared"]))
_TEXT_SUFFIXES = (".md", ".py", ".toml", ".yml", ".yaml", ".cfg", ".txt", ".html", ".sh")


def foreign_citations(name: str, text: str, basenames: set[str]) -> list[str]:
    """Lines of ``name`` citing an ``X.md`` not in the repository, or the outside notes."""
    problems = []
    for n, line in enumerate(text.splitlines(), 1):
        missing = [m for m in _MD_NAME.findall(line) if m not in basenames]
        if missing or _FOREIGN.search(line):
            problems.append(f"{name}:{n}: {line.strip()[:120]}")
    return problems


def test_no_citation_of_files_outside_the_repository() -> None:
    basenames = {os.path.basename(p) for p in TRACKED}
    me = Path(__file__).resolve().relative_to(ROOT).as_posix()
    problems = []
    for path in TRACKED:
        if path == me or not (path.endswith(_TEXT_SUFFIXES) or path.startswith(".ci/")):
            continue
        text = (ROOT / path).read_text(errors="replace")
        problems += foreign_citations(path, text, basenames)
    assert not problems, "\n".join(problems)


def test_foreign_citations_are_found() -> None:
    text = "see README.md\nas NOTES.md says\n# the " + "PREDE" + "CESSOR row 3\nfine\n"
    assert foreign_citations("x.py", text, {"README.md"}) == [
        "x.py:2: as NOTES.md says",
        "x.py:3: # the " + "PREDE" + "CESSOR row 3",
    ]


# -- (c) CLI options -----------------------------------------------------------------------------


def _parsers() -> dict[str, argparse.ArgumentParser]:
    from pyworkflow.cli import build_parser
    from pyworkflow_benchmarks.cli import _parser as bench_parser
    from pyworkflow_ui.cli import build_parser as ui_parser

    return {"": build_parser(), "bench": bench_parser(), "ui": ui_parser()}


def _options(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {o: a for a in p._actions for o in a.option_strings}


def _subcommands(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    return {}


def check_command(words: list[str], parsers: dict[str, argparse.ArgumentParser]) -> list[str]:
    """Options and commands of ``pyworkflow WORDS`` that the CLI does not have (``words``
    after the program name). Synopsis notation is understood: ``[...]`` optional parts,
    ``a|b`` alternatives, ``-c/--concurrency`` spellings, ``...`` repetition. Stops at a shell
    operator (a bare ``|`` is one), at output (a word ending in ``:``) and after
    ``conformance`` (the rest is pytest's)."""
    root = parsers[""]
    level, global_opts, problems, i = root, _options(root), [], 0
    said = " ".join(words)
    while i < len(words):
        word = words[i].strip("[](){}")
        i += 1
        if words[i - 1] in {"|", "&&", "||", ";", ">", "2>&1"} or word.startswith("#"):
            break
        if word.endswith(":"):
            break
        if word in ("", "...", "\\|"):
            continue
        if word.startswith("-") and word != "-":
            takes_value = False
            for spelling in re.split(r"[|/]", word):
                opt = spelling.split("=")[0]
                action = _options(level).get(opt) or global_opts.get(opt)
                if action is None:
                    problems.append(f"{said}: no option {opt}")
                elif action.nargs != 0 and "=" not in spelling:
                    takes_value = True
            if takes_value and i < len(words) and not words[i].startswith(("-", "[-")):
                i += 1  # the option's value
            continue
        subs = _subcommands(level)
        first, *others = re.split(r"\\?\|", word)
        if level is root and first == "conformance":
            break
        if level is root and first in ("bench", "ui"):
            level, global_opts = parsers[first], {}
        elif first in subs:
            problems += [f"{said}: no command {w}" for w in others if w not in subs]
            level = subs[first]
        elif subs and not _positionals(level):
            problems.append(f"{said}: no command {first}")
            break
    return problems


def _positionals(p: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in p._actions
        if not a.option_strings and not isinstance(a, argparse._SubParsersAction)
    ]


def commands(doc: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, words after 'pyworkflow')`` of each command in ``text``: backticked spans
    starting with ``pyworkflow `` and shell lines of code blocks naming ``pyworkflow``."""
    for n, line in enumerate(prose(text).splitlines(), 1):
        for span in _SPAN.findall(line):
            if span.startswith("pyworkflow "):
                yield n, _split(span)[1:]
    for block in blocks(doc, text):
        if block.info not in ("", "sh", "bash", "console", "shell"):
            continue
        for k, line in enumerate(block.text.splitlines(), block.line + 1):
            words = _split(line.removeprefix("$ "))
            if "pyworkflow" in words and words[0] in ("pyworkflow", "uv", "python", "python3"):
                yield k, words[program_index(words) + 1 :]


#: uv options whose value may be the word ``pyworkflow`` (a package, not the program)
_VALUED = ("--package", "--extra", "--with", "--project")


def program_index(words: list[str]) -> int:
    """Where the program ``pyworkflow`` stands in a command line such as ``python3 tools/uv.py
    run --package pyworkflow pyworkflow run ...`` (not where it is an option's value)."""
    for i, word in enumerate(words):
        if word == "pyworkflow" and (i == 0 or words[i - 1] not in _VALUED):
            return i
    return words.index("pyworkflow")


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False)
    except ValueError:
        return text.split()


def test_cli_options_in_docs_exist() -> None:
    parsers = _parsers()
    problems = [
        f"{doc}:{n}: {p}"
        for doc in DOCS
        for n, words in commands(doc, (ROOT / doc).read_text())
        for p in check_command(words, parsers)
    ]
    assert not problems, "\n".join(problems)


def test_cli_options_that_do_not_exist_are_found() -> None:
    text = (
        "Run `pyworkflow runs list --status running --json`, `pyworkflow runs list --colour`,\n"
        "`pyworkflow bench --url memory:// --storage x`, `pyworkflow conformance -k events`,\n"
        "`pyworkflow frobnicate`, `pyworkflow runs status|shown RUN_ID [-q/--quiet]`.\n\n"
        "```sh\nuv run pyworkflow worker --until-idle --forever\n```\n"
    )
    found = [f"{n}: {p}" for n, w in commands("d.md", text) for p in check_command(w, _parsers())]
    assert found == [
        "1: runs list --colour: no option --colour",
        "2: bench --url memory:// --storage x: no option --storage",
        "3: frobnicate: no command frobnicate",
        "3: runs status|shown RUN_ID [-q/--quiet]: no command shown",
        "3: runs status|shown RUN_ID [-q/--quiet]: no option -q",
        "3: runs status|shown RUN_ID [-q/--quiet]: no option --quiet",
        "6: worker --until-idle --forever: no option --forever",
    ]


# -- (a) runnable blocks -------------------------------------------------------------------------

_RUNNER = """
import ast, asyncio, sys
source = open(sys.argv[1]).read()
code = compile(source, sys.argv[2], "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
result = eval(code, {"__name__": "__main__"})
if asyncio.iscoroutine(result):
    asyncio.run(result)
"""


def _runnable() -> list[Block]:
    return [b for doc in DOCS for b in blocks(doc, (ROOT / doc).read_text()) if b.runnable]


def run_block(block: Block, tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run one block in ``tmp`` on a fresh SQLite store; the first failing command's result."""
    env = {**os.environ, "PYWORKFLOW_STORAGE_URL": f"sqlite:///{tmp}/docs.db"}
    env.pop("PYWORKFLOW_STORAGE_BACKEND", None)
    (tmp / "examples").symlink_to(ROOT / "examples")
    if block.info == "python":
        (tmp / "block.py").write_text(block.text)
        where = f"{block.doc}:{block.line}"
        argv = [sys.executable, "-c", _RUNNER, str(tmp / "block.py"), where]
        return subprocess.run(
            argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    assert block.info in ("", "sh", "bash", "console"), f"cannot run a {block.info!r} block"
    result = subprocess.CompletedProcess[str]([], 0, "", "")
    for line in block.text.splitlines():
        words = _split(line.removeprefix("$ "))
        if not words or words[0].startswith("#"):
            continue
        if words[0] != "pyworkflow" and "pyworkflow" in words:  # `uv run [OPTS] pyworkflow ...`
            words = words[program_index(words) :]
        assert words[0] == "pyworkflow", f"a runnable sh block runs pyworkflow only: {line}"
        argv = [sys.executable, "-m", "pyworkflow.cli", *words[1:]]
        result = subprocess.run(
            argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        if result.returncode != 0:
            return result
    return result


@pytest.mark.parametrize("block", _runnable(), ids=lambda b: f"{b.doc}:{b.line}")
def test_runnable_block(block: Block, tmp_path: Path) -> None:
    result = run_block(block, tmp_path)
    assert result.returncode == 0, f"{block.doc}:{block.line}\n{result.stdout}{result.stderr}"


def test_runnable_blocks_are_found_and_a_failing_one_fails(tmp_path: Path) -> None:
    assert len(_runnable()) >= 3  # README's workflow and docs/engine.md's quick examples
    text = f"{MARKER}\n```python\nraise SystemExit(await __import__('asyncio').sleep(0, 3))\n```\n"
    (block,) = blocks("d.md", text)
    assert block.runnable
    assert run_block(block, tmp_path).returncode == 3
