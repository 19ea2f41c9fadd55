"""A long-lived headless LibreOffice for the refresh: run by LibreOffice's Python, not ours.

``python3 lo_server.py SOFFICE PROFILE_URL PIPE [--connect]`` starts ``soffice`` headless
listening on the pipe ``PIPE`` (or, with ``--connect``, uses the one already listening there:
a batch's workers share the parent's) and then serves requests, one JSON line each on stdin:

* ``{"src": "/tmp/…/book.xlsx", "out": "/tmp/…/out/book.xlsx"}``: load ``src``, save it as
  .xlsx to ``out`` — exactly what ``soffice --convert-to xlsx`` does (load with the profile's
  recalculation settings, store with the "Calc MS Excel 2007 XML" filter), without starting
  LibreOffice for each file;

and answers one JSON line each on stdout (``{"ok": true}`` or ``{"error": "…"}``). The first
line is ``{"ready": true}`` once LibreOffice answers (or ``{"error": …}``). End of input closes
the documents and, unless ``--connect``, LibreOffice; ``--remove=FOLDER`` then removes that
folder (the profile's, handed over by the caller so that it need not wait). Standard library and ``uno`` only (the
system ``python3`` with ``python3-uno`` on Debian): :mod:`xlmarketing.workbook.office` runs it
as a subprocess, on the workbook engine's path only, never a function's.
"""

import json
import os
import shutil
import subprocess
import sys

import uno
from com.sun.star.beans import PropertyValue


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _calc_office():
    """The Calc helper module (``../calc/office.py``), loaded by its path: this script runs
    under LibreOffice's Python, where the xlmarketing package (and its dependencies) may not
    import, and a plain ``import office`` would find this folder's own office.py."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "calc", "office.py")
    spec = importlib.util.spec_from_file_location("xlmarketing_calc_office", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def start(soffice, profile_url, pipe, connect, timeout=None):
    if timeout is None:  # the owner's LibreOffice is up already, or starting: wait less
        timeout = 30.0 if connect else 120.0
    proc = None
    if not connect:
        args = [soffice, "-env:UserInstallation=" + profile_url, "--headless", "--invisible",
                "--nologo", "--norestore", "--nodefault", "--nolockcheck",
                f"--accept=pipe,name={pipe};urp;"]
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    ctx = _calc_office().connect(pipe, timeout, proc)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return proc, desktop


def convert(desktop, src, out):
    url = uno.systemPathToFileUrl(os.path.abspath(src))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
    if doc is None:
        raise RuntimeError(f"LibreOffice could not open {os.path.basename(src)}")
    try:
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)),
                       (_prop("FilterName", "Calc MS Excel 2007 XML"), _prop("Overwrite", True)))
    finally:
        doc.close(True)


def main(argv):
    soffice, profile_url, pipe = argv[1], argv[2], argv[3]
    connect = "--connect" in argv[4:]
    remove = next((a.split("=", 1)[1] for a in argv[4:] if a.startswith("--remove=")), None)
    try:
        return _serve(soffice, profile_url, pipe, connect)
    finally:
        if remove:  # the profile folder the caller handed over, once LibreOffice has closed
            shutil.rmtree(remove, ignore_errors=True)


def _serve(soffice, profile_url, pipe, connect):
    try:
        proc, desktop = start(soffice, profile_url, pipe, connect)
    except Exception as exc:
        _say({"error": " ".join(f"{type(exc).__name__}: {exc}".split())})
        return 1
    _say({"ready": True})
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                try:
                    convert(desktop, req["src"], req["out"])
                except Exception:
                    # LibreOffice died or the bridge broke: start (or reach) it again, once
                    if proc is not None and proc.poll() is None:
                        raise
                    proc, desktop = start(soffice, profile_url, pipe, connect)
                    convert(desktop, req["src"], req["out"])
                _say({"ok": True})
            except Exception as exc:  # one line for the caller, which falls back
                _say({"error": " ".join(f"{type(exc).__name__}: {exc}".split())[:400]})
    finally:
        if proc is not None:
            try:
                desktop.terminate()
            except Exception:
                pass
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
