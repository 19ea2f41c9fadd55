"""xlmarketing's functions in LibreOffice Calc: a Python UNO add-in in an extension (.oxt).

* :mod:`.extension` generates the extension from the function registry (the UNO interface, the
  function wizard's texts, the component that LibreOffice runs);
* :mod:`.bridge` is what the component runs per call: Calc's values in, the registered
  function, Calc's values out, a user mistake as its one-line message plus error cells;
* :mod:`.manage` installs, removes and uses it through LibreOffice's own Python
  (:mod:`.office`, a script for that Python).

The command line: ``xlmarketing libreoffice build|install|uninstall|convert``.
"""

from .extension import IDENTIFIER, IMPLEMENTATION, build
from .manage import CalcError, convert, install, installed, recalc, uninstall

__all__ = ["IDENTIFIER", "IMPLEMENTATION", "CalcError", "build", "convert", "install",
           "installed", "recalc", "uninstall"]
