"""Drive a headless LibreOffice over UNO: run by LibreOffice's Python, not by xlmarketing's.

``python3 office.py REQUEST.json`` starts ``soffice`` headless on a private pipe (with the
profile the request names), runs the request's steps and prints one JSON line with the results.
It uses only the standard library and ``uno`` (LibreOffice's Python may have neither numpy nor
xlmarketing), so :mod:`xlmarketing.calc.office_client` runs it as a subprocess: this is the
command line's path (install, convert, tests), never a function's.

Steps (``{"op": ...}``):

* ``add`` (``oxt``, ``repository``: "user" or "shared"): install an extension through the
  extension manager, the API behind ``unopkg``, which has no root check of its own;
* ``remove`` (``identifier``, ``repository``), ``list`` (``repository``);
* ``functions`` (``names``): the function wizard's view of add-in functions (Calc's
  FunctionDescriptions): display name, description, arguments;
* ``recalc`` (``path``, optional ``save``): load a workbook, recalculate everything, read every
  sheet's used area (numbers, text, ``{"error": "#NUM!"}``), optionally save a copy;
* ``convert`` (``path``, ``save``): load a workbook, recalculate, save it (an .ods), count the
  cells showing an error.
"""

import json
import os
import subprocess
import sys
import time

import uno
import unohelper
from com.sun.star.beans import PropertyValue
from com.sun.star.task import XInteractionHandler
from com.sun.star.ucb import XCommandEnvironment, XProgressHandler

FILTERS = {".ods": "calc8", ".xlsx": "Calc MS Excel 2007 XML", ".csv": "Text - txt - csv (StarCalc)"}


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


class _Interaction(unohelper.Base, XInteractionHandler):
    """Approves what the extension manager asks (as ``unopkg add`` does) and keeps the
    messages of the requests, to explain a failure."""

    def __init__(self):
        self.messages = []

    def handle(self, request):
        try:
            what = request.getRequest()
            message = getattr(what, "Message", "") or repr(what)
        except Exception as exc:  # some requests do not convert to Python
            message = f"request {exc}"
        self.messages.append(" ".join(str(message).split())[:300])
        approve = uno.getTypeByName("com.sun.star.task.XInteractionApprove")
        for choice in request.getContinuations():
            if choice.queryInterface(approve) is not None:
                choice.select()
                return


class _Progress(unohelper.Base, XProgressHandler):
    def push(self, status):
        pass

    def update(self, status):
        pass

    def pop(self):
        pass


class _Environment(unohelper.Base, XCommandEnvironment):
    def __init__(self):
        self.interaction = _Interaction()

    def getInteractionHandler(self):
        return self.interaction

    def getProgressHandler(self):
        return _Progress()


def connect(pipe, timeout, proc=None, poll=0.05):
    """The component context of the soffice listening on ``pipe``, waiting up to ``timeout``
    seconds for it to answer; RuntimeError when it does not (or ``proc``, its process, ended).
    Also used by :mod:`xlmarketing.workbook.lo_server`, which loads this file by its path."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError("LibreOffice did not start") from None
            time.sleep(poll)


class Office:
    """A headless soffice on a private pipe, closed on exit."""

    def __init__(self, soffice, profile_url, timeout=120.0):
        self.pipe = f"xlmarketing_{os.getpid()}_{int(time.time() * 1000) % 100000}"
        args = [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                f"--accept=pipe,name={self.pipe};urp;"]
        if profile_url:
            args.insert(1, "-env:UserInstallation=" + profile_url)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self.ctx = connect(self.pipe, timeout, self.proc)
        except RuntimeError:
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
            self.close()
            raise RuntimeError(f"LibreOffice did not start ({err.strip() or 'timeout'})") from None
        self.smgr = self.ctx.ServiceManager
        self.desktop = self.smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def close(self):
        try:
            self.desktop.terminate()
        except Exception:
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ extensions

    def _manager(self):
        return self.ctx.getValueByName("/singletons/com.sun.star.deployment.ExtensionManager")

    def add(self, oxt, repository="user"):
        em = self._manager()
        url = uno.systemPathToFileUrl(os.path.abspath(oxt))
        env = _Environment()
        try:
            package = em.addExtension(url, (), repository, em.createAbortChannel(), env)
        except Exception as exc:
            said = "; ".join(env.interaction.messages)
            raise RuntimeError(f"{getattr(exc, 'Message', exc)}" + (f" ({said})" if said else "")) from None
        return {"identifier": package.getIdentifier().Value, "version": package.getVersion()}

    def deployed(self, repository="user"):
        em = self._manager()
        out = []
        for p in em.getDeployedExtensions(repository, em.createAbortChannel(), _Environment()):
            if p is not None:
                out.append({"identifier": p.getIdentifier().Value, "name": p.getName(),
                            "version": p.getVersion(), "url": p.getURL()})
        return out

    def remove(self, identifier, repository="user"):
        em = self._manager()
        removed = []
        for p in self.deployed(repository):
            if p["identifier"] == identifier:
                em.removeExtension(identifier, p["name"], repository, em.createAbortChannel(),
                                   _Environment())
                removed.append(p)
        return removed

    # ------------------------------------------------------------------ function wizard

    def functions(self, names):
        descriptions = self.smgr.createInstanceWithContext(
            "com.sun.star.sheet.FunctionDescriptions", self.ctx)
        wanted = set(names)
        out = {}
        for i in range(descriptions.getCount()):
            props = {p.Name: p.Value for p in descriptions.getByIndex(i)}
            if props.get("Name") in wanted:
                out[props["Name"]] = {
                    "description": props.get("Description", ""),
                    "arguments": [{"name": a.Name, "description": a.Description,
                                   "optional": a.IsOptional} for a in props.get("Arguments", ())]}
        return out

    # ------------------------------------------------------------------ documents

    def load(self, path):
        url = uno.systemPathToFileUrl(os.path.abspath(path))
        doc = self.desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
        if doc is None:
            raise RuntimeError(f"LibreOffice could not open {path}")
        return doc

    def store(self, doc, path):
        ext = os.path.splitext(path)[1].lower()
        if ext not in FILTERS:
            raise ValueError(f"cannot save {path}: use .ods or .xlsx")
        url = uno.systemPathToFileUrl(os.path.abspath(path))
        doc.storeToURL(url, (_prop("FilterName", FILTERS[ext]), _prop("Overwrite", True)))

    def recalc(self, path, save=None):
        doc = self.load(path)
        try:
            doc.calculateAll()
            sheets = {name: read_sheet(doc.Sheets.getByName(name)) for name in doc.Sheets.ElementNames}
            if save:
                self.store(doc, save)
            return sheets
        finally:
            doc.close(True)

    def convert(self, path, save):
        doc = self.load(path)
        try:
            doc.calculateAll()
            errors = count_errors(doc)
            self.store(doc, save)
            return {"errors": errors}
        finally:
            doc.close(True)


def used_area(sheet):
    cursor = sheet.createCursor()
    cursor.gotoStartOfUsedArea(False)
    cursor.gotoEndOfUsedArea(True)
    return cursor


def read_sheet(sheet):
    """Every value of the used area from A1: numbers, text, {"error": code} for error cells."""
    area = used_area(sheet).getRangeAddress()
    rng = sheet.getCellRangeByPosition(0, 0, area.EndColumn, area.EndRow)
    rows = [list(r) for r in rng.getDataArray()]
    errors = rng.queryFormulaCells(4)  # com.sun.star.sheet.FormulaResult.ERROR
    for a in errors.getRangeAddresses():
        for r in range(a.StartRow, a.EndRow + 1):
            for c in range(a.StartColumn, a.EndColumn + 1):
                rows[r][c] = {"error": sheet.getCellByPosition(c, r).getString()}
    return rows


def count_errors(doc):
    """How many formula cells show each error ({"#N/A": 1500}): a chart's helper cells may show
    #N/A on purpose; #NAME? means a function Calc did not find."""
    counts = {}
    for name in doc.Sheets.ElementNames:
        sheet = doc.Sheets.getByName(name)
        for a in used_area(sheet).queryFormulaCells(4).getRangeAddresses():
            for r in range(a.StartRow, a.EndRow + 1):
                for c in range(a.StartColumn, a.EndColumn + 1):
                    code = sheet.getCellByPosition(c, r).getString()
                    counts[code] = counts.get(code, 0) + 1
    return counts


def run(request):
    results = []
    with Office(request["soffice"], request.get("profile")) as office:
        for step in request["steps"]:
            op = step["op"]
            if op == "add":
                results.append(office.add(step["oxt"], step.get("repository", "user")))
            elif op == "remove":
                results.append(office.remove(step["identifier"], step.get("repository", "user")))
            elif op == "list":
                results.append(office.deployed(step.get("repository", "user")))
            elif op == "functions":
                results.append(office.functions(step["names"]))
            elif op == "recalc":
                results.append(office.recalc(step["path"], step.get("save")))
            elif op == "convert":
                results.append(office.convert(step["path"], step["save"]))
            else:
                raise ValueError(f"unknown step {op!r}")
    return results


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        request = json.load(f)
    try:
        out = {"results": run(request)}
    except Exception as exc:  # one line for the caller to show
        out = {"error": " ".join((f"{type(exc).__name__}: {exc}").split())}
    sys.stdout.write(json.dumps(out, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
