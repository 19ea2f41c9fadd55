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
import tempfile
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

    def __init__(self, soffice: str, profile: str, pipe: str | None = None,
                 remove: str | None = None):
        python = office_python()
        if python is None:
            raise OSError("no Python with LibreOffice's uno module")
        self.connect = pipe is not None
        self.pipe = pipe or f"xlmarketing_lo_{os.getpid()}_{time.time_ns() % 10**9}"
        self.remove = remove
        args = [python, str(SERVER_SCRIPT), soffice, Path(profile).as_uri(), self.pipe]
        if self.connect:
            args.append("--connect")
        if remove:
            args.append(f"--remove={remove}")
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
            if self.remove:  # killed, the server removes nothing: its profile goes here
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(5)
                shutil.rmtree(self.remove, ignore_errors=True)
                return
        if self.remove:
            # The server owns its LibreOffice and profile: at the end of its input it closes
            # LibreOffice (about a second) and removes the profile, in its own session, so the
            # command that used it does not wait for that.
            with contextlib.suppress(OSError):
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
            return
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def _start(soffice: str) -> Office | None:
    pid = os.getpid()
    with _lock:
        if pid in _offices:
            return _offices[pid]
        pipe = os.environ.get(_PIPE_ENV) or None
        if os.environ.get("XLM_LO_SERVER") == "0":  # off: one soffice per file, as before
            _offices[pid] = None
            return None
        # A profile of its own, which the server removes once its LibreOffice has closed (also
        # when this process is killed: the server sees the end of its input). One that connects
        # to a batch parent's LibreOffice starts none, so needs none.
        folder = None if pipe else tempfile.mkdtemp(prefix=f"xlm-lo-server-{pid}-")
        profile = os.path.join(folder or tempfile.gettempdir(), "profile")
        try:
            office: Office | None = Office(soffice, profile, pipe, remove=folder)
        except OSError:
            office = None
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
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


def warm_up(soffice: str) -> None:
    """Start this process's LibreOffice now, without waiting for it."""
    _start(soffice)


def convert(soffice: str, src: Path, out: Path) -> bool:
    """Save ``src`` as .xlsx to ``out`` with this process's LibreOffice (False: it could not)."""
    office = _start(soffice)
    return office is not None and office.convert(src, out)


@contextlib.contextmanager
def shared(soffice: str) -> Iterator[None]:
    """Start this process's LibreOffice; processes forked or started inside use it too."""
    office = _start(soffice)
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
