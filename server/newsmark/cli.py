"""The ``newsmark`` command: serve, token, export, import, stats, check."""

from __future__ import annotations

import argparse
import errno
import http.client
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from . import __version__, contract, export, importing, serve
from .datafolder import (
    load_or_create_token,
    read_server_info,
    read_token,
    rotate_token,
    server_running,
    servers_elsewhere,
)
from .errors import Invalid, NotJson, StoreUnavailable
from .remote import RemoteError, Server, read_body
from .settings import Settings, setting_docs
from .storage import Damage, DamagedDocument
from .store import AnnotationFilter, Store, StoreDamaged, StoreLocked, StoreReadOnly

T = TypeVar("T")


class CliError(Exception):
    """A failure to report in one line, with exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(
            data_dir=args.data_dir,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
        )
        return args.run(args, settings)
    except (CliError, RemoteError, StoreDamaged, StoreUnavailable) as exc:
        return _fail(str(exc))
    except DamagedDocument as exc:
        return _fail(
            f"{exc}.\nNothing was written. 'newsmark check' lists every damaged document; "
            "'newsmark export --skip-damaged' exports the rest (see the README, Recovery)."
        )
    except StoreLocked as exc:
        return _fail(_locked_message(exc, Path(args.data_dir or Settings.from_env().data_dir)))
    except StoreReadOnly as exc:
        return _fail(
            f"{exc}, and 'newsmark {args.command}' must write to it. Copy the folder somewhere "
            "writable and use --data-dir there; 'newsmark export' and 'newsmark stats' read it as it is."
        )
    except OSError as exc:  # a full disk, a folder taken away: one line, never a traceback
        return _fail(_os_message(exc))


def _fail(message: str) -> int:
    print(f"newsmark: {message}", file=sys.stderr)
    return 1


def _os_message(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    text = f"{where}{exc.strerror or exc}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        text += (
            ". Free some disk space and try again; what was stored before is safe "
            "(the data file is only ever replaced whole)."
        )
    return text


def _parser() -> argparse.ArgumentParser:
    epilog = "settings (environment variables):\n" + "\n".join(
        f"  {env:28} {help_} (default: {default})" for env, default, help_ in setting_docs()
    )
    parser = argparse.ArgumentParser(
        prog="newsmark",
        description="Code news articles as actor / claim / figure; serve and export the codes.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsmark {__version__}")
    data_dir_help = "data folder (default: NEWSMARK_DATA_DIR or the platform's user data folder)"
    parser.add_argument("--data-dir", type=Path, help=data_dir_help)
    # Also after the command: "newsmark --data-dir X token" and "newsmark token --data-dir X" are one.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=data_dir_help)
    sub = parser.add_subparsers(required=True, metavar="COMMAND", dest="command")

    p = sub.add_parser("serve", parents=[common], help="start the service")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 7767; 0 picks a free one)")
    p.set_defaults(run=_serve)

    p = sub.add_parser("token", parents=[common], help="print the API token (or --rotate it)")
    p.add_argument(
        "--rotate",
        action="store_true",
        help="replace the token with a new one: the old token and every viewer session stop "
        "working at once, also on a running server",
    )
    p.set_defaults(run=_token)

    p = sub.add_parser("export", parents=[common], help="export annotations")
    p.add_argument(
        "--format",
        choices=export.ALL_FORMATS,
        default="json",
        help="json, jsonl, csv, w3c: one record per annotation; csv-claims: who said what, a row per "
        "claim and actor it is attributed to (default: json)",
    )
    p.add_argument(
        "--excel",
        action="store_true",
        help="csv, csv-claims: a byte order mark first, so Excel reads UTF-8, and formula-like text quoted",
    )
    p.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    p.add_argument("--url", help="only this article")
    p.add_argument("--tag", choices=contract.TAGS)
    p.add_argument("--annotator", help="only this coder")
    p.add_argument(
        "-q",
        type=_query_text,
        help=f"only quotes or notes containing this text (any case; at most {contract.MAX_QUERY} characters)",
    )
    p.add_argument(
        "--since", type=_day, help="only annotations created on this UTC day (YYYY-MM-DD) or later"
    )
    p.add_argument(
        "--until", type=_day, help="only annotations created on this UTC day (YYYY-MM-DD) or earlier"
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="a progress bar on standard error (default: when standard error is a terminal)",
    )
    p.add_argument(
        "--skip-damaged",
        action="store_true",
        help="leave out documents of the data file that are not valid JSON, and name them "
        "(without it, such a document stops the export; see 'newsmark check')",
    )
    p.set_defaults(run=_export)

    p = sub.add_parser(
        "import",
        parents=[common],
        help="merge a JSON or W3C export into the store (all or nothing)",
        description="Merge a newsmark JSON export or W3C Web Annotations by annotation id. The whole "
        "file is checked first; if anything is wrong, nothing is imported. Importing a file twice "
        "changes nothing the second time.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the export to import")
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.set_defaults(run=_import)

    p = sub.add_parser("stats", parents=[common], help="print counts of what is stored")
    p.set_defaults(run=_stats)

    p = sub.add_parser(
        "check",
        parents=[common],
        help="list damaged documents of the data file (exit status 1 if there are any)",
        description="Read every document of the data folder and list those that are not valid JSON "
        "(a line of newsmark.json changed by hand or by disk damage), with their file and line.",
    )
    p.set_defaults(run=_check)
    return parser


def _day(value: str) -> str:
    """A day as YYYY-MM-DD; argparse reports the ValueError as a usage error."""
    if len(value) != 10:  # fromisoformat also takes "20240203" and the like
        raise ValueError(value)
    return date.fromisoformat(value).isoformat()


def _query_text(value: str) -> str:
    """A search of at most MAX_QUERY characters, as the API and the viewer take."""
    if len(value) > contract.MAX_QUERY:
        raise argparse.ArgumentTypeError(
            f"longer than {contract.MAX_QUERY} characters ({len(value)}): search for a shorter phrase"
        )
    return value


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    return serve.run(settings)


def _token(args: argparse.Namespace, settings: Settings) -> int:
    if args.rotate:
        # A running server reads the token file again when it changes: nothing to tell it.
        print(rotate_token(settings.data_dir))
        print(
            "newsmark: new token written; the old one and every viewer session no longer work. "
            "Put the new token in the extension's options.",
            file=sys.stderr,
        )
        return 0
    print(load_or_create_token(settings.data_dir))
    if server_running(settings.data_dir) is None:
        _note_servers_elsewhere(settings.data_dir)
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    url = None
    if args.url:
        try:
            url = contract.normalize_url(args.url)
        except contract.UrlError as exc:
            raise CliError(f"--url: URL {exc}") from None
    if args.since and args.until and args.since > args.until:
        raise CliError("--until must not be before --since")
    flt = AnnotationFilter(
        url=url, tag=args.tag, annotator=args.annotator, q=args.q, since=args.since, until=args.until
    )
    params = {
        "format": args.format,
        "url": url,
        "tag": args.tag,
        "annotator": args.annotator,
        "q": args.q,
        "since": args.since,
        "until": args.until,
        "excel": "true" if args.excel else None,
        "skip_damaged": "true" if args.skip_damaged else None,
    }
    target = _output_file(args.output) if args.output else None
    show = sys.stderr.isatty() if args.progress is None else args.progress

    def write(chunks: Iterable[bytes]) -> int:
        if target is None:
            return sum(sys.stdout.buffer.write(chunk) for chunk in chunks)
        return _write_new(target, chunks)

    def local(store: Store) -> tuple[int, list[Damage]]:
        total, chunks, skipped = export.prepare(
            store,
            flt,
            args.format,
            excel=args.excel,
            progress=lambda n: bar.update(n),
            skip_damaged=args.skip_damaged,
        )
        with _progress_bar(show, total) as bar:
            return write(chunks), skipped

    def remote(server: Server) -> tuple[int, list[Damage]]:
        written, skipped = server.get("/api/export", params, read_export)
        if not skipped:
            return written, []
        found = json.loads(server.get("/api/damaged", {}))["damaged"]
        return written, [_damage_from(d) for d in found]

    def read_export(response: http.client.HTTPResponse) -> tuple[int, int]:
        """Stream the server's answer to the output, counting the annotations as they arrive."""
        total = response.headers.get(export.TOTAL_HEADER, "")
        skipped = response.headers.get(export.SKIPPED_HEADER, "")
        counter = export.Counter(args.format)
        with _progress_bar(show, int(total) if total.isdigit() else None) as bar:

            def chunks() -> Iterator[bytes]:
                while chunk := read_body(response, STREAM_BYTES):
                    yield chunk
                    bar.update(counter.feed(chunk))

            return write(chunks()), int(skipped) if skipped.isdigit() else 0

    written, skipped = _with_store_or_server(settings, local=local, remote=remote)
    if target is not None:
        print(f"wrote {target} ({written:,} bytes)", file=sys.stderr)
    if skipped:
        print(f"skipped {len(skipped)} damaged document(s), not in the export:", file=sys.stderr)
        for damage in skipped:
            print(f"  {damage.describe()}", file=sys.stderr)
    return 0


def _damage_from(found: dict[str, Any]) -> Damage:
    file = found.get("file")
    where = Path(file) if file else None
    return Damage(found["table"], found["doc_id"], found["reason"], where, found.get("line"), found.get("id"))


def _output_file(path: Path) -> Path:
    """The export's file, checked before any work: a file name in a folder that exists."""
    if path.is_dir():
        raise CliError(f"-o {path}: that is a folder; give a file name, e.g. -o {path / 'coded.json'}")
    folder = path.parent
    if not folder.exists():
        raise CliError(f"-o {path}: the folder {folder} does not exist (make it first)")
    if not folder.is_dir():
        raise CliError(f"-o {path}: {folder} is not a folder")
    return path


def _write_new(target: Path, chunks: Iterable[bytes]) -> int:
    """Write ``target`` whole or not at all, through ``<target>.part`` beside it.

    The temporary file is new (O_EXCL) and never a symlink followed (O_NOFOLLOW): an
    existing ``.part`` is not written through, whatever it points at.
    """
    tmp = target.with_name(target.name + ".part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except FileExistsError:
        kind = "a symbolic link" if tmp.is_symlink() else "a file"
        raise CliError(
            f"{tmp} already exists ({kind}; left by an interrupted export, or put there by someone "
            "else). newsmark does not write through it: remove it and run the export again."
        ) from None
    except OSError as exc:
        raise CliError(f"cannot write {tmp}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            written = sum(fh.write(chunk) for chunk in chunks)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)  # a half-written export never takes the file's name
    except BaseException as exc:
        tmp.unlink(missing_ok=True)  # a failed export leaves no partial file
        if isinstance(exc, OSError):
            raise CliError(f"could not write {target} ({_os_message(exc)}); no file was left") from None
        raise
    return written


def _import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        source = open(args.file, "rb")  # noqa: SIM115 (closed below, after the import)
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None

    def local(store: Store) -> dict[str, Any]:
        try:
            return importing.run_file(store, source, dry_run=args.dry_run)  # read as it goes, never whole
        except NotJson as exc:
            raise CliError(f"{args.file} is not JSON ({exc.reason}); nothing was imported") from None
        except Invalid as exc:
            raise CliError(_invalid_message(args.file, exc)) from None

    with source:
        report = _with_store_or_server(
            settings,
            write=True,
            local=local,
            remote=lambda server: json.loads(
                server.post("/api/import", {"dry_run": "1" if args.dry_run else None}, source.read())
            ),
        )
    for line in _report_lines(args.file, report):
        print(line)
    return 0


def _invalid_message(file: Path, error: Invalid, shown: int = 20) -> str:
    fields = error.fields
    lines = [f"{file} cannot be imported; nothing was imported. Problems:"]
    lines += [f"  {path}: {' '.join(reasons)}" for path, reasons in list(fields.items())[:shown]]
    if len(fields) > shown:
        lines.append(f"  … and more at {len(fields) - shown} other field(s)")
    lines.append(error.message)  # how many in all
    return "\n".join(lines)


def _report_lines(file: Path, report: dict[str, Any], shown: int = 10) -> list[str]:
    verb = "would import" if report["dry_run"] else "imported"
    lines = [
        f"{verb} {file} ({report['format']}): {report['added']} added, {report['updated']} updated, "
        f"{report['unchanged']} unchanged ({report['kept_newer']} kept as the stored one is newer), "
        f"{report['conflicting']} conflicting",
        f"articles: {report['articles_added']} added, {report['articles_updated']} updated; "
        f"{report['versions_added']} version(s) added",
    ]
    if report["conflicting"]:
        lines.append("conflicts (not imported; the stored annotation stays):")
        lines += [
            f"  {c['id']}: {c['reason']} ({', '.join(c['fields'])})" for c in report["conflicts"][:shown]
        ]
        if report["conflicting"] > shown:
            lines.append(f"  … and {report['conflicting'] - shown} more")
    if report["dry_run"]:
        lines.append("dry run: nothing was written")
    return lines


#: Bytes read from the server at a time: memory stays flat however large the export.
STREAM_BYTES = 1 << 16


def _progress_bar(show: bool, total: int | None) -> tqdm:
    """A bar of annotations done / total, rate and time left, on standard error (never stdout)."""
    return tqdm(
        desc="export", total=total, unit=" annotations", file=sys.stderr, disable=not show, dynamic_ncols=True
    )


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    stats = _with_store_or_server(
        settings,
        local=lambda store: store.stats(),
        remote=lambda server: json.loads(server.get("/api/stats", {})),
    )
    print(f"data folder:  {settings.data_dir}")
    print(f"annotations:  {stats['annotations']}")
    for tag in contract.TAGS:
        print(f"  {tag:10}  {stats['by_tag'].get(tag, 0)}")
    print(f"articles:     {stats['articles']} ({stats['article_versions']} versions)")
    print(f"coders:       {len(stats['by_annotator'])}")
    for name, count in sorted(stats["by_annotator"].items()):
        print(f"  {name}: {count}")
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    def local(store: Store) -> tuple[list[Damage], int]:
        return store.damaged(), store.document_count()

    def remote(server: Server) -> tuple[list[Damage], int]:
        found = json.loads(server.get("/api/damaged", {}))
        return [_damage_from(d) for d in found["damaged"]], found["documents"]

    damaged, documents = _with_store_or_server(settings, local=local, remote=remote)
    folder = settings.data_dir
    print(f"data folder:  {folder}")
    print(f"documents:    {documents} read")
    kept = sorted(folder.glob("*.damaged-*"))
    if kept:
        print("journal copies kept after damage (their good lines were replayed; see the README, Recovery):")
        for path in kept:
            print(f"  {path}")
    if not damaged:
        print("no damaged documents")
        return 0
    print(f"damaged:      {len(damaged)} document(s)")
    for damage in damaged:
        print(f"  {damage.describe()}")
    print(
        "To recover: stop the server, then mend or delete each line named above (one document a "
        "line), or restore newsmark.json from a backup; or keep the rest with "
        f"'newsmark --data-dir {shlex.quote(str(folder))} export --skip-damaged -o rest.json' and import "
        "it into a new data folder. See the README, Recovery."
    )
    return 1


def _with_store_or_server(
    settings: Settings,
    *,
    local: Callable[[Store], T],
    remote: Callable[[Server], T],
    write: bool = False,
) -> T:
    """Use the data folder directly, or through the server that holds it.

    TinyDB is single-process: while a server runs on the folder, only it reads
    and writes the files, so a command asks it over HTTP instead (never a second writer).
    A command that does not ``write`` opens the folder read-only: it changes nothing
    (so it works on a backup on read-only media, or a full disk).
    """
    folder = settings.data_dir
    try:
        if write:
            store = Store(folder)
        elif folder.is_dir():
            store = Store(folder, read_only=True)
        else:
            _note_servers_elsewhere(folder)
            raise CliError(f"there is no data folder {folder} (nothing was stored there yet)")
    except StoreLocked:
        info = read_server_info(folder)
        token = read_token(folder)
        if not info or not token or "port" not in info:
            raise
        return remote(Server(folder, info, token))
    _note_servers_elsewhere(folder)
    with store:
        return local(store)


def _note_servers_elsewhere(folder: Path) -> None:
    """No server runs on ``folder``: if this user runs one on another folder, say so."""
    for info in servers_elsewhere(folder):
        print(
            f"newsmark: note: no server runs on {folder}, but one runs on {info['data_dir']} "
            f"({info.get('url')}, pid {info.get('pid')}); for that folder use "
            f"'newsmark --data-dir {shlex.quote(info['data_dir'])} ...'",
            file=sys.stderr,
        )


def _locked_message(exc: StoreLocked, folder: Path) -> str:
    info = read_server_info(folder)
    where = f" (pid {info.get('pid')}, {info.get('url')})" if info else ""
    return (
        f"{exc}{where}. A newsmark server may already be running on it: stop it, "
        "or use another folder with --data-dir."
    )


if __name__ == "__main__":
    sys.exit(main())
