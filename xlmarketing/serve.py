"""Run the real xlwings Server with xlmarketing's functions, for Excel on the web, Mac and Windows.

Excel's Office.js custom functions reach Python over HTTP through xlwings Server (the PyPI
package ``xlwings-server``, installed with ``pip install 'xlmarketing[server]'``). The server
imports a ``custom_functions`` package from its project folder; :func:`prepare_project` writes
one that re-exports :mod:`xlmarketing.udfs`, and :func:`command` is the uvicorn command that
serves it; :func:`start` and :func:`wait` run it. ``xlmarketing serve`` (see :mod:`xlmarketing.cli`) glues these together.

xlwings Server is dual-licensed: free for noncommercial use under the PolyForm Noncommercial
licence (``XLWINGS_LICENSE_KEY=noncommercial``), otherwise with a paid xlwings licence key.
Nothing here chooses a licence for the user: the key must be set.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: What the server's project folder must contain for our functions (and no scripts).
_FILES = {
    "custom_functions/__init__.py": "# Written by `xlmarketing serve`: Excel's custom functions.\n"
                                    "from xlmarketing.udfs import *  # noqa: F401,F403\n",
    "custom_scripts/__init__.py": "# Written by `xlmarketing serve`: no custom scripts.\n",
}


class ServeError(RuntimeError):
    """The server cannot be started as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ServeOptions:
    """How to run the server. ``certfile``/``keyfile``: HTTPS, which Excel's add-ins require."""

    project: Path
    host: str = "127.0.0.1"
    port: int = 8000
    certfile: Path | None = None
    keyfile: Path | None = None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.certfile else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def manifest_url(self) -> str:
        return f"{self.base_url}/manifest"


def prepare_project(folder: Path) -> Path:
    """Create (or update) the server's project folder with our ``custom_functions`` package."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, text in _FILES.items():
        path = folder / rel
        path.parent.mkdir(exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return folder


def check_ready(opts: ServeOptions, env: dict[str, str]) -> None:
    """Raise :class:`ServeError` when the package, the licence key or the certificates are missing."""
    if importlib.util.find_spec("xlwings_server") is None:
        raise ServeError("xlwings Server is not installed. Install it with "
                         "pip install 'xlmarketing[server]'.")
    if not env.get("XLWINGS_LICENSE_KEY"):
        raise ServeError("XLWINGS_LICENSE_KEY is not set. xlwings Server is free for noncommercial "
                         "use (set XLWINGS_LICENSE_KEY=noncommercial) and needs a paid xlwings key "
                         "otherwise.")
    if (opts.certfile is None) != (opts.keyfile is None):
        raise ServeError("give both --certfile and --keyfile for HTTPS, or neither.")
    for p in (opts.certfile, opts.keyfile):
        if p is not None and not p.is_file():
            raise ServeError(f"{p} does not exist.")


def environment(opts: ServeOptions, base: dict[str, str] | None = None) -> dict[str, str]:
    """The server process's environment: its project folder, and no example functions."""
    env = dict(os.environ if base is None else base)
    env["XLWINGS_PROJECT_DIR"] = str(opts.project.resolve())
    env.setdefault("XLWINGS_ENABLE_EXAMPLES", "false")
    return env


def command(opts: ServeOptions) -> list[str]:
    """The uvicorn command line that serves xlwings Server's app on ``opts.host:opts.port``."""
    cmd = [sys.executable, "-m", "uvicorn", "xlwings_server.main:main_app",
           "--host", opts.host, "--port", str(opts.port), "--log-level", "warning"]
    if opts.certfile and opts.keyfile:
        cmd += ["--ssl-certfile", str(opts.certfile), "--ssl-keyfile", str(opts.keyfile)]
    return cmd


def sideload_steps(opts: ServeOptions) -> str:
    """What to do in Excel once the server runs: where the manifest is and how to load it."""
    lines = [
        f"xlwings Server with xlmarketing's functions: {opts.base_url}",
        f"Manifest: {opts.manifest_url}  (save it as manifest.xml)",
        "Load the add-in (sideload):",
        "  Excel on the web: Home > Add-ins > More Add-ins > My Add-ins > Upload My Add-in, "
        "choose manifest.xml.",
        "  Excel on Mac: copy manifest.xml to "
        "~/Library/Containers/com.microsoft.Excel/Data/Documents/wef/ and restart Excel; "
        "then Home > Add-ins.",
        "  Excel on Windows: share a folder holding manifest.xml, add it under File > Options > "
        "Trust Center > Trusted Add-in Catalogs, restart Excel, then Home > Add-ins > Shared Folder.",
        "Then type =KMEANS_SEGMENT(A1:C201, 4) in a cell. Stop the server with Ctrl+C.",
    ]
    if opts.certfile is None:
        lines.insert(1, "Warning: plain HTTP. Excel's add-ins need HTTPS: create a local "
                        "certificate (for example with mkcert) and pass --certfile and --keyfile.")
    return "\n".join(lines)


def start(opts: ServeOptions, env: dict[str, str]) -> subprocess.Popen:
    """Start the server process in the project folder (see :func:`command`)."""
    try:
        return subprocess.Popen(command(opts), env=env, cwd=str(opts.project))
    except OSError as exc:
        raise ServeError(f"could not start the server: {exc}") from None


def wait(proc: subprocess.Popen) -> int:
    """Wait for the server; a stop request (Ctrl+C, SIGTERM) stops it too, and waits for it.

    Returns the exit code, 0 for a normal stop (Ctrl+C or terminate).
    """
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        code = proc.wait()
    return 0 if code in (-signal.SIGINT, -signal.SIGTERM) else code


def wait_until_up(opts: ServeOptions, proc: subprocess.Popen, timeout: float = 300) -> None:
    """Block until the server answers its metadata route; raise ServeError if it dies or stalls.

    The deadline is generous and a slow answer is waited for, not an error: on a busy machine
    the first request (which imports our functions) can take tens of seconds.
    """
    deadline = time.monotonic() + timeout
    url = f"{opts.base_url}/xlwings/custom-functions-meta"
    while True:
        try:
            urllib.request.urlopen(url, timeout=30).read()
            return
        except OSError:  # refused, reset, or a read that timed out (TimeoutError is no URLError)
            if proc.poll() is not None:
                raise ServeError(f"the server exited with code {proc.returncode}") from None
            if time.monotonic() > deadline:
                raise ServeError(f"the server did not answer at {url} within {timeout:g} s") from None
            time.sleep(0.3)
