"""A real .xlsx round trip: data in a workbook, the range read back, segments written and reread."""

import datetime as dt

import openpyxl
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from tests.test_segment import blobs
from xlmarketing import udfs


def test_xlsx_round_trip(tmp_path):
    rows, truth = blobs()
    path = tmp_path / "customers.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["Spend", "Visits", "Last purchase", "Channel"])
    for i, (r, t) in enumerate(zip(rows, truth)):
        ws.append(r + [dt.datetime(2024, 1, 1) + dt.timedelta(days=int(t) * 40 + i % 5), ["web", "store", "app"][t]])
    ws.insert_rows(10)  # a blank customer row inside the range
    wb.save(path)

    wb = openpyxl.load_workbook(path)
    ws = wb["Customers"]
    values = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=4, values_only=True)]
    assert isinstance(values[1][2], dt.datetime)  # openpyxl hands dates over as Windows Excel does
    out = udfs.KMEANS_SEGMENT(values, 3)
    assert len(out) == ws.max_row
    for i, (cell,) in enumerate(out, start=1):
        ws.cell(row=i, column=5, value=None if cell == "" else cell)
    wb.save(path)

    back = pd.read_excel(path, sheet_name="Customers", engine="openpyxl")
    assert list(back.columns) == ["Spend", "Visits", "Last purchase", "Channel", "Segment"]
    assert back.iloc[8].isna().all()  # the blank row stayed blank, segment included
    seg = back["Segment"].dropna().astype(int).to_numpy()
    assert adjusted_rand_score(truth, seg) == 1.0
    assert sorted(set(seg)) == [1, 2, 3]
