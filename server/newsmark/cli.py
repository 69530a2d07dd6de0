"""The ``newsmark`` command: serve, token, export, stats."""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from . import __version__, contract, export, serve
from .datafolder import load_or_create_token, read_server_info, read_token
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
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="a progress bar on standard error (default: when standard error is a terminal)",
    )
    p.set_defaults(run=_export)

    p = sub.add_parser("stats", parents=[common], help="print counts of what is stored")
    p.set_defaults(run=_stats)
    return parser


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
    flt = AnnotationFilter(url=url, tag=args.tag, annotator=args.annotator, q=args.q)
    params = {
        "format": args.format,
        "url": url,
        "tag": args.tag,
        "annotator": args.annotator,
        "q": args.q,
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

    def remote(get: Callable[..., int]) -> int:
        return get("/api/export", params, read_export)

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
        remote=lambda get: json.loads(get("/api/stats", {})),
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


def _with_store_or_server(
    settings: Settings,
    *,
    local: Callable[[Store], T],
    remote: Callable[[Callable[..., Any]], T],
) -> T:
    """Read the data folder directly, or through the server that holds it.

    TinyDB is single-process: while a server runs on the folder, only it reads
    and writes the files, so a command asks it over HTTP instead.
    """
    try:
        store = Store(settings.data_dir)
    except StoreLocked:
        info = read_server_info(settings.data_dir)
        token = read_token(settings.data_dir)
        if not info or not token:
            raise
        return remote(lambda path, params, read=None: _http_get(info, token, path, params, read))
    with store:
        return local(store)


def _http_get(
    info: dict[str, Any],
    token: str,
    path: str,
    params: dict[str, Any],
    read: Callable[[http.client.HTTPResponse], Any] | None = None,
) -> Any:
    """The answer's body, or what ``read`` makes of the response (e.g. streams it to a file)."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    url = f"http://127.0.0.1:{info['port']}{path}" + (f"?{query}" if query else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        response = urllib.request.urlopen(request, timeout=120)
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = exc.reason
        raise CliError(f"the server answered {exc.code}: {message}") from None
    except OSError as exc:
        raise CliError(
            f"a newsmark server (pid {info.get('pid')}) holds the data folder but does not "
            f"answer at {info.get('url')} ({exc}). Stop it and try again."
        ) from None
    with response:
        if read is not None:
            return read(response)  # it tells a broken answer (see _read) from a file it cannot write
        return _read(response)


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
