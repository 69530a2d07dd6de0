"""The ``newsmark`` command: serve, token, export, import, stats."""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from . import __version__, contract, export, importing, serve
from .datafolder import load_or_create_token, read_server_info, read_token
from .errors import Invalid, NotJson
from .settings import Settings, setting_docs
from .store import AnnotationFilter, Store, StoreDamaged, StoreLocked

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
    except CliError as exc:
        print(f"newsmark: {exc}", file=sys.stderr)
        return 1
    except StoreDamaged as exc:
        print(f"newsmark: {exc}", file=sys.stderr)
        return 1
    except StoreLocked as exc:
        print(
            f"newsmark: {_locked_message(exc, Path(args.data_dir or Settings.from_env().data_dir))}",
            file=sys.stderr,
        )
        return 1


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
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        help="data folder (default: NEWSMARK_DATA_DIR or the platform's user data folder)",
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("serve", parents=[common], help="start the service")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 7767; 0 picks a free one)")
    p.set_defaults(run=_serve)

    p = sub.add_parser("token", parents=[common], help="print the API token")
    p.set_defaults(run=_token)

    p = sub.add_parser("export", parents=[common], help="export annotations")
    p.add_argument("--format", choices=export.FORMATS, default="json")
    p.add_argument("--excel", action="store_true", help="csv: a byte order mark first, so Excel reads UTF-8")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    p.add_argument("--url", help="only this article")
    p.add_argument("--tag", choices=contract.TAGS)
    p.add_argument("--annotator", help="only this coder")
    p.add_argument("-q", help="only quotes or notes containing this text (any case)")
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
    return parser


def _day(value: str) -> str:
    """A day as YYYY-MM-DD; argparse reports the ValueError as a usage error."""
    if len(value) != 10:  # fromisoformat also takes "20240203" and the like
        raise ValueError(value)
    return date.fromisoformat(value).isoformat()


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    return serve.run(settings)


def _token(args: argparse.Namespace, settings: Settings) -> int:
    print(load_or_create_token(settings.data_dir))
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
    }

    show = sys.stderr.isatty() if args.progress is None else args.progress

    def write(chunks: Iterable[bytes]) -> int:
        if not args.output:
            return sum(sys.stdout.buffer.write(chunk) for chunk in chunks)
        tmp = args.output.with_name(args.output.name + ".part")
        try:
            with open(tmp, "wb") as fh:
                written = sum(fh.write(chunk) for chunk in chunks)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a failed export leaves no partial file
            raise
        tmp.replace(args.output)  # a half-written export never takes the file's name
        return written

    def local(store: Store) -> int:
        total, chunks = export.prepare(
            store, flt, args.format, excel=args.excel, progress=lambda n: bar.update(n)
        )
        with _progress_bar(show, total) as bar:
            return write(chunks)

    def remote(server: _Server) -> int:
        return server.get("/api/export", params, read_export)

    def read_export(response: http.client.HTTPResponse) -> int:
        """Stream the server's answer to the output, counting the annotations as they arrive."""
        total = response.headers.get(export.TOTAL_HEADER, "")
        counter = export.Counter(args.format)
        with _progress_bar(show, int(total) if total.isdigit() else None) as bar:

            def chunks() -> Iterator[bytes]:
                while chunk := _read(response, STREAM_BYTES):
                    yield chunk
                    bar.update(counter.feed(chunk))

            return write(chunks())

    written = _with_store_or_server(settings, local=local, remote=remote)
    if args.output:
        print(f"wrote {args.output} ({written:,} bytes)", file=sys.stderr)
    return 0


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


class _Server:
    """The running server that holds the data folder, asked over HTTP with the folder's token."""

    def __init__(self, info: dict[str, Any], token: str) -> None:
        self.info = info
        self.token = token

    def get(
        self, path: str, params: dict[str, Any], read: Callable[[http.client.HTTPResponse], Any] | None = None
    ) -> Any:
        """The answer's body, or what ``read`` makes of the response (e.g. streams it to a file)."""
        return self._request(path, params, read=read)

    def post(self, path: str, params: dict[str, Any], body: bytes) -> bytes:
        return self._request(path, params, body)

    def _request(
        self,
        path: str,
        params: dict[str, Any],
        body: bytes | None = None,
        read: Callable[[http.client.HTTPResponse], Any] | None = None,
    ) -> Any:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"http://127.0.0.1:{self.info['port']}{path}" + (f"?{query}" if query else "")
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            url, data=body, headers=headers, method="GET" if body is None else "POST"
        )
        try:
            response = urllib.request.urlopen(request, timeout=600 if body is not None else 120)
        except urllib.error.HTTPError as exc:
            raise CliError(_server_error(exc)) from None
        except OSError as exc:
            raise CliError(
                f"a newsmark server (pid {self.info.get('pid')}) holds the data folder but does not "
                f"answer at {self.info.get('url')} ({exc}). Stop it and try again."
            ) from None
        with response:
            # ``read`` tells a broken answer (see _read) from a file it cannot write.
            return read(response) if read is not None else _read(response)


def _server_error(exc: urllib.error.HTTPError, shown: int = 20) -> str:
    """The server's error answer in a few lines: its message, then the fields at fault."""
    try:
        error = json.loads(exc.read())["error"]
        message, fields = error["message"], error.get("fields") or {}
    except (ValueError, KeyError, TypeError):
        message, fields = exc.reason, {}
    lines = [f"the server answered {exc.code}: {message}"]
    lines += [f"  {path}: {' '.join(reasons)}" for path, reasons in list(fields.items())[:shown]]
    return "\n".join(lines)


def _with_store_or_server(
    settings: Settings,
    *,
    local: Callable[[Store], T],
    remote: Callable[[_Server], T],
) -> T:
    """Use the data folder directly, or through the server that holds it.

    TinyDB is single-process: while a server runs on the folder, only it reads
    and writes the files, so a command asks it over HTTP instead (never a second writer).
    """
    try:
        store = Store(settings.data_dir)
    except StoreLocked:
        info = read_server_info(settings.data_dir)
        token = read_token(settings.data_dir)
        if not info or not token:
            raise
        return remote(_Server(info, token))
    with store:
        return local(store)


def _read(response: http.client.HTTPResponse, size: int | None = None) -> bytes:
    """Up to ``size`` bytes of the answer (all without); a connection lost on the way is a CliError."""
    try:
        return response.read(size)
    except (http.client.HTTPException, OSError) as exc:
        raise CliError(f"the server's answer broke off ({exc!r})") from None


def _locked_message(exc: StoreLocked, folder: Path) -> str:
    info = read_server_info(folder)
    where = f" (pid {info.get('pid')}, {info.get('url')})" if info else ""
    return (
        f"{exc}{where}. A newsmark server may already be running on it: stop it, "
        "or use another folder with --data-dir."
    )


if __name__ == "__main__":
    sys.exit(main())
