"""The ``xlmarketing`` command: a thin layer over :mod:`xlmarketing.workbook`.

Exit codes: 0 success; 1 cells ended in an error under ``--strict``, or a batch file failed;
2 a file could not be read or written (one line on stderr says why).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import typing
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.models import ArgumentInfo, OptionInfo

if os.environ.get("XLM_DEBUG"):  # tracebacks of internal errors, for a bug report
    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")

# Taken when the command starts (before the engine and the models are imported), for the
# wall-clock line under each report.
_STARTED = time.perf_counter()


class _Command(typer.Typer):
    """The app; called as the console command, a plain ``refresh`` skips typer's parsing.

    Typer builds its value converters (pydantic adapters) for every command it parses: about
    0.1 s on an idle machine, more than half of a refresh with nothing to do. ``refresh IN -o
    OUT`` and the other forms made only of the command's own declared options (read from its
    signature by :func:`_plain_call`, so the options have one source) call :func:`refresh`
    directly; everything else (``--help``, ``--output=X``, a typo, the other commands) goes to
    typer, which also owns every usage error.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return super().__call__(*args, **kwargs)
        try:
            code = _quick(sys.argv[1:])
            if code is not None:
                sys.exit(code)
            return super().__call__()
        except SystemExit as done:
            if not _is_the_command():
                raise
            _leave(done.code)


def _is_the_command() -> bool:
    """This process is the ``xlmarketing`` command (the console script or ``python -m
    xlmarketing.cli``), not a program that calls :data:`app` and goes on after it."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return (getattr(spec, "name", None) == "xlmarketing.cli"
            or Path(getattr(main, "__file__", None) or "").stem.lower() == "xlmarketing")


def _leave(code: Any) -> typing.NoReturn:
    """Exit now: the exit handlers run (LibreOffice is handed its last line, temporary folders
    go), output is flushed, and Python's own teardown of scikit-learn, scipy and pandas (0.2 to
    0.9 s of freeing objects the operating system frees anyway) is skipped."""
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = 1
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0 if code is None else int(code))


# Plain click help: no "<bool>" placeholders after flags, and "[dask]" stays text instead of
# being read as rich markup.
app = _Command(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
               help="Marketing machine learning in spreadsheets: refresh workbooks headless, "
                    "batch-generate reports, build the sample templates.")

EXIT_CELL_ERRORS = 1
EXIT_UNREADABLE = 2


def _print_report(rep: Any, as_json: bool) -> None:
    """The report, then the whole command's wall-clock time, which the report's own time (the
    work in this process) leaves out: starting Python and loading the libraries."""
    total = time.perf_counter() - _STARTED
    if as_json:
        typer.echo(json.dumps(rep.to_dict() | {"command_seconds": round(total, 3)}, indent=2,
                              default=str))
        return
    for line in rep.lines():
        typer.echo(line)
    typer.echo(f"  whole command: {total:.2f} s (with starting Python and loading the "
               "libraries, which the times above leave out)")


def _fail(message: str, code: int = EXIT_UNREADABLE) -> typer.Exit:
    typer.echo(f"xlmarketing: {message}", err=True)
    return typer.Exit(code)


@app.command()
def refresh(
    input: Annotated[Path, typer.Argument(help="The workbook to refresh (.xlsx or .xlsm).")],
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Where to write the refreshed workbook.")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Overwrite the input workbook.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 and write nothing if any cell ends in an error.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    engine: Annotated[str, typer.Option(
        "--engine", help="Engine for the ordinary formulas that depend on ours: auto (in-process, "
        "LibreOffice for forms it lacks), formulas, libreoffice, none."
    )] = "auto",
    values_only: Annotated[bool, typer.Option(
        "--values-only", help="Replace our formulas by their values (a static report).")] = False,
) -> None:
    """Evaluate every xlmarketing formula in a workbook and write values every reader sees."""
    from .workbook import RefreshFailed, RefreshOptions, WorkbookError, refresh_workbook

    if output is None and not in_place:
        raise _fail("give an output file with -o OUTPUT, or --in-place")
    if output is not None and in_place:
        raise _fail("give either -o OUTPUT or --in-place, not both")
    try:
        options = RefreshOptions(formula_engine=engine, values_only=values_only, strict=strict)
        rep = refresh_workbook(input, output, in_place=in_place, options=options)
    except RefreshFailed as exc:
        if as_json:
            typer.echo(json.dumps(exc.report.to_dict(), indent=2, default=str))
        else:
            for line in exc.report.lines()[1:]:
                typer.echo(line)
        raise _fail(f"{exc}; nothing written", EXIT_CELL_ERRORS) from None
    except WorkbookError as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _print_report(rep, as_json)


@app.command()
def batch(
    template: Annotated[Path, typer.Argument(help="The template workbook (.xlsx or .xlsm).")],
    data: Annotated[list[str], typer.Option(
        "--data", help="Data for the template's tables; repeat for more. TABLE=FILE fills that "
        "table (the same file in every workbook); a plain FILE or FOLDER of .csv/.xlsx files "
        "makes one workbook per file, filling the main table (or, for a workbook whose sheets "
        "are named like the tables, every table).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the generated workbooks.")],
    sheet: Annotated[str | None, typer.Option(
        "--sheet", help="The table (or data sheet) a plain --data FILE fills; default: the "
                        "template's main table.")] = None,
    keep: Annotated[list[str] | None, typer.Option(
        "--keep", help="A table that keeps the template's own rows on purpose (repeat for "
                       "more); the report says so.")] = None,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Parallel processes (default: the number of cores).")] = None,
    dask_scheduler: Annotated[str | None, typer.Option(
        "--dask-scheduler", help="Run on a Dask cluster at this address (needs "
                                 "pip install 'xlmarketing[dask]').")] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="Formula engine for ordinary formulas: auto, libreoffice, formulas, none."
    )] = "auto",
    values_only: Annotated[bool, typer.Option(
        "--values-only", help="Replace our formulas by their values (static reports; use it for "
                              "LibreOffice, which shows #NAME? over our formulas).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fill the template's data tables with each data set, refresh, save one workbook each."""
    from .workbook import WorkbookError
    from .workbook import batch as run_batch
    from .workbook.batch import split_data

    progress_cb = None
    bar = None
    if sys.stderr.isatty() and not as_json:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress("[progress.description]{task.description}", BarColumn(),
                       MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
        task = bar.add_task("workbooks", total=None)

        def progress_cb(item, done, total):  # type: ignore[no-untyped-def]
            bar.update(task, completed=done, total=total)

        bar.start()
    try:
        plain, named = split_data(data)
        rep = run_batch(template, plain, sheet=sheet, out_dir=out, tables=named,
                        keep=keep or (), jobs=jobs, dask_scheduler=dask_scheduler,
                        formula_engine=engine, values_only=values_only, progress=progress_cb)
    except (WorkbookError, ValueError) as exc:
        raise _fail(str(exc)) from None
    finally:
        if bar is not None:
            bar.stop()
    _print_report(rep, as_json)
    if not rep.ok:
        raise typer.Exit(EXIT_CELL_ERRORS)


@app.command()
def templates(
    out: Annotated[Path, typer.Option("--out", help="Folder for the template workbooks.")] = Path(
        "workbooks"),
) -> None:
    """Build the sample template workbooks."""
    from .templates import build_all

    out.mkdir(parents=True, exist_ok=True)
    for path in build_all(out):
        typer.echo(str(path))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo output.")] = Path("demo"),
) -> None:
    """Build the sample workbooks and refresh them headless: the whole product in one command."""
    from .demo import run_demo

    out.mkdir(parents=True, exist_ok=True)
    summary = run_demo(out)
    for line in summary.lines():
        typer.echo(line)


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535,
                                      help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    project: Annotated[Path, typer.Option(
        "--project", help="Folder for the server's project files (custom_functions/).")] = Path(
        "xlwings-server"),
    certfile: Annotated[Path | None, typer.Option(
        "--certfile", help="TLS certificate for HTTPS (Excel's add-ins need HTTPS).")] = None,
    keyfile: Annotated[Path | None, typer.Option("--keyfile", help="TLS key for HTTPS.")] = None,
) -> None:
    """Start xlwings Server with our functions for Excel on the web, Mac and Windows (Office.js).

    Needs xlmarketing[server] and XLWINGS_LICENSE_KEY ("noncommercial" for noncommercial use).
    """
    from .serve import (ServeError, ServeOptions, check_ready, environment, prepare_project,
                        sideload_steps, start, wait)

    opts = ServeOptions(project, host, port, certfile, keyfile)
    env = environment(opts)
    try:
        check_ready(opts, env)
        prepare_project(opts.project)
        typer.echo(sideload_steps(opts))
        code = wait(start(opts, env))
    except (ServeError, OSError) as exc:  # OSError: the project folder cannot be written
        raise _fail(str(exc)) from None
    if code != 0:
        raise _fail(f"the server stopped with exit code {code}", code if code > 0 else 1)


# --------------------------------------------------------------------------- the plain refresh

#: Option settings a plain call may not meet (they change how typer reads the value).
_TYPER_ONLY = ("callback", "envvar", "parser", "is_eager", "count", "prompt", "min", "max",
               "exists", "resolve_path", "allow_dash", "path_type", "default_factory")


def _plain_call(fn: Any, args: list[str]) -> dict[str, Any] | None:
    """Keyword arguments for ``fn`` from ``args``, read as typer reads them, or None.

    Only the plain forms are read: the arguments in order, each declared option name (from the
    ``typer.Option`` in ``fn``'s annotations) at most once, a flag for a ``bool``, one following
    value for a ``str`` or ``Path`` that does not start with "-". Anything else is left to typer.
    """
    params: list[str] = []
    options: dict[str, str] = {}
    kinds: dict[str, Any] = {}
    for name, hint in typing.get_type_hints(fn, include_extras=True).items():
        if name == "return":
            continue
        infos = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, ArgumentInfo | OptionInfo)]
        if len(infos) != 1 or any(getattr(infos[0], a, None) not in (None, False)
                                  for a in _TYPER_ONLY):
            return None
        info, kind = infos[0], typing.get_args(hint)[0]
        if typing.get_origin(kind) in (typing.Union, type(Path | None)):
            kind = next(iter(set(typing.get_args(kind)) - {type(None)}))
        if kind not in (bool, str, Path):
            return None
        kinds[name] = kind
        if isinstance(info, ArgumentInfo):
            params.append(name)
            continue
        decls = ((info.default,) if isinstance(info.default, str) else ()) + tuple(
            info.param_decls or ())
        if not decls or any("/" in d or not d.startswith("-") for d in decls):
            return None
        options.update(dict.fromkeys(decls, name))
    got: dict[str, Any] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a in options:
            name = options[a]
            if name in got:
                return None
            if kinds[name] is bool:
                got[name] = True
                i += 1
                continue
            if i + 1 >= len(args) or args[i + 1].startswith("-") or not args[i + 1]:
                return None
            got[name] = kinds[name](args[i + 1])
            i += 2
        elif a.startswith("-") or not a or not params:
            return None
        else:
            name = params.pop(0)
            got[name] = kinds[name](a)
            i += 1
    return None if params else got


def _quick(argv: list[str]) -> int | None:
    """Run a plain ``refresh`` without typer's parsing: the exit code, or None (not plain)."""
    if not argv or argv[0] != "refresh":
        return None
    kwargs = _plain_call(refresh, argv[1:])
    if kwargs is None:
        return None
    try:
        refresh(**kwargs)
    except typer.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("Aborted!", err=True)
        return 1
    return 0


# --------------------------------------------------------------------------- LibreOffice Calc
libreoffice_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None,
    help="The functions in LibreOffice Calc: an extension (.oxt) that runs them in Calc.")
app.add_typer(libreoffice_app, name="libreoffice")

_PROFILE = typer.Option(
    "--profile", help="A LibreOffice user profile folder (default: your own LibreOffice profile).")


@libreoffice_app.command("build")
def libreoffice_build(
    out: Annotated[Path, typer.Option("-o", "--output", help="The extension file to write.")] = Path(
        "xlmarketing.oxt"),
    rdb: Annotated[bool, typer.Option(
        "--rdb", help="Ship the compiled type library (needs unoidl-write, the LibreOffice SDK).")] = False,
) -> None:
    """Build the extension from the function registry, for this Python's xlmarketing."""
    from .calc import CalcError, build

    try:
        typer.echo(str(build(out, rdb=rdb)))
    except (CalcError, OSError) as exc:
        raise _fail(str(exc)) from None


@libreoffice_app.command("install")
def libreoffice_install(
    profile: Annotated[Path | None, _PROFILE] = None,
    shared: Annotated[bool, typer.Option(
        "--shared", help="Install for every user of this machine (needs root).")] = False,
) -> None:
    """Install (or update) the extension; restart LibreOffice to see the functions."""
    from .calc import CalcError, install

    try:
        info = install(profile, shared=shared)
    except CalcError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"installed xlmarketing {info['version']} ({info['repository']}: {info['profile']})"
               if not shared else f"installed xlmarketing {info['version']} for every user")


@libreoffice_app.command("uninstall")
def libreoffice_uninstall(
    profile: Annotated[Path | None, _PROFILE] = None,
    shared: Annotated[bool, typer.Option("--shared", help="Remove the install for every user.")] = False,
) -> None:
    """Remove the extension."""
    from .calc import CalcError, uninstall

    try:
        info = uninstall(profile, shared=shared)
    except CalcError as exc:
        raise _fail(str(exc)) from None
    typer.echo("removed xlmarketing" if info["removed"] else "xlmarketing was not installed")


@libreoffice_app.command("convert")
def libreoffice_convert(
    input: Annotated[Path, typer.Argument(help="The workbook to convert (.xlsx).")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="The .ods to write (default: beside the input).")] = None,
    profile: Annotated[Path | None, _PROFILE] = None,
) -> None:
    """Save a workbook as .ods whose formulas call the add-in, recalculated by Calc."""
    from .calc import CalcError, convert

    try:
        info = convert(input, output, profile)
    except CalcError as exc:
        raise _fail(str(exc)) from None
    errors = ", ".join(f"{n} {code}" for code, n in sorted(info["errors"].items())) or "none"
    typer.echo(f"{info['output']}: {info['calls']} formulas call the add-in; cells showing an "
               f"error: {errors}")


def main() -> None:  # pragma: no cover - console entry point alternative
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
