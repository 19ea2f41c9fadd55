"""Formulas tokenized once per shape (xlmarketing/workbook/calls.py ``tokenize``): the tokens
must be exactly openpyxl's for every cell, whichever cell of a shape came first."""

from __future__ import annotations

import pytest
from openpyxl.formula import Tokenizer

from tests import fidelity as F
from xlmarketing.workbook.calls import _shapes, shape_of, tokenize
from xlmarketing.workbook.model import read_model
from xlmarketing.workbook.xlsx import Package


def plain(tokens):
    return [(t.value, t.type, t.subtype) for t in tokens]


# each pair: one shape, two cells' references (the second is tokenized from the cache)
PAIRS = [
    ("=VLOOKUP(C2,Labels!$A$2:$B$4,2,FALSE)", "=VLOOKUP(C3000,Labels!$A$2:$B$4,2,FALSE)"),
    ("=LOG10(A1)+1E+5-E1", "=LOG10(XFD9)+1E+5-E7"),
    ("='Q1 x'!A1&\"A1\"", "='Q1 x'!B7&\"A1\""),
    ("=Q1!A1+SUM(A:A)", "=Q1!A2+SUM(A:A)"),
    ("=A1:INDEX(B1:B9,2)", "=A2:INDEX(B2:B10,2)"),
    ("=Table1[[#This Row],[A1]]*2", "=Table1[[#This Row],[A1]]*2"),
    ("={1,2;3,4}*A1", "={1,2;3,4}*ZZ99"),
    ("=-A1%+$B$2^2", "=-A7%+$B$2^2"),
    ("=SUM(Sheet1:Sheet3!A1)", "=SUM(Sheet1:Sheet3!A2)"),
    ('=IF(A1>0,"x""A2""",B$3)', '=IF(A9>0,"x""A2""",C$3)'),
    ("=ATAN2(A1,B1) + A1 B1", "=ATAN2(A2,B2) + A2 B2"),
    ("=2E1+E1", "=2E1+E2"),
    ("=_xlfn.ANCHORARRAY(C2)", "=_xlfn.ANCHORARRAY(D2)"),
]


@pytest.mark.parametrize("first,second", PAIRS)
def test_each_cell_of_a_shape_gets_the_tokenizers_tokens(first, second):
    assert shape_of(first) == shape_of(second)
    for f in (first, second, first):
        assert plain(tokenize(f)) == plain(Tokenizer(f).items)


def test_text_and_quoted_sheet_names_are_part_of_the_shape():
    assert shape_of('=A2&"A2"') != shape_of('=A2&"A3"')
    assert shape_of("='A1'!B2") != shape_of("='A2'!B2")
    assert shape_of("=A2*$B$1") == shape_of("=A3*$B$9")
    assert shape_of("=LOG10(A2)") == "=LOG10(\x01)"  # a function name is not a reference


def test_a_formula_the_tokenizer_refuses_is_refused_the_same_way():
    bad = '=SUM(A1,"unclosed'
    with pytest.raises(Exception) as want:
        Tokenizer(bad)
    for _ in range(2):
        with pytest.raises(type(want.value)):
            tokenize(bad)


def test_every_formula_of_the_corpus_tokenizes_as_openpyxl_does():
    texts = []
    for path in F.corpus():
        model = read_model(Package.open(path))
        texts += ["=" + f.text for sm in model for f in sm.formulas.values()]
    assert len(texts) > 800
    for _ in range(2):  # the second time every shape is known
        for f in texts:
            assert plain(tokenize(f)) == plain(Tokenizer(f).items), f
    assert any(v is not None for v in _shapes.values())
