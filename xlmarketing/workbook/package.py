"""The workbook file as a package: what is safe to read, and how it is written.

Light on purpose (standard library only): a refresh that finds none of our formulas answers
from here without importing the models, pandas or openpyxl.

* :func:`inspect` opens the zip, refuses what Excel would never write (entry names with ``..``
  or absolute paths, relationships that leave the package, a missing workbook or sheet part,
  a damaged entry) with one line naming the part, and says whether any of our functions
  appears and whether the file is Strict Open XML.
* :func:`write_atomic` writes next to the destination, then renames, with the permissions the
  output should have (``mkstemp`` alone makes 0600); :func:`clean_stale_temps` removes the
  hidden temporary a killed run left behind.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .report import WorkbookError

#: Every function of ours, as the registry names them. Kept here so that finding "nothing to
#: refresh" needs no import of the models; tests/test_files.py checks it against REGISTRY.
OUR_FUNCTIONS = (
    "XLM_CACHE_INFO", "XLM_CACHE_CLEAR", "CHURN_PROB", "CHURN_METRICS", "CHURN_DRIVERS",
    "CHURN_REASONS", "SALES_FORECAST", "FORECAST_ACCURACY", "FORECAST_DRIVERS",
    "FORECAST_OUTLIERS", "KMEANS_SEGMENT", "SEGMENT_PROFILE", "SEGMENT_K", "RFM_SEGMENT",
    "CUSTOMER_VALUE", "CHURN_COMPARE", "CHURN_FAIRNESS", "CHURN_LIFT", "CHURN_ROC", "CHURN_RULES",
    "PROPENSITY_COMPARE", "PROPENSITY_DRIVERS", "PROPENSITY_FAIRNESS", "PROPENSITY_LIFT",
    "PROPENSITY_METRICS", "PROPENSITY_REASONS", "PROPENSITY_ROC", "PROPENSITY_RULES",
    "PROPENSITY_SCORE", "TEXT_CLASSIFY", "TEXT_CLASSIFY_METRICS", "TEXT_KEYWORDS", "TEXT_TOPICS",
    "TEXT_TOPIC", "SENTIMENT",
    "RECOMMEND", "SIMILAR_ITEMS", "BASKET_RULES",
    "MMM_FIT", "MMM_CONTRIBUTION", "MMM_RESPONSE", "BUDGET_OPTIMIZE",
)
# With the opening parenthesis: a call always has one, and words such as "recommend" occur in
# ordinary text (xlsxwriter's protect07.xlsx), which must stay a byte-identical no-op.
_OURS_LOWER = tuple(n.lower().encode() + b"(" for n in OUR_FUNCTIONS)


def mentions_ours(data: bytes) -> bool:
    """Whether a part mentions one of our functions, in any letter case.

    A superset test: any mention (in a formula, or even in text) sends the workbook through
    the full refresh, which decides precisely; only "no mention at all" is a no-op. Lowering
    the bytes and ``in`` (a memchr-style search) is ~100x faster than a case-blind regex.
    """
    low = data.lower()
    return any(n in low for n in _OURS_LOWER)

STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_STRICT_MARK = b"purl.oclc.org/ooxml/"
_REL_TAG = re.compile(r"<(?:\w+:)?Relationship\b[^>]*>")
_ATTR = re.compile(r'\s([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_DRIVE = re.compile(r"^[A-Za-z]:")



def _attrs(tag: str) -> dict[str, str]:
    return {k: a if a or not b else b for k, a, b in _ATTR.findall(tag)}


def _unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def rels_name(part: str) -> str:
    """The relationships part of ``part`` ("" is the package itself)."""
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


def source_of(rels_part: str) -> str:
    """The part a ``.rels`` part belongs to (``_rels/.rels`` belongs to the package, "")."""
    d, f = posixpath.split(rels_part)
    return posixpath.join(posixpath.dirname(d), f[: -len(".rels")]) if f != ".rels" else ""


def resolve_target(source: str, target: str) -> str:
    """The part a relationship of ``source`` points to, resolved as RFC 3986 says (which OPC
    follows): ``..`` never climbs above the package root."""
    target = target.split("#", 1)[0]
    base = "/" if target.startswith("/") else "/" + posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def _climbs(source: str, target: str) -> bool:
    """Whether a naive path join would take ``target`` above the package root."""
    start = [] if target.startswith("/") else posixpath.dirname(source).split("/")
    depth = len([s for s in start if s])
    for seg in target.split("#", 1)[0].split("/"):
        if seg == "..":
            depth -= 1
            if depth < 0:
                return True
        elif seg not in ("", "."):
            depth += 1
    return False


def leaves_package(source: str, rel: dict[str, str], present: dict[str, str]) -> bool:
    """An internal relationship whose target is outside the package: a URI scheme or drive
    letter, a backslash path, or ``..`` past the root to a part that is not there (past the
    root, resolution stops at it: LibreOffice writes ``../customXml/item1.xml`` from the
    package's own relationships, which names ``customXml/item1.xml``). External ones
    (hyperlinks, linked files) are not parts. ``present``: :func:`part_index` of the package."""
    if rel.get("TargetMode", "Internal") == "External":
        return False
    target = rel.get("Target", "")
    if _SCHEME.match(target) or "\\" in target:
        return True
    return _climbs(source, target) and resolve_target(source, target).lower() not in present


def parse_rels(text: str) -> list[dict[str, str]]:
    return [{k: _unescape(v) for k, v in _attrs(m.group(0)).items()}
            for m in _REL_TAG.finditer(text)]


def part_index(names) -> dict[str, str]:  # noqa: ANN001
    """Part names by their case-folded form: OPC part names compare case-insensitively, and
    some writers reference ``xl/sharedStrings.xml`` while storing ``xl/SharedStrings.xml``."""
    return {n.lower(): n for n in names}


def unsafe_entry(name: str) -> bool:
    """A zip entry name that would land outside a folder it were unpacked into."""
    segments = re.split(r"[/\\]", name)
    return name.startswith(("/", "\\")) or bool(_DRIVE.match(name)) or ".." in segments


# --------------------------------------------------------------------------- reading the zip


def check_readable(path: Path) -> None:
    """Raise a one-line WorkbookError unless ``path`` looks like an .xlsx/.xlsm package."""
    name = path.name
    if not path.exists():
        raise WorkbookError(f"cannot read {name}: no such file")
    if path.is_dir():
        raise WorkbookError(f"cannot read {name}: it is a folder, not a workbook file")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise WorkbookError(f"cannot read {name}: {exc.strerror or exc}") from None
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise WorkbookError(f"cannot read {name}: the workbook is password-protected (encrypted) "
                            "or in the old .xls format; save it as an unprotected .xlsx")
    if not zipfile.is_zipfile(path):
        if magic.startswith(b"PK"):
            raise WorkbookError(f"cannot read {name}: damaged zip file (truncated or corrupted); "
                                "use an intact copy of the workbook")
        raise WorkbookError(f"cannot read {name}: not a zip file, so not an .xlsx workbook")


#: Largest total uncompressed size accepted (``XLM_MAX_UNCOMPRESSED_MB``, default 2048).
MAX_UNCOMPRESSED = int(os.environ.get("XLM_MAX_UNCOMPRESSED_MB", "2048")) * 2**20


def check_sizes(z: zipfile.ZipFile, name: str) -> None:
    """Refuse a zip bomb before inflating anything.

    The sizes in the zip directory bound what ``zipfile`` will inflate (it stops at the declared
    size and then fails the CRC check), so checking them is enough.
    """
    total = sum(info.file_size for info in z.infolist())
    if total > MAX_UNCOMPRESSED:
        raise WorkbookError(f"cannot read {name}: it would unpack to {total / 2**20:,.0f} MB, over the "
                            f"{MAX_UNCOMPRESSED / 2**20:,.0f} MB limit (a damaged or hostile file?); "
                            "raise XLM_MAX_UNCOMPRESSED_MB if the workbook is genuine")


def check_entries(names: list[str], label: str) -> None:
    """Refuse entry names with ``..`` or absolute paths (a "zip slip"): Excel never writes them
    and a tool that unpacks the output could be made to write outside its folder."""
    for n in names:
        if unsafe_entry(n):
            raise WorkbookError(f"cannot read {label}: its zip entry {n!r} has an absolute path or "
                                "'..', which Excel never writes (a damaged or hostile file); refused")


_ROOT = re.compile(rb"<[A-Za-z_]")
_XML_PART = (".xml", ".rels", ".vml")


def check_no_dtd(part: str, data: bytes, label: str) -> None:
    """Refuse an XML part whose prolog declares a DTD (entities: "billion laughs", external
    entities). Excel never writes one; the prolog is everything before the root element."""
    if not part.lower().endswith(_XML_PART):
        return
    m = _ROOT.search(data)
    if b"<!DOCTYPE" in (data[: m.start()] if m else data):
        raise WorkbookError(f"cannot read {label}: the part {part} declares a DTD or entities, "
                            "which Excel never writes (a damaged or hostile file); refused")


def check_prolog(z: zipfile.ZipFile, part: str, label: str) -> None:
    """:func:`check_no_dtd` on a part without inflating more of it than its prolog."""
    if not part.lower().endswith(_XML_PART):
        return
    buf = b""
    try:
        with z.open(part) as fh:
            while len(buf) < 1 << 20:
                chunk = fh.read(8192)
                if not chunk:
                    break
                buf += chunk
                if _ROOT.search(buf):
                    break
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError,
            NotImplementedError) as exc:
        raise WorkbookError(f"cannot read {label}: the part {part} is damaged "
                            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    check_no_dtd(part, buf, label)


def read_part(z: zipfile.ZipFile, part: str, label: str) -> bytes:
    """One entry's bytes; a damaged entry is named in a one-line error."""
    try:
        return z.read(part)
    except KeyError:
        raise WorkbookError(f"cannot read {label}: the part {part} is missing") from None
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError,
            NotImplementedError) as exc:
        raise WorkbookError(f"cannot read {label}: the part {part} is damaged "
                            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def decode(data: bytes, part: str, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    raise WorkbookError(f"cannot read {label}: the part {part} is not UTF-8 XML text "
                        "(damaged?)") from None


@dataclass
class Inspection:
    """What :func:`inspect` found: the parts that matter and whether there is work for us."""

    workbook: str
    sheets: dict[str, str]  # title -> worksheet part
    ours: bool  # one of our function names appears in a sheet or the workbook part
    strict: bool  # Strict Open XML (ISO 29500 strict namespaces)
    names: list[str] = field(default_factory=list)


def check_rels(rels: dict[str, str], label: str, names: list[str]) -> None:
    """Refuse internal relationships that point outside the package (``names``: its parts)."""
    present = part_index(names)
    for part, text in rels.items():
        src = source_of(part)
        for rel in parse_rels(text):
            if leaves_package(src, rel, present):
                raise WorkbookError(
                    f"cannot read {label}: the relationship {rel.get('Id', '?')} in {part} points "
                    f"outside the package ({rel.get('Target', '')!r}); refused")


def locate(get: Callable[[str], str | None], label: str,
           exists: Callable[[str], bool] | None = None) -> tuple[str, dict[str, str]]:
    """(workbook part, {sheet title: worksheet part}) from the relationships and workbook XML.

    ``get(part)`` returns a part's text or None when it is absent; ``exists(part)`` (default:
    ``get`` is not None) says whether a part is present without reading it. Every sheet the
    workbook lists must point at a part that exists: a missing one is named.
    """
    exists = exists or (lambda p: get(p) is not None)
    wb = None
    root_rels = get("_rels/.rels")
    if root_rels is not None:
        for rel in parse_rels(root_rels):
            if rel.get("Type", "").endswith("/officeDocument"):
                wb = resolve_target("", rel.get("Target", ""))
                break
    wb = wb or "xl/workbook.xml"
    wb_text = get(wb)
    if wb_text is None:
        raise WorkbookError(f"cannot read {label}: a zip file but not an Excel workbook "
                            f"(no workbook part: {wb} is missing)")
    rels_part = rels_name(wb)
    rels_text = get(rels_part) or ""
    rels = {r.get("Id"): r for r in parse_rels(rels_text)}
    sheets: dict[str, str] = {}
    for m in _SHEET_TAG.finditer(wb_text):
        a = _attrs(m.group(0))
        title = _unescape(a.get("name", ""))
        rid = next((v for k, v in a.items() if k.endswith(":id")), None)
        rel = rels.get(rid)
        if rel is None:
            raise WorkbookError(f"cannot read {label}: sheet {title!r} has no relationship "
                                f"{rid!r} in {rels_part}")
        part = resolve_target(wb, rel.get("Target", ""))
        if not exists(part):
            raise WorkbookError(f"cannot read {label}: sheet {title!r} points to {part}, which "
                                "is not in the package")
        if rel.get("Type", "").endswith("/worksheet"):
            sheets[title] = part
    return wb, sheets


def inspect(z: zipfile.ZipFile, label: str) -> Inspection:
    """Check a package's structure and look for our functions, reading only the small parts
    (relationships, the workbook, the worksheets), never the media or the styles."""
    check_sizes(z, label)
    names = z.namelist()
    check_entries(names, label)
    present = part_index(names)
    cache: dict[str, str] = {}

    def get(part: str) -> str | None:
        part = present.get(part.lower(), "")
        if not part:
            return None
        if part not in cache:
            data = read_part(z, part, label)
            check_no_dtd(part, data, label)
            cache[part] = decode(data, part, label)
        return cache[part]

    rels = {n: get(n) or "" for n in names if n.endswith(".rels")}
    check_rels(rels, label, names)
    wb, sheets = locate(get, label, lambda p: p.lower() in present)
    strict = STRICT_MAIN in (get(wb) or "")[:2000] or _STRICT_MARK in (get("_rels/.rels") or "").encode()
    ours = False
    for p in [wb, *sheets.values()]:
        data = read_part(z, present[p.lower()], label)
        check_no_dtd(p, data, label)
        ours = ours or mentions_ours(data)
    read = {wb, *sheets.values(), *cache}
    for n in names:  # the parts not read: only their prologs (a DTD is refused anywhere)
        if n not in read:
            check_prolog(z, n, label)
    return Inspection(wb, sheets, ours, strict, names)


def inspect_file(path: Path) -> Inspection:
    check_readable(path)
    try:
        with zipfile.ZipFile(path) as z:
            return inspect(z, path.name)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
        raise WorkbookError(f"cannot read {path.name}: damaged zip file ({exc})") from None


# --------------------------------------------------------------------------- writing


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (single-threaded CLI use)
    os.umask(mask)
    return mask


def output_mode(src: Path | None, in_place: bool) -> int:
    """Permissions of the file to write: the input's own mode in place, else the input's mode
    under the umask, as ``cp`` would; a new file from nothing gets 0666 under the umask."""
    if src is not None:
        try:
            mode = stat.S_IMODE(os.stat(src).st_mode)
        except OSError:
            mode = 0o666
        if in_place:
            return mode
        return mode & 0o777 & ~current_umask()
    return 0o666 & ~current_umask()


def real_destination(path: Path) -> Path:
    """Where writing ``path`` should land: a symlink's final target (so the link stays a link
    and the workbook it names is the one refreshed)."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


_HOST = re.sub(r"[^A-Za-z0-9-]", "", os.uname().nodename if hasattr(os, "uname") else
                os.environ.get("COMPUTERNAME", ""))[:24] or "host"


def temp_prefix(dest: Path) -> str:
    return f".~{dest.stem}."


def _temp_owner(name: str, dest: Path) -> tuple[str, int] | None:
    """(host, pid) of one of our temporaries for ``dest``, or None if the name is not ours."""
    m = re.fullmatch(re.escape(temp_prefix(dest)) + r"([A-Za-z0-9-]+)-(\d+)\.[A-Za-z0-9_]+"
                     + re.escape(dest.suffix), name)
    return (m.group(1), int(m.group(2))) if m else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(dest: Path) -> list[str]:
    """Remove temporaries of ``dest`` left by a killed run: ours by name (``.~stem.host-pid.…``),
    made on this machine, by a process that no longer exists. A run still writing keeps its own.
    Returns the names removed."""
    removed = []
    try:
        entries = list(os.scandir(dest.parent))
    except OSError:
        return removed
    for entry in entries:
        owner = _temp_owner(entry.name, dest)
        if owner is None or owner[0] != _HOST or owner[1] == os.getpid() or _alive(owner[1]):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            pass
    return removed


def write_atomic(dest: Path, write: Callable[[IO[bytes]], None], mode: int | None = None,
                 owner: os.stat_result | None = None) -> None:
    """Write ``dest`` through a hidden temporary next to it and a rename, so a reader (or a
    crash) sees the old file or the new one, never half of one.

    ``mode`` is applied to the temporary before the rename (default: 0666 under the umask, as
    for any new file); ``owner``, the replaced file's stat, keeps its owner and group where
    allowed (the group when we are a member, both when we are root).
    """
    dest = Path(dest)
    fd, tmp = tempfile.mkstemp(prefix=f"{temp_prefix(dest)}{_HOST}-{os.getpid()}.",
                               suffix=dest.suffix, dir=dest.parent)
    try:
        os.fchmod(fd, output_mode(None, False) if mode is None else mode)
        if owner is not None:  # the replaced file's owner and group, as far as we may
            try:
                os.fchown(fd, owner.st_uid, owner.st_gid)
            except OSError:
                try:
                    os.fchown(fd, -1, owner.st_gid)
                except OSError:
                    pass  # not a member of that group: the file gets ours
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
