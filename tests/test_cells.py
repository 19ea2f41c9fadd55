"""The cell adapter on values shaped as each runtime sends them."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from xlmarketing import cells
from xlmarketing.errors import XLMError

NA_ENTITY = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


def test_windows_com_shape_header_blanks_dates():
    # COM raw: tuples of tuples, None blanks, datetime dates, floats.
    values = (
        ("Spend", "Last purchase", "Channel"),
        (120.5, dt.datetime(2024, 1, 31), "web"),
        (None, None, None),
        (80.0, dt.datetime(2024, 2, 29), "store"),
        (None, dt.datetime(2024, 3, 1), None),
    )
    t = cells.read_table(values)
    assert t.header is True
    assert t.columns == ["Spend", "Last purchase", "Channel"]
    assert t.kinds == {"Spend": "number", "Last purchase": "date", "Channel": "category"}
    assert t.row_mask.tolist() == [True, False, True, True]
    assert t.frame["Last purchase"].tolist() == [45322.0, 45351.0, 45352.0]  # Excel serials
    assert t.frame["Spend"].iloc[0] == 120.5 and math.isnan(t.frame["Spend"].iloc[2])
    assert pd.api.types.is_string_dtype(t.frame["Channel"])
    assert t.frame["Channel"].isna().tolist() == [False, False, True]


def test_officejs_shape_serial_dates_and_nulls_read_the_same_numbers():
    com = [["Spend", "Date"], [10.0, dt.datetime(2024, 1, 31)], [20.0, dt.datetime(2024, 2, 1)]]
    ojs = [["Spend", "Date"], [10, 45322], [20, 45323]]
    a, b = cells.read_table(com), cells.read_table(ojs)
    assert a.frame.to_numpy().tolist() == b.frame.to_numpy().tolist()
    # Serial days under a header naming a date are dates, as the same cells sent as dates.
    assert a.kinds["Date"] == b.kinds["Date"] == "date"
    assert b.notes == ["Date: numbers read as dates (Excel serial days, as Excel on the web and "
                       "Mac sends date cells), 2024-01-31 to 2024-02-01: the header names a date."]
    # Under another header (or none) they stay numbers.
    other = cells.read_table([["Spend", "Income"]] + ojs[1:])
    assert other.kinds["Income"] == "number" and not other.notes
    assert cells.read_table(ojs[1:], header=False).kinds["column 2"] == "number"


def test_numeric_text_booleans_and_empty_strings():
    t = cells.read_table([["1,250", "15%", True, ""], ["$40", "50%", "FALSE", "  "], [" 7 ", "100 %", False, None]],
                         header=False)
    assert t.frame.to_numpy(dtype=float)[:, :3].tolist() == [[1250, 0.15, 1], [40, 0.5, 0], [7, 1.0, 0]]
    assert t.kinds["column 3"] in ("bool", "number")
    assert t.frame["column 4"].isna().all()


@pytest.mark.parametrize("bad, code", [
    ("#N/A", "#N/A"),
    (NA_ENTITY, "#N/A"),
    (-2146826252, "#NUM!"),   # COM's error integer for #NUM!
    ("#DIV/0!", "#DIV/0!"),
])
def test_error_values_are_refused_naming_row_and_column(bad, code):
    values = [["Spend", "Visits"], [1.0, 2.0], [3.0, bad], [5.0, 6.0]]
    with pytest.raises(XLMError) as e:
        cells.read_table(values, name="data")
    assert e.value.code == code
    assert e.value.text == (f'{code} data has the error value {code} in row 3 of the range '
                            f'(column "Visits"). Fix that cell or clear it.')


def test_header_detection_and_forcing():
    assert cells.read_table([["a", "b"], [1, 2], [3, 4]]).header is True
    assert cells.read_table([[1, 2], [3, 4]]).header is False
    # Text everywhere: no way to tell, so no header unless forced.
    assert cells.read_table([["x", "y"], ["p", "q"]]).header is False
    assert cells.read_table([["x", "y"], ["p", "q"]], header=True).columns == ["x", "y"]
    forced = cells.read_table([["a", "b"], [1, 2]], header=False)
    assert forced.header is False and forced.kinds["column 1"] == "category"


def test_duplicate_and_blank_header_names_are_made_unique():
    t = cells.read_table([["Spend", "Spend", None], [1, 2, 3]])
    assert t.columns == ["Spend", "Spend (2)", "column 3"]


def test_stray_text_in_a_number_column_is_named_not_silently_categorised():
    values = [["Spend"]] + [[float(i)] for i in range(30)] + [["n/a"]]
    with pytest.raises(XLMError, match=r'#VALUE! data column "Spend" holds numbers but row 32 has the text \'n/a\''):
        cells.read_table(values)


def test_scalar_and_1d_and_ragged_inputs():
    assert cells.as_grid(5) == [[5]]
    assert cells.as_grid([1, 2]) == [[1, 2]]  # Office.js's one-row range
    assert cells.as_grid([[1, 2], [3]]) == [[1, 2], [3, None]]
    assert cells.as_grid(np.array([[1, 2]])) == [[1, 2]]
    df = pd.DataFrame({"a": [1, 2]})
    assert cells.read_table(df).columns == ["a"]


def test_all_blank_range_is_refused():
    with pytest.raises(XLMError, match="#VALUE! data is empty: every cell in the range is blank"):
        cells.read_table([[None, ""], ["", None]])


def test_infinity_and_nan():
    t = cells.read_table([[1.0], [float("nan")], [3.0]])
    assert t.row_mask.tolist() == [True, False, True]
    with pytest.raises(XLMError, match="non-finite number inf"):
        cells.read_table([[1.0], [float("inf")]])


def test_to_cells_aligns_with_blank_rows_and_header():
    t = cells.read_table([["Spend"], [1.0], [None], [3.0]])
    assert cells.to_cells(np.array([7, 9]), t, labels="Segment") == [["Segment"], [7], [""], [9]]
    t2 = cells.read_table([[1.0], [None], [3.0]])
    assert cells.to_cells([0.5, float("nan")], t2, labels="Segment", blank=None) == [[0.5], [None], [None]]


def test_to_cells_returns_plain_python_values():
    out = cells.to_cells(np.array([[np.int64(1), np.float64(2.5), np.inf]], dtype=object))
    assert out == [[1, 2.5, ""]]
    assert type(out[0][0]) is int and type(out[0][1]) is float


@pytest.mark.parametrize("value, kwargs, expected", [
    ([[4]], {}, 4), (4.0, {}, 4), ("4", {}, 4), (None, {"default": 3}, 3), ([[None]], {"default": 3}, 3),
])
def test_param_int(value, kwargs, expected):
    assert cells.param_int(value, "k", **kwargs) == expected


def test_param_errors_say_what_and_how():
    with pytest.raises(XLMError, match=r"#VALUE! seed must be a whole number, got 'abc'\. Enter a whole number of at least 0\."):
        cells.param_int("abc", "seed", lo=0)
    with pytest.raises(XLMError, match=r"#NUM! folds=1 is out of range\. Enter a whole number from 2 to 20\."):
        cells.param_int(1, "folds", lo=2, hi=20)
    with pytest.raises(XLMError, match=r"#NUM! interval=1\.5 is out of range; it must be above 0 and below 1\."):
        cells.param_float(1.5, "interval", lo=0, hi=1, lo_open=True, hi_open=True)
    with pytest.raises(XLMError, match="#N/A a parameter is the error value #N/A"):
        cells.scalar([[NA_ENTITY]])
    assert cells.param_bool("yes", "scale", default=False) is True
    assert cells.param_header("auto") is None and cells.param_header(False) is False


def test_wide_numeric_table_uses_the_fast_path_and_keeps_values():
    rng = np.random.default_rng(0)
    block = rng.normal(size=(2000, 6))
    t = cells.read_table(block.tolist())
    assert np.array_equal(t.frame.to_numpy(), block)
    assert all(k == "number" for k in t.kinds.values())


# --------------------------------------------------------------------------- one serial-day rule


def test_one_serial_day_conversion_for_every_layer():
    import datetime as dt
    from pathlib import Path

    import xlmarketing
    from xlmarketing.core import serial

    assert cells.to_serial is serial.to_serial and cells.from_serial is serial.from_serial
    assert cells.to_serial(dt.date(1900, 3, 1)) == 61.0               # Excel's own numbering
    assert cells.to_serial(dt.datetime(2024, 1, 31, 18)) == 45322.75
    assert cells.from_serial(45322.75) == dt.datetime(2024, 1, 31, 18)
    assert serial.date_of(45322) == dt.date(2024, 1, 31)
    # the epoch is written in one module only
    root = Path(xlmarketing.__file__).parent
    holders = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
               if "1899, 12, 30" in p.read_text(encoding="utf-8")]
    assert holders == ["core/serial.py"]


def test_one_numbers_expected_check_names_the_first_text_cell():
    # numeric labels ("12") in a mixed column are numbers; the first real text is named
    t = cells.read_table([["Amount"], [12.0], ["12"], [None], ["lots"], ["more"]])
    assert cells.first_text(t, "Amount") == ("lots", 5)
    with pytest.raises(XLMError, match=r"^#VALUE! data has the text 'lots' in row 5 \(column "
                                       r"\"Amount\"\); it needs numbers\. Fix that cell or clear it\.$"):
        cells.refuse_text(t, "Amount")
    with pytest.raises(XLMError) as exc:
        cells.read_table([["Amount"], [1.0], ["lots"]], allow_text=False)
    assert str(exc.value).endswith("has the text 'lots' in row 3 (column \"Amount\"); it needs "
                                   "numbers. Fix that cell or clear it.")


def test_the_cell_layer_imports_nothing_above_it_and_the_core_nothing_outside():
    import ast
    from pathlib import Path

    import xlmarketing

    root = Path(xlmarketing.__file__).parent

    def imports(path):
        """The first part of every module ``path`` imports relatively (core, cells, errors...)."""
        here = path.relative_to(root).with_suffix("").parts       # ("cells", "values")
        out = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = list(here[: len(here) - node.level])
                mods = [node.module] if node.module else [a.name for a in node.names]
                out |= {[*base, *m.split(".")][0] for m in mods}   # from .. import cache: cache
        return out

    for p in (root / "cells").glob("*.py"):
        assert not imports(p) & {"functions", "cache", "workbook", "udfs", "cli"}, p.name
    for p in (root / "core").glob("*.py"):
        assert imports(p) <= {"core"}, p.name
    # every module of the package is importable on its own names from xlmarketing.cells
    for name in cells.__all__:
        assert getattr(cells, name) is not None
