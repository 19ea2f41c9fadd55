"""One LibreOffice per process (and per batch), started early and reused: the client side.

``soffice --convert-to`` starts LibreOffice for every file (most of its time on a small
workbook). :class:`Office` instead runs :mod:`.lo_server` with LibreOffice's Python (the system
``python3`` with ``python3-uno`` on Debian; ``XLM_OFFICE_PYTHON`` overrides): one headless
LibreOffice that converts file after file. :func:`warm_up` starts it without waiting, so it
starts while the refresh imports the models and fits them; :func:`convert` waits for it.

A batch's parent starts one (:func:`shared`) and its worker processes connect to that same
LibreOffice through its pipe, each with a small client of its own. Whatever goes wrong (no
Python with ``uno``, LibreOffice failing to start or to convert) makes :func:`convert` return
False, and the caller falls back to ``soffice --convert-to`` (``XLM_LO_SERVER=0`` always
does: for comparisons).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO
from collections.abc import Iterator

SERVER_SCRIPT = Path(__file__).with_name("lo_server.py")
_PIPE_ENV = "XLM_LO_PIPE"  # a batch parent's LibreOffice, for its workers

_lock = threading.Lock()
_offices: dict[int, Office | None] = {}  # pid -> its client (None: could not start one)


def office_python() -> str | None:
    """A Python that can import ``uno`` (checked when the server starts, not here)."""
    own = os.environ.get("XLM_OFFICE_PYTHON")
    if own:
        return own
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe:
        program = Path(exe).resolve().parent
        for name in ("python", "python.exe"):
            if (program / name).exists():
                return str(program / name)
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if Path(cand).exists():
            return cand
    return None


def _environment(python: str) -> dict[str, str]:
    # The office Python must not see our PYTHONPATH/PYTHONHOME (another version's packages).
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
    env["SAL_USE_VCLPLUGIN"] = "svp"
    return env


class Office:
    """A running :mod:`.lo_server`: ``convert`` one file at a time (thread-safe)."""

    def __init__(self, soffice: str, profile: str, pipe: str | None = None):
        python = office_python()
        if python is None:
            raise OSError("no Python with LibreOffice's uno module")
        self.connect = pipe is not None
        self.pipe = pipe or f"xlmarketing_lo_{os.getpid()}_{time.time_ns() % 10**9}"
        args = [python, str(SERVER_SCRIPT), soffice, Path(profile).as_uri(), self.pipe]
        if self.connect:
            args.append("--connect")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                     env=_environment(python), start_new_session=True)
        self.ready: bool | None = None  # None: not yet heard from
        self.used = False
        self.lock = threading.Lock()

    def _line(self, timeout: float = 600.0) -> dict | None:
        out: IO[str] | None = self.proc.stdout
        if out is None or not select.select([out], [], [], timeout)[0]:
            self._kill()  # hung: the caller falls back to a LibreOffice of its own
            return None
        line = out.readline()
        if not line:
            return None
        try:
            return json.loads(line)
        except ValueError:
            return None

    def convert(self, src: Path, out: Path) -> bool:
        with self.lock:
            if self.ready is None:
                said = self._line()
                self.ready = bool(said and said.get("ready"))
            if not self.ready or self.proc.poll() is not None or self.proc.stdin is None:
                self.ready = False
                return False
            self.used = True
            try:
                self.proc.stdin.write(json.dumps({"src": str(src), "out": str(out)}) + "\n")
                self.proc.stdin.flush()
            except OSError:
                self.ready = False
                return False
            said = self._line()
            if said is None:
                self.ready = False
                return False
            return bool(said.get("ok")) and out.exists()

    def _kill(self) -> None:
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGTERM)

    def close(self) -> None:
        if not self.used and not self.connect:  # started for nothing: don't wait for it
            self._kill()
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def _start(soffice: str, profile: str) -> Office | None:
    pid = os.getpid()
    with _lock:
        if pid in _offices:
            return _offices[pid]
        pipe = os.environ.get(_PIPE_ENV) or None
        if os.environ.get("XLM_LO_SERVER") == "0":  # off: one soffice per file, as before
            _offices[pid] = None
            return None
        try:
            office: Office | None = Office(soffice, profile, pipe)
        except OSError:
            office = None
        _offices[pid] = office
        if office is not None:
            atexit.register(_close, pid)
        return office


def _close(pid: int) -> None:
    if os.getpid() != pid:  # a forked child: its parent's client is not its own
        return
    office = _offices.pop(pid, None)
    if office is not None:
        office.close()


def warm_up(soffice: str, profile: str) -> None:
    """Start this process's LibreOffice now, without waiting for it."""
    _start(soffice, profile)


def convert(soffice: str, profile: str, src: Path, out: Path) -> bool:
    """Save ``src`` as .xlsx to ``out`` with this process's LibreOffice (False: it could not)."""
    office = _start(soffice, profile)
    return office is not None and office.convert(src, out)


@contextlib.contextmanager
def shared(soffice: str, profile: str) -> Iterator[None]:
    """Start this process's LibreOffice; processes forked or started inside use it too."""
    office = _start(soffice, profile)
    before = os.environ.get(_PIPE_ENV)
    if office is not None and not office.connect:
        os.environ[_PIPE_ENV] = office.pipe
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_PIPE_ENV, None)
        else:
            os.environ[_PIPE_ENV] = before
