"""Cell comments carrying error messages, written into the package (comments part + VML).

Comments written by the engine have the author ``xlmarketing``; on every refresh those on our
formula cells are removed first, so a fixed cell loses its stale message. Comments by anyone
else are never touched.
"""

from __future__ import annotations

import re

from .xlsx import (
    AUTHOR,
    CT_COMMENTS,
    CT_VML,
    NS_MAIN,
    REL_COMMENTS,
    REL_VML,
    Package,
    attrs,
    relpath,
    split_ref,
    unescape,
    xml_text,
)

_EMPTY_COMMENTS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   f'<comments xmlns="{NS_MAIN}"><authors></authors><commentList></commentList>'
                   '</comments>')
_EMPTY_VML = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" '
              'xmlns:o="urn:schemas-microsoft-com:office:office" '
              'xmlns:x="urn:schemas-microsoft-com:office:excel">'
              '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
              '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
              'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
              '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype></xml>')
# Elements that follow <legacyDrawing> in a worksheet (CT_Worksheet order).
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                 "webPublishItems", "tableParts", "extLst")


def _shape(row: int, col: int, n: int) -> str:
    r0, c0 = row - 1, col - 1
    return (f'<v:shape id="_x0000_s{1024 + n}" type="#_x0000_t202" '
            'style="position:absolute;margin-left:80pt;margin-top:2pt;width:240pt;height:80pt;'
            'z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
            '<x:MoveWithCells/><x:SizeWithCells/>'
            f'<x:Anchor>{c0 + 1}, 15, {r0}, 2, {c0 + 4}, 15, {r0 + 4}, 16</x:Anchor>'
            f'<x:AutoFill>False</x:AutoFill><x:Row>{r0}</x:Row><x:Column>{c0}</x:Column>'
            '</x:ClientData></v:shape>')


def _unused(pkg: Package, pattern: str) -> str:
    n = 1
    while pattern.format(n) in pkg.parts:
        n += 1
    return pattern.format(n)


def update_comments(pkg: Package, sheet_part: str, ours: set[tuple[int, int]],
                    messages: dict[tuple[int, int], str]) -> None:
    """Drop our old comments on ``ours`` cells, then add ``messages`` (cell -> text)."""
    rels = pkg.rels(sheet_part)
    c_rel = next((r for r in rels if r.get("Type") == REL_COMMENTS), None)
    if c_rel is None and not messages:
        return
    sheet = pkg.sheet(sheet_part)
    if c_rel is None:
        c_part = _unused(pkg, "xl/comments{}.xml")
        pkg.set_text(c_part, _EMPTY_COMMENTS, CT_COMMENTS)
        pkg.add_rel(sheet_part, REL_COMMENTS, relpath(sheet_part, c_part))
    else:
        c_part = pkg.target(sheet_part, c_rel)
    text = pkg.text(c_part)

    # the VML drawing Excel needs to show notes
    v_rel = None
    lm = re.search(r'<legacyDrawing\b[^>]*\br:id="([^"]*)"', sheet.tail) or \
        re.search(r'<legacyDrawing\b[^>]*\bid="([^"]*)"', sheet.tail)
    if lm:
        v_rel = next((r for r in rels if r.get("Id") == lm.group(1)), None)
    if v_rel is not None:
        v_part = pkg.target(sheet_part, v_rel)
    else:
        if not messages:
            v_part = None
        else:
            v_part = _unused(pkg, "xl/drawings/vmlDrawing{}.vml")
            pkg.parts[v_part] = _EMPTY_VML.encode()
            pkg.add_default("vml", CT_VML)
            rid = pkg.add_rel(sheet_part, REL_VML,
                              relpath(sheet_part, v_part))
            tag = f'<legacyDrawing r:id="{rid}"/>'
            ns = "" if "xmlns:r=" in sheet.head else f' xmlns:r="{pkg_rel_ns()}"'
            tag = tag.replace("<legacyDrawing", f"<legacyDrawing{ns}")
            tail = sheet.tail
            pos = min([i for i in (tail.find(f"<{e}") for e in _AFTER_LEGACY) if i >= 0]
                      + [tail.rindex("</worksheet>")])
            sheet.tail = tail[:pos] + tag + tail[pos:]
            sheet.dirty = True
    vml = pkg.parts[v_part].decode("utf-8", "replace") if v_part else ""

    authors = [unescape(a) for a in re.findall(r"<author>(.*?)</author>", text, re.DOTALL)]
    ours_id = authors.index(AUTHOR) if AUTHOR in authors else None

    def keep(m: re.Match[str]) -> str:
        a = attrs(m.group(0))
        try:
            cell = split_ref(a.get("ref", ""))
        except ValueError:
            return m.group(0)
        if ours_id is not None and a.get("authorId") == str(ours_id) and cell in ours:
            removed.add(cell)
            return ""
        return m.group(0)

    removed: set[tuple[int, int]] = set()
    text = re.sub(r"<comment\b[^>]*?(?:/>|>.*?</comment>)", keep, text, flags=re.DOTALL)
    if vml and removed:
        def keep_shape(m: re.Match[str]) -> str:
            rr = re.search(r"<x:Row>(\d+)</x:Row>", m.group(0))
            cc = re.search(r"<x:Column>(\d+)</x:Column>", m.group(0))
            if rr and cc and (int(rr.group(1)) + 1, int(cc.group(1)) + 1) in removed \
                    and 'ObjectType="Note"' in m.group(0):
                return ""
            return m.group(0)
        vml = re.sub(r"<v:shape\b.*?</v:shape>", keep_shape, vml, flags=re.DOTALL)

    if messages:
        if ours_id is None:
            ours_id = len(authors)
            text = re.sub(r"<authors\s*/>", "<authors></authors>", text)
            text = text.replace("</authors>", f"<author>{AUTHOR}</author></authors>", 1)
        text = re.sub(r"<commentList\s*/>", "<commentList></commentList>", text)
        existing = {split_ref(a) for a in re.findall(r'<comment\b[^>]*\bref="([^"]*)"', text)}
        new = []
        shapes = []
        n = len(re.findall(r"<v:shape\b", vml))
        for (r, c), msg in sorted(messages.items()):
            if (r, c) in existing:
                continue  # someone else's comment: leave it, the report still has the message
            ref = f"{_col(c)}{r}"
            new.append(f'<comment ref="{ref}" authorId="{ours_id}"><text><r><t xml:space="preserve">'
                       f"{xml_text(msg)}</t></r></text></comment>")
            n += 1
            shapes.append(_shape(r, c, n))
        text = text.replace("</commentList>", "".join(new) + "</commentList>", 1)
        if v_part:
            vml = vml.replace("</xml>", "".join(shapes) + "</xml>")
    pkg.set_text(c_part, text)
    if v_part:
        pkg.parts[v_part] = vml.encode("utf-8")


def _col(c: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(c)


def pkg_rel_ns() -> str:
    from .xlsx import NS_REL

    return NS_REL
