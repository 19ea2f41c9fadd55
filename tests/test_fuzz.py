"""A short run of the UDF fuzzer (tests/fuzz_udfs.py) through the Office.js call path.

The full run is ``python tests/fuzz_udfs.py --cases 10000``; here each function gets a few dozen
cases, enough to catch an escaped exception, NaN in a result or a traceback in a cell.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).with_name("fuzz_udfs.py")

# Every function of the registry, 50 generated cases each, in a subprocess: minutes.
pytestmark = pytest.mark.slow


def test_every_udf_answers_with_a_result_or_a_clear_error():
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.run([sys.executable, str(FUZZ), "--cases", "50", "--json"],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"KMEANS_SEGMENT", "SEGMENT_PROFILE", "SEGMENT_K", "XLM_CACHE_INFO"} <= set(stats)
    for name, counts in stats.items():
        assert counts["value"] + counts["XLMError"] == 50 or name.startswith("XLM_CACHE"), (name, counts)
    # The fitting paths were exercised, not only the error paths.
    assert sum(c["value"] for n, c in stats.items() if not n.startswith("XLM_CACHE")) > 0
