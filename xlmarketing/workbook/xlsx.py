"""The workbook package (the .xlsx zip) read and edited at the XML level.

openpyxl cannot write a formula's cached value and drops every cached value, ``xl/metadata.xml``
and the ``cm`` attribute when it saves, so results are written here, into the package's own XML.
Edits are surgical: a worksheet is split into its rows, only the rows holding changed cells are
rebuilt, and every other byte of the package (styles, charts, tables, names, validation,
comments, macros) is copied unchanged.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from .archive import (  # noqa: F401 - check_readable, MAX_UNCOMPRESSED re-exported
    MAX_UNCOMPRESSED,
    check_entries,
    check_no_dtd,
    check_readable,
    check_rels,
    check_sizes,
    decode,
    locate,
    part_index,
    read_part,
    resolve_target,
    write_atomic,
)
from .report import WorkbookError

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_METADATA = NS_REL + "/sheetMetadata"
REL_COMMENTS = NS_REL + "/comments"
REL_VML = NS_REL + "/vmlDrawing"
CT_METADATA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
AUTHOR = "xlmarketing"

METADATA_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<metadata xmlns="{NS_MAIN}" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" '
    'pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" '
    'clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk></futureMetadata>'
    '<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata></metadata>'
)

_ROW_RE = re.compile(r"<row\b[^>]*?(?:/>|>.*?</row>)", re.DOTALL)
_CELL_RE = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.DOTALL)
_ATTR_RE = re.compile(r'\s([\w:]+)="([^"]*)"')
_REF_RE = re.compile(r"([A-Z]+)(\d+)")
_V_RE = re.compile(r"<v\b[^>]*>(.*?)</v>", re.DOTALL)  # also <v xml:space="preserve"> </v>
_T_RE = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.DOTALL)
_F_RE = re.compile(r"<f\b[^>]*?(?:/>|>.*?</f>)", re.DOTALL)
_T_ATTR_RE = re.compile(r'\st="[^"]*"')
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def unescape(s: str) -> str:
    s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
    s = re.sub(r"&#x([0-9a-fA-F]+);", lambda m: chr(int(m.group(1), 16)), s)
    s = re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), s)
    s = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)
    return s.replace("&amp;", "&")


_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_text(s: str) -> str:
    if not _XML_SPECIAL.search(s):
        return s
    return escape(_XML_BAD.sub("", s))


def attrs(tag: str) -> dict[str, str]:
    """Attributes of an element's opening tag (first ``>``)."""
    return dict(_ATTR_RE.findall(tag[: tag.index(">") + 1] if ">" in tag else tag))


def relpath(part: str, target: str) -> str:
    """``target`` (a part name) relative to ``part``'s folder, as a relationship names it."""
    return posixpath.relpath(target, posixpath.dirname(part))


def split_ref(ref: str) -> tuple[int, int]:
    m = _REF_RE.fullmatch(ref.replace("$", ""))
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), column_index_from_string(m.group(1))


def cell_ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


# --------------------------------------------------------------------------- cell XML


def value_xml(value: Any) -> tuple[str | None, str] | None:
    """(t attribute, <v> text) of a cached value, or None for a blank."""
    tp = type(value)
    if tp is int:
        return None, str(value)
    if tp is float:
        if value.is_integer() and abs(value) < 1e15:
            return None, str(int(value))
        return (None, repr(value)) if math.isfinite(value) else None
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, (int, float)):
        f = float(value)
        if not math.isfinite(f):
            return None
        if isinstance(value, int) or f.is_integer() and abs(f) < 1e15:
            return None, str(int(f))
        return None, repr(f)
    if isinstance(value, (dt.datetime, dt.date)):
        from ..cells import to_serial

        return None, repr(to_serial(value))
    if hasattr(value, "item"):  # numpy scalar
        return value_xml(value.item())
    s = str(value)
    from ..errors import EXCEL_ERRORS

    if s in EXCEL_ERRORS:
        return "e", s
    return "str", s


def value_cell(ref: str, value: Any, style: str | None) -> str | None:
    """A plain value cell (inline string for text); None if it would be empty and unstyled."""
    s = f' s="{style}"' if style else ""
    tv = value_xml(value)
    if tv is None:
        return f'<c r="{ref}"{s}/>' if style else None
    t, v = tv
    if t == "str":
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_text(v)}</t></is></c>'
    tt = f' t="{t}"' if t else ""
    return f'<c r="{ref}"{s}{tt}><v>{xml_text(v)}</v></c>'


def array_cell(ref: str, formula: str, spill: str, value: Any, style: str | None,
               cm: str | None) -> str:
    """A dynamic-array anchor: the formula over its spill range plus its own cached value."""
    s = f' s="{style}"' if style else ""
    c = f' cm="{cm}"' if cm else ""
    tv = value_xml(value)
    t, v = tv if tv is not None else ("str", "")
    tt = f' t="{t}"' if t else ""
    return (f'<c r="{ref}"{s}{tt}{c}><f t="array" ref="{spill}">{xml_text(formula)}</f>'
            f"<v>{xml_text(v)}</v></c>")


def with_cached_value(cell_xml: str, value: Any) -> str:
    """A formula cell with its cached value replaced (formula and other attributes kept)."""
    open_end = cell_xml.index(">")
    head = cell_xml[: open_end + 1]
    if head.endswith("/>"):
        return cell_xml  # no formula: nothing to do
    head = _T_ATTR_RE.sub("", head)
    tv = value_xml(value)
    fm = _F_RE.search(cell_xml)
    f = fm.group(0) if fm else ""
    if tv is None:
        return head + f + "</c>"
    t, v = tv
    if t:
        head = head[:-1] + f' t="{t}">'
    return head + f + f"<v>{xml_text(v)}</v></c>"


def strip_for_recalc(cell_xml: str) -> str:
    """The cell with its cached value removed, so a formula engine must compute it."""
    open_end = cell_xml.index(">")
    head = cell_xml[: open_end + 1]
    if head.endswith("/>"):
        return cell_xml
    fm = _F_RE.search(cell_xml)
    return _T_ATTR_RE.sub("", head) + (fm.group(0) if fm else "") + "</c>"


def with_formula(cell_xml: str, formula: str) -> str:
    """The cell with its formula text replaced (a shared formula's child becomes a plain one)."""
    fm = _F_RE.search(cell_xml)
    if fm is None:
        return cell_xml
    a = attrs(fm.group(0))
    keep = "" if a.get("t") == "shared" and not fm.group(0).endswith("</f>") else \
        "".join(f' {k}="{v}"' for k, v in a.items())
    return cell_xml[: fm.start()] + f"<f{keep}>{xml_text(formula)}</f>" + cell_xml[fm.end():]


def cached_value(cell_xml: str, shared: list[str]) -> Any:
    """The value stored in a cell element, typed as openpyxl reads it (dates not converted)."""
    a = attrs(cell_xml)
    t = a.get("t", "n")
    if t == "inlineStr":
        return "".join(unescape(m or "") for m in _T_RE.findall(cell_xml)) or None
    m = _V_RE.search(cell_xml)
    if not m:
        return None
    v = m.group(1)
    if t == "s":
        try:
            return shared[int(v)]
        except (ValueError, IndexError):
            return None
    if t in ("str", "e"):
        return unescape(v)
    if t == "b":
        return v.strip() in ("1", "true")
    try:
        return int(v) if re.fullmatch(r"-?\d+", v.strip()) else float(v)
    except ValueError:
        return unescape(v)


# --------------------------------------------------------------------------- worksheets


class SheetXML:
    """A worksheet part split into rows; rows are parsed into cells only when touched."""

    def __init__(self, xml: str):
        m = re.search(r"<sheetData\s*/>|<sheetData\b[^>]*>(.*?)</sheetData>", xml, re.DOTALL)
        if not m:
            raise WorkbookError("a worksheet has no sheetData element")
        self.head = xml[: m.start()]
        self.tail = xml[m.end():]
        self.rows: dict[int, list[Any]] = {}  # r -> [open_tag, raw_inner | None, cells | None]
        self.dirty = False
        self._touched: set[tuple[int, int]] = set()
        body = m.group(1) or ""
        last = 0
        for rm in _ROW_RE.finditer(body):
            text = rm.group(0)
            open_end = text.index(">")
            open_tag = text[: open_end + 1]
            r_attr = re.search(r'\sr="(\d+)"', open_tag)
            r = int(r_attr.group(1)) if r_attr else last + 1
            last = r
            if open_tag.endswith("/>"):
                self.rows[r] = [open_tag[:-2].rstrip() + ">", "", None]
            else:
                self.rows[r] = [open_tag, text[open_end + 1: -len("</row>")], None]

    def _cells(self, r: int) -> dict[int, str] | None:
        row = self.rows.get(r)
        if row is None:
            return None
        if row[2] is None:
            cells: dict[int, str] = {}
            col = 0
            for cm in _CELL_RE.finditer(row[1]):
                text = cm.group(0)
                ra = re.search(r'\sr="([A-Z]+)(\d+)"', text[: text.index(">") + 1])
                col = column_index_from_string(ra.group(1)) if ra else col + 1
                if not ra:
                    text = text.replace("<c", f'<c r="{cell_ref(r, col)}"', 1)
                cells[col] = text
            row[2] = cells
        return row[2]

    def logical_cells(self) -> list[tuple[int, int]]:
        """Cells holding TRUE or FALSE (``t="b"``), constants or formulas' saved values."""
        out = []
        for r, row in self.rows.items():
            if row[2] is None and 't="b"' not in row[1]:
                continue  # not parsed for nothing
            for c, x in (self._cells(r) or {}).items():
                if ' t="b"' in x[: x.index(">")]:
                    out.append((r, c))
        return out

    def get(self, r: int, c: int) -> str | None:
        cells = self._cells(r)
        return None if cells is None else cells.get(c)

    def set(self, r: int, c: int, xml: str | None) -> None:
        cells = self._cells(r)
        if cells is None:
            self.rows[r] = [f'<row r="{r}">', "", {}]
            cells = self.rows[r][2]
        if xml is None:
            cells.pop(c, None)
        else:
            cells[c] = xml
        self._touched.add((r, c))
        self.dirty = True

    def style(self, r: int, c: int) -> str | None:
        x = self.get(r, c)
        return attrs(x).get("s") if x else None

    def serialize(self, overrides: dict[tuple[int, int], str | None] | None = None) -> str:
        """The worksheet XML; ``overrides`` replaces cells in this copy only."""
        by_row: dict[int, dict[int, str | None]] = {}
        for (r, c), x in (overrides or {}).items():
            by_row.setdefault(r, {})[c] = x
        parts = []
        rows_seen = []
        for r in sorted(set(self.rows) | set(by_row)):
            row = self.rows.get(r)
            if row is not None and row[2] is None and r not in by_row:
                parts.append(f"{row[0]}{row[1]}</row>")
                rows_seen.append(r)
                continue
            cells = dict(self._cells(r) or {})
            for c, x in by_row.get(r, {}).items():
                if x is None:
                    cells.pop(c, None)
                else:
                    cells[c] = x
            open_tag = re.sub(r'\sspans="[^"]*"', "", row[0]) if row else f'<row r="{r}">'
            if not cells and len(attrs(open_tag)) <= 1:
                continue
            parts.append(open_tag + "".join(cells[c] for c in sorted(cells)) + "</row>")
            rows_seen.append(r)
        head = self.head
        if self._touched or by_row:
            head = self._dimension(head, set(self._touched) | set(overrides or {}))
        body = "<sheetData>" + "".join(parts) + "</sheetData>" if parts else "<sheetData/>"
        return head + body + self.tail

    def _dimension(self, head: str, touched: set[tuple[int, int]]) -> str:
        m = re.search(r'<dimension ref="([^"]*)"\s*/>', head)
        if not m or not touched:
            return head
        ref = m.group(1)
        try:
            a, _, b = ref.partition(":")
            r1, c1 = split_ref(a)
            r2, c2 = split_ref(b or a)
        except ValueError:
            return head
        rs = [r for r, _ in touched]
        cs = [c for _, c in touched]
        r1, c1, r2, c2 = min(r1, *rs), min(c1, *cs), max(r2, *rs), max(c2, *cs)
        new = f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"
        return head[: m.start()] + f'<dimension ref="{new}"/>' + head[m.end():]


def read_values(xml: str, shared: list[str], wanted: set[tuple[int, int]] | None = None
                ) -> dict[tuple[int, int], Any]:
    """Cached values of the cells of a worksheet (only ``wanted`` ones if given)."""
    sheet = SheetXML(xml)
    rows = {r for r, _ in wanted} if wanted is not None else set(sheet.rows)
    out: dict[tuple[int, int], Any] = {}
    for r in rows:
        for c, x in (sheet._cells(r) or {}).items():
            if wanted is None or (r, c) in wanted:
                out[(r, c)] = cached_value(x, shared)
    return out


# --------------------------------------------------------------------------- the package


class Package:
    """All parts of a workbook package in memory, edited in place and saved atomically."""

    def __init__(self, data: dict[str, bytes], order: list[str], name: str = "workbook"):
        self.parts = data
        self.order = order
        self.name = name
        self.sheets: dict[str, SheetXML] = {}
        self._shared: list[str] | None = None
        self._cm: str | None | bool = False
        self._index: dict[str, str] | None = None

    @classmethod
    def open(cls, path: Path) -> Package:
        """Read every part, refusing one-line what Excel never writes (see :mod:`.archive`)."""
        check_readable(path)
        label = path.name
        try:
            with zipfile.ZipFile(path) as z:
                check_sizes(z, label)
                order = z.namelist()
                check_entries(order, label)
                data = {n: read_part(z, n, label) for n in order}
            for n, blob in data.items():
                check_no_dtd(n, blob, label)
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
            raise WorkbookError(f"cannot read {label}: damaged zip file ({exc})") from None
        if "EncryptedPackage" in data:
            raise WorkbookError(f"cannot read {label}: the workbook is password-protected "
                                "(encrypted); save it as an unprotected .xlsx")
        pkg = cls(data, order, label)
        check_rels({n: pkg.text(n) for n in order if n.endswith(".rels")}, label, order)
        index = part_index(order)
        locate(lambda p: pkg.text(index[p.lower()]) if p.lower() in index else None, label,
               lambda p: p.lower() in index)
        return pkg

    def to_bytes(self) -> bytes:
        import io

        buf = io.BytesIO()
        self._write(buf)
        return buf.getvalue()

    def _write(self, fh: Any, overrides: dict[str, bytes] | None = None) -> None:
        for name, sheet in self.sheets.items():
            if sheet.dirty:
                self.parts[name] = sheet.serialize().encode("utf-8")
                sheet.dirty = False
                # keep the parsed sheet in sync with what was written
                self.sheets[name] = SheetXML(self.parts[name].decode("utf-8"))
        parts = dict(self.parts)
        parts.update(overrides or {})
        order = self.order + [n for n in parts if n not in self.order]
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for n in order:
                if n in parts:
                    z.writestr(n, parts[n])

    def save(self, path: Path, overrides: dict[str, bytes] | None = None, *,
             mode: int | None = None, owner: os.stat_result | None = None) -> None:
        """Write atomically (a hidden temporary next to ``path``, then a rename) with ``mode``
        (default: a new file's, 0666 under the umask); see :func:`.archive.write_atomic`."""
        write_atomic(Path(path), lambda fh: self._write(fh, overrides), mode, owner)

    # -- parts -----------------------------------------------------------------------------

    def text(self, name: str) -> str:
        """A part's text; a missing or undecodable part is named in a one-line error."""
        if name not in self.parts:
            raise WorkbookError(f"cannot read {self.name}: the part {name} is missing")
        return decode(self.parts[name], name, self.name)

    def set_text(self, name: str, text: str, content_type: str | None = None) -> None:
        self.parts[name] = text.encode("utf-8")
        if content_type:
            self.add_override("/" + name, content_type)

    def rels_name(self, part: str) -> str:
        d, f = posixpath.split(part)
        return posixpath.join(d, "_rels", f + ".rels")

    def rels(self, part: str) -> list[dict[str, str]]:
        name = self.rels_name(part)
        if name not in self.parts:
            return []
        return [attrs(m.group(0)) for m in re.finditer(r"<Relationship\b[^>]*>", self.text(name))]

    def target(self, part: str, rel: dict[str, str]) -> str:
        """The part a relationship points to, by its stored name (names match case-insensitively)."""
        name = resolve_target(part, rel.get("Target", ""))
        if name not in self.parts:
            if self._index is None or len(self._index) != len(self.parts):
                self._index = part_index(self.parts)
            return self._index.get(name.lower(), name)
        return name

    def add_rel(self, part: str, rel_type: str, target: str) -> str:
        name = self.rels_name(part)
        text = self.text(name) if name in self.parts else (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{NS_PKG_REL}"></Relationships>')
        ids = set(re.findall(r'\sId="([^"]*)"', text))
        n = 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        rel = f'<Relationship Id="{rid}" Type="{rel_type}" Target="{target}"/>'
        text = re.sub(r"<Relationships([^>]*)/>", r"<Relationships\1></Relationships>", text)
        self.set_text(name, text.replace("</Relationships>", rel + "</Relationships>"))
        return rid

    def add_override(self, part_name: str, content_type: str) -> None:
        text = self.text("[Content_Types].xml")
        if f'PartName="{part_name}"' in text:
            return
        ov = f'<Override PartName="{part_name}" ContentType="{content_type}"/>'
        self.parts["[Content_Types].xml"] = text.replace("</Types>", ov + "</Types>").encode()

    def add_default(self, ext: str, content_type: str) -> None:
        text = self.text("[Content_Types].xml")
        if re.search(rf'<Default Extension="{ext}"', text, re.IGNORECASE):
            return
        d = f'<Default Extension="{ext}" ContentType="{content_type}"/>'
        self.parts["[Content_Types].xml"] = text.replace("</Types>", d + "</Types>").encode()

    def workbook_part(self) -> str:
        for rel in self.rels(""):
            if rel.get("Type", "").endswith("/officeDocument"):
                return self.target("", rel)
        return "xl/workbook.xml"

    def sheet_parts(self) -> dict[str, str]:
        """Sheet title -> worksheet part name, in workbook order (worksheets only)."""
        wb = self.workbook_part()
        rels = {r.get("Id", ""): r for r in self.rels(wb)}
        out = {}
        for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", self.text(wb)):
            a = attrs(m.group(0))
            rid = next((v for k, v in a.items() if k.endswith(":id")), None)
            rel = rels.get(rid or "")
            if rel and rel.get("Type", "").endswith("/worksheet"):
                out[unescape(a.get("name", ""))] = self.target(wb, rel)
        return out

    def sheet(self, part: str) -> SheetXML:
        if part not in self.sheets:
            try:
                self.sheets[part] = SheetXML(self.text(part))
            except WorkbookError as exc:
                if str(exc).startswith("cannot read"):
                    raise
                raise WorkbookError(f"cannot read {self.name}: the part {part}: {exc}") from None
        return self.sheets[part]

    @property
    def shared_strings(self) -> list[str]:
        if self._shared is None:
            self._shared = []
            wb = self.workbook_part()
            for rel in self.rels(wb):
                if rel.get("Type", "").endswith("/sharedStrings"):
                    part = self.target(wb, rel)
                    try:
                        root = SafeET.fromstring(self.parts[part])
                    except KeyError:
                        raise WorkbookError(f"cannot read {self.name}: the shared strings part "
                                            f"{part} is missing from the package") from None
                    except ET.ParseError as exc:
                        raise WorkbookError(f"cannot read {self.name}: the part {part}: {exc}"
                                            ) from None
                    t_tag, r_tag = f"{{{NS_MAIN}}}t", f"{{{NS_MAIN}}}r"
                    for si in root.iter(f"{{{NS_MAIN}}}si"):
                        # Plain text, or rich text runs; phonetic runs (<rPh>, Japanese
                        # readings) are not part of the value.
                        texts = [c for c in si if c.tag == t_tag]
                        texts += [t for r in si if r.tag == r_tag for t in r if t.tag == t_tag]
                        self._shared.append("".join(t.text or "" for t in texts))
        return self._shared

    # -- dynamic arrays ----------------------------------------------------------------------

    def dynamic_array_cm(self) -> str | None:
        """The ``cm`` index of the XLDAPR dynamic-array cell metadata, adding the part if needed.

        None when the workbook has a metadata part without dynamic-array metadata (the formulas
        are then written as classic array formulas).
        """
        if self._cm is not False:
            return self._cm  # type: ignore[return-value]
        wb = self.workbook_part()
        existing = [self.target(wb, r) for r in self.rels(wb) if r.get("Type") == REL_METADATA]
        if not existing:
            name = posixpath.join(posixpath.dirname(wb), "metadata.xml")
            self.set_text(name, METADATA_XML, CT_METADATA)
            self.add_rel(wb, REL_METADATA, "metadata.xml")
            self._cm = "1"
            return "1"
        self._cm = _find_xldapr(self.text(existing[0]))
        return self._cm  # type: ignore[return-value]


def _find_xldapr(text: str) -> str | None:
    types = [attrs(m.group(0)).get("name") for m in re.finditer(r"<metadataType\b[^>]*>", text)]
    if "XLDAPR" not in types:
        return None
    t_index = types.index("XLDAPR") + 1
    cm = re.search(r"<cellMetadata\b[^>]*>(.*?)</cellMetadata>", text, re.DOTALL)
    if not cm:
        return None
    for i, bk in enumerate(re.findall(r"<bk>(.*?)</bk>", cm.group(1), re.DOTALL), start=1):
        rc = re.search(r'<rc\s+t="(\d+)"', bk)
        if rc and int(rc.group(1)) == t_index:
            return str(i)
    return None
