#!/usr/bin/env python3
"""Run a pinned ``uv`` without installing anything into the Python that runs this script.

``python3 tools/uv.py <uv arguments>`` fetches uv's wheel for this machine from the package
index (once), checks its SHA-256 against the index's, unpacks the ``uv`` binary into
``tools/.uv/<version>/`` (git-ignored) and runs it with the arguments given. Standard library
only: it needs neither pip nor the ``venv`` module, so it works on a distribution's externally
managed Python (PEP 668) as well as on a pyenv or python.org one, and it changes neither.

Edge cases:

* the index is ``$UV_INDEX_URL`` or ``$PIP_INDEX_URL`` when set (a mirror), else PyPI; the
  usual ``https_proxy`` variables apply;
* a machine with no wheel for its platform gets one line naming its platform and exit 2;
* a download that fails or whose hash differs leaves nothing behind (the binary appears by
  an atomic rename), so the next call starts over;
* uv's exit status is this script's (on POSIX the process becomes uv).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

__all__ = ["UV_VERSION", "compatible_platforms", "ensure_uv", "main"]

#: the uv every README command and CI run uses; bump it here (and nowhere else)
UV_VERSION = "0.13.9"
_HERE = Path(__file__).resolve().parent
_STORE = _HERE / ".uv"
_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def compatible_platforms() -> list[str]:
    """Wheel platform tags this machine runs, most specific first (empty if none known)."""
    machine = platform.machine().lower()
    if sys.platform.startswith("linux"):
        arch = {"amd64": "x86_64", "arm64": "aarch64", "i386": "i686"}.get(machine, machine)
        if sys.maxsize <= 2**32 and arch == "x86_64":  # 32-bit Python on a 64-bit kernel
            arch = "i686"
        libc, version = platform.libc_ver()
        if libc == "glibc":
            major, minor = (int(p) for p in version.split(".")[:2])
            tags = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, -1, -1)]
            if (major, minor) >= (2, 17):
                tags.append(f"manylinux2014_{arch}")
            return tags
        return [f"musllinux_1_{m}_{arch}" for m in range(2, 0, -1)]
    if sys.platform == "darwin":
        arch = "arm64" if machine == "arm64" else "x86_64"
        release = platform.mac_ver()[0] or "10.12"
        major, minor = (int(p) for p in ([*release.split("."), "0"])[:2])
        tags = [f"macosx_{v}_0_{arch}" for v in range(major, 10, -1)]
        tags += [f"macosx_10_{m}_{arch}" for m in range(minor if major == 10 else 15, -1, -1)]
        return tags
    if sys.platform == "win32":
        if machine == "arm64":
            return ["win_arm64"]
        return ["win_amd64"] if sys.maxsize > 2**32 else ["win32"]
    return []


def _index_url() -> str:
    url = os.environ.get("UV_INDEX_URL") or os.environ.get("PIP_INDEX_URL")
    return (url or "https://pypi.org/simple").rstrip("/")


def _pick_wheel(files: list[dict[str, object]]) -> dict[str, object]:
    """The pinned version's wheel for this platform (first compatible tag wins)."""
    prefix = f"uv-{UV_VERSION}-"
    wheels: dict[str, dict[str, object]] = {}
    for entry in files:
        name = str(entry.get("filename", ""))
        if name.startswith(prefix) and name.endswith(".whl"):
            for tag in name[: -len(".whl")].split("-")[-1].split("."):
                wheels.setdefault(tag, entry)
    for tag in compatible_platforms():
        if tag in wheels:
            return wheels[tag]
    raise SystemExit(
        f"tools/uv.py: uv {UV_VERSION} has no wheel for this platform "
        f"({sys.platform}, {platform.machine()}); install uv yourself: "
        "https://docs.astral.sh/uv/getting-started/installation/"
    )


def _download(entry: dict[str, object], into: Path) -> Path:
    """Fetch the wheel into ``into`` and check its SHA-256 against the index's."""
    base = _index_url()
    url = urllib.parse.urljoin(base + "/uv/", str(entry["url"]))
    wheel = into / str(entry["filename"])
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=120) as response, wheel.open("wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    hashes = entry.get("hashes")
    expected = hashes.get("sha256") if isinstance(hashes, dict) else None
    if not expected or digest.hexdigest() != expected:
        raise SystemExit(f"tools/uv.py: {wheel.name}: SHA-256 does not match the index's")
    return wheel


def ensure_uv() -> Path:
    """Path of the pinned uv binary, fetching and unpacking it on first use."""
    exe = "uv.exe" if sys.platform == "win32" else "uv"
    target = _STORE / UV_VERSION / exe
    if target.is_file():
        return target
    request = urllib.request.Request(f"{_index_url()}/uv/", headers={"Accept": _SIMPLE_JSON})
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response).get("files", [])
    entry = _pick_wheel(files)
    print(f"tools/uv.py: fetching {entry['filename']}", file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheel = _download(entry, Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            member = next(
                (n for n in archive.namelist() if re.fullmatch(rf"[^/]+\.data/scripts/{exe}", n)),
                None,
            )
            if member is None:
                raise SystemExit(f"tools/uv.py: {wheel.name} holds no {exe}")
            staged = Path(tmp) / exe
            with archive.open(member) as src, staged.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        staged.chmod(0o755)
        os.replace(staged, target)  # atomic: a half-written binary is never found
    return target


def main(argv: list[str]) -> int:
    uv = ensure_uv()
    if os.name == "posix":
        os.execv(uv, [str(uv), *argv])
    return subprocess.call([str(uv), *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
