"""Every registered function's answer is plain cell values: valid JSON with no NaN or infinity
(the Office.js path sends results raw; Excel has no NaN cell). Covers a new function on day one
through tests/registry_calls.py."""

from __future__ import annotations

import json

import pytest

from tests.registry_calls import SKIP, call_of
from xlmarketing.errors import XLMError
from xlmarketing.functions import REGISTRY

NAMES = sorted(n for n in REGISTRY if n not in SKIP)


@pytest.mark.parametrize("name", NAMES)
def test_the_answer_is_valid_json_cells(name):
    try:
        out = REGISTRY[name](**call_of(name, REGISTRY[name]))
    except XLMError as exc:
        pytest.fail(f"{name}'s sample call is refused: {exc.text}")
    json.dumps(out, allow_nan=False, default=str)
    assert isinstance(out, list) and all(isinstance(r, list) for r in out)
    assert len({len(r) for r in out}) == 1, f"{name}: ragged rows"
