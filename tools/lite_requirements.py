"""Refresh the data tests/test_lite.py checks xlmarketing's runtime dependencies against (network).

xlwings Lite installs a requirements.txt with micropip inside Pyodide: a distribution must be
built by Pyodide (listed in the ``pyodide-lock.json`` of the Pyodide release) or have a
pure-Python wheel on PyPI. This script writes, under tests/data/:

* ``pyodide-<version>-packages.json``: every package of that Pyodide release with its version
  and dependencies, from ``pyodide-lock.json`` in the npm package ``pyodide@<version>``
  (``npm pack``);
* ``lite-pure-wheels.json``: for every distribution our requirements reach that Pyodide does not
  build, the pure-Python wheel pip finds for Python 3.13 on any platform (``pip download
  --no-deps --only-binary=:all: --platform any``), with its version and Requires-Dist.

The test itself runs offline on these files. Run this again when pyproject.toml's dependencies
change (the test says so) or to move to another Pyodide release:

    python tools/lite_requirements.py [--pyodide 0.28.3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
#: The environment markers of Pyodide 0.28/0.29 (CPython 3.13 compiled to WebAssembly).
PYODIDE_ENV = {
    "sys_platform": "emscripten", "platform_system": "Emscripten", "os_name": "posix",
    "platform_machine": "wasm32", "python_version": "3.13", "python_full_version": "3.13.2",
    "implementation_name": "cpython", "platform_python_implementation": "CPython",
    "platform_release": "", "platform_version": "", "implementation_version": "3.13.2",
}


def applies(req: Requirement, extras: frozenset[str] = frozenset()) -> bool:
    """Whether a requirement is installed in Pyodide (its marker, for the given extras)."""
    if req.marker is None:
        return True
    return any(req.marker.evaluate(dict(PYODIDE_ENV, extra=e)) for e in (extras or {""}))


def lock_packages(version: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"pyodide@{version}", "--silent"], cwd=tmp, check=True,
                       capture_output=True)
        (tgz,) = Path(tmp).glob("pyodide-*.tgz")
        with tarfile.open(tgz) as tar:
            lock = json.load(tar.extractfile("package/pyodide-lock.json"))
    return {
        "source": f"pyodide-lock.json of the npm package pyodide@{version} (npm pack), "
                  "trimmed to names, versions and dependencies by tools/lite_requirements.py",
        "pyodide": version, "python": lock["info"]["python"],
        "packages": {canonicalize_name(p["name"]): {"version": p["version"],
                                                    "depends": sorted(p.get("depends", []))}
                     for p in lock["packages"].values()},
    }


def pure_wheel(req: Requirement) -> dict:
    """The pure-Python wheel pip picks for ``req`` on Python 3.13, any platform."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "--platform", "any", "--python-version", "3.13",
                        "--implementation", "py", "--abi", "none", "-d", tmp,
                        f"{req.name}{req.specifier}"], check=True)
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as z:
            meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
            lines = z.read(meta).decode().splitlines()
    field = {k: [ln.split(": ", 1)[1] for ln in lines if ln.startswith(k + ": ")]
             for k in ("Version", "Requires-Dist")}
    return {"version": field["Version"][0], "wheel": wheel.name,
            "requires_dist": field["Requires-Dist"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyodide", default="0.28.3", help="Pyodide release (npm version)")
    args = ap.parse_args()
    lock = lock_packages(args.pyodide)
    (DATA / f"pyodide-{args.pyodide}-packages.json").write_text(json.dumps(lock, indent=1) + "\n")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    todo = [(Requirement(d), frozenset()) for d in deps]
    wheels: dict[str, dict] = {}
    seen: set[tuple[str, frozenset]] = set()
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if not applies(req, extras) or (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        if name in lock["packages"]:
            todo += [(Requirement(d), frozenset()) for d in lock["packages"][name]["depends"]]
            continue
        if name not in wheels:
            wheels[name] = pure_wheel(req)
            print(name, wheels[name]["wheel"])
        todo += [(Requirement(d), frozenset(req.extras)) for d in wheels[name]["requires_dist"]]
    out = {"source": "pip download --no-deps --only-binary=:all: --platform any "
                     "--python-version 3.13 (tools/lite_requirements.py)",
           "wheels": dict(sorted(wheels.items()))}
    (DATA / "lite-pure-wheels.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
