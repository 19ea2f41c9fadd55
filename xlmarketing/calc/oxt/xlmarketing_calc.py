"""xlmarketing's functions in LibreOffice Calc: the add-in component, run by LibreOffice's Python.

This file is copied as it stands into the extension (``xlmarketing.oxt``) by
``xlmarketing libreoffice build``; LibreOffice loads it, not the xlmarketing package. It only
makes the package importable and hands every call to :func:`xlmarketing.calc.bridge.call`, so
Calc runs the registered functions, their cache and their error lines.

LibreOffice's Python is not the Python where xlmarketing and its libraries are installed (on
Linux it is the system ``python3`` with ``python3-uno``). The build writes, beside this file,
``xlmarketing_calc.json``: the Python version and the import paths of the Python that built the
extension. They are put in front of ``sys.path`` at the first call (the variable
``XLMARKETING_PYTHONPATH``, if set, goes first), only when the Python versions agree: compiled
libraries (numpy, scikit-learn) load only in the version they were built for.
"""

import json
import os
import struct
import sys

import unohelper
from com.sun.star.lang import XServiceName

try:  # the interface generated from the function registry (xlmarketing_calc.idl)
    from org.xlmarketing.calc import XFunctions
    _INTERFACES = (XFunctions,)
except ImportError:
    # While unopkg or the extension manager registers this component, the extension's own
    # types are not loaded yet; registration needs only the names below. Calc loads the
    # component again in a fresh process, where the import succeeds.
    _INTERFACES = ()

#: The service name Calc's add-in configuration (CalcAddIns.xcu) is keyed by, and the prefix of
#: the functions' programmatic names (``_XLUDF.KMEANS_SEGMENT``). It is the prefix the Office
#: Open XML format gives user-defined functions, so ``_xludf.KMEANS_SEGMENT(...)`` in an .xlsx
#: resolves to this add-in when Calc loads the file.
IMPLEMENTATION = "_xludf"
SERVICE = "com.sun.star.sheet.AddIn"

_HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_HERE, "xlmarketing_calc.json"), encoding="utf-8") as _f:
    CONFIG = json.load(_f)

_bridge = None
_problem = None


def _load_bridge():
    """Import xlmarketing.calc.bridge once; remember why not if it fails."""
    global _bridge, _problem
    if _bridge is not None or _problem is not None:
        return _bridge
    wanted = CONFIG.get("python", "")
    here = "{}.{}".format(*sys.version_info[:2])
    paths = [p for p in os.environ.get("XLMARKETING_PYTHONPATH", "").split(os.pathsep) if p]
    if wanted == here:
        paths += CONFIG.get("paths", [])
    sys.path[0:0] = [p for p in paths if p not in sys.path]
    try:
        from xlmarketing.calc import bridge
    except Exception as exc:  # noqa: BLE001 - any failure becomes the cells' message
        detail = " ".join((f"{type(exc).__name__}: {exc}").split())
        version = ("" if wanted == here else
                   f" LibreOffice runs Python {here} but the add-in was built by Python {wanted};")
        _problem = (f"xlmarketing cannot be imported by LibreOffice's Python ({detail}).{version} run "
                    f"'xlmarketing libreoffice install' with a Python {here} that has xlmarketing "
                    "installed, or set XLMARKETING_PYTHONPATH.")
        return None
    _bridge = bridge
    return bridge


def _method(name):
    def call(self, *args):
        bridge = _load_bridge()
        if bridge is None:  # the message, then #VALUE! error cells (as bridge.error_block)
            err = struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000000 | 519))[0]
            return ((f"#VALUE! {name}: {_problem}", err), (err, err))
        return bridge.call(name, args)

    call.__name__ = name
    return call


class Functions(unohelper.Base, XServiceName, *_INTERFACES):
    """One method per registered function (the names come from the build's registry)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def getServiceName(self):
        return IMPLEMENTATION


for _name in CONFIG["functions"]:
    setattr(Functions, _name, _method(_name))

g_ImplementationHelper = unohelper.ImplementationHelper()
g_ImplementationHelper.addImplementation(Functions, IMPLEMENTATION, (SERVICE,))
