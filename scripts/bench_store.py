"""Benchmark newsmark's store against stock TinyDB and sqlite3.

For each size (1k, 10k and 100k annotations by default, ~1.2 KB each, spread over
1,000 article URLs) the script builds three stores holding the same documents and
measures, per call:

- durable insert: one fresh annotation, made durable before the call returns
  (newsmark: ``Store.insert_annotation``, one fsync'd journal append; TinyDB:
  ``table.insert`` with the stock ``JSONStorage``, which rewrites and fsyncs the whole
  file; sqlite: one committed transaction with ``journal_mode=WAL, synchronous=FULL``);
- per-URL query: every annotation of one article, as the JSON answer a client gets
  (newsmark: what ``GET /api/annotations?url=`` does, its URL index and the page
  serialised; TinyDB: ``table.search`` and ``orjson.dumps``; sqlite: an index on
  ``url``, the stored JSON texts joined into an array);
- open: from nothing to answering the first query (newsmark: ``Store(folder)`` and a
  per-URL query, which builds the indexes; TinyDB: ``TinyDB(path)`` and ``len(table)``;
  sqlite: connect and a per-URL query);
- export: all annotations as one JSON document (newsmark: ``export.stream``, consumed
  chunk by chunk as the server and the CLI do; TinyDB: ``orjson.dumps(table.all())``;
  sqlite: the stored JSON texts joined into an array).

It prints the median (p50) and p99 in milliseconds with the ratios to sqlite, then
checks the targets at 100k (durable insert p50 <= sqlite's and p99 <= 5 ms, per-URL
query p50 <= sqlite's, open <= 1 s, export <= 0.3 s) and, last, times ``POST
/api/annotations`` against a real ``newsmark serve`` on the largest store.

The stores are built directly, not through N fsyncs: newsmark's data file as newsmark
writes it (plain TinyDB JSON, one document a line), TinyDB's with its stock storage's
layout, sqlite in one transaction. Stock TinyDB reads (and for an insert rewrites) the whole file on
every call, so its samples stop at a time budget per metric; ``n`` shows how many
were taken (with few samples, p99 is about the maximum). Files live in a temporary
folder, deleted at the end. It is a benchmark, not a test: misses are reported,
never raised.

Run from the repository root:

    .venv/bin/python scripts/bench_store.py            # 1k, 10k, 100k; a few minutes
    .venv/bin/python scripts/bench_store.py --quick    # 1k and 10k, fewer samples
    .venv/bin/python scripts/bench_store.py --sizes 1000,50000 --no-http
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import math
import os
import platform
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import requests
import tinydb
from tinydb import Query, TinyDB

from newsmark import annotations, contract, export
from newsmark import articles as newsmark_articles
from newsmark.storage import AtomicJSONStorage, dumps_docs
from newsmark.store import DATA_FILE, AnnotationFilter, Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
import importfiles  # the v2 tag fields, shared with the import files

Doc = dict[str, Any]

URL_COUNT = 1_000
TARGET_SIZE = 100_000
TABLE = "annotations"
STORES = ("newsmark", "tinydb", "sqlite")
STORE_TITLES = {"newsmark": "newsmark", "tinydb": "TinyDB JSONStorage", "sqlite": "sqlite WAL FULL"}
METRICS = ("insert", "query", "open", "export")
METRIC_TITLES = {
    "insert": "durable insert",
    "query": "per-URL query",
    "open": "open",
    "export": "export all",
}
SERVING = re.compile(rb"serving at (http://127\.0\.0\.1:\d+/)")


# -- settings ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How many samples to take; every loop also stops at a time budget (after ``min_samples``)."""

    inserts: int = 200
    queries: int = 200
    opens: int = 5
    exports: int = 5
    budget_s: float = 20.0  # per metric, newsmark and sqlite
    stock_budget_s: float = 10.0  # per metric, stock TinyDB (about 1.5 s a call at 100k)
    min_samples: int = 3
    http_posts: int = 300
    http_warmup: int = 10


QUICK = Plan(inserts=50, queries=50, opens=3, exports=3, budget_s=5.0, stock_budget_s=2.0, http_posts=100)


# -- statistics --------------------------------------------------------------------


@dataclass
class Stat:
    """Sample durations in seconds."""

    samples: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 99)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile with linear interpolation (numpy's default); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def sample(
    fn: Callable[[int], Any],
    count: int,
    budget_s: float,
    min_samples: int,
    teardown: Callable[[Any], None] | None = None,
) -> Stat:
    """Time ``fn(i)`` for i in 0..count-1; stop early once ``budget_s`` is spent.

    ``teardown`` gets each call's result, outside the timing (e.g. to close what was opened).
    """
    stat = Stat()
    deadline = time.perf_counter() + budget_s
    for i in range(count):
        start = time.perf_counter()
        result = fn(i)
        stat.samples.append(time.perf_counter() - start)
        if teardown is not None:
            teardown(result)
        if stat.n >= min_samples and time.perf_counter() > deadline:
            break
    return stat


# -- documents ---------------------------------------------------------------------

_TEXT_WORDS = (
    "the senator said budget talks would resume after recess while critics argued that figures "
    "released by agency showed spending rose percent over previous year officials declined to "
    "comment on reports about negotiations with governors mayors and union leaders who warned "
    "of shutdown in march according to people familiar with plan president administration "
    "department court ruled against policy lawmakers voted bill house committee hearing"
)


@dataclass(frozen=True)
class Corpus:
    """Article-like text to cut quotes and notes from, and the article URLs."""

    text: str
    urls: list[str]
    shas: list[str]

    @classmethod
    def make(cls, seed: int) -> Corpus:
        rng = random.Random(seed)
        words = _TEXT_WORDS.split()
        text = " ".join(rng.choice(words) for _ in range(40_000))
        urls = [f"https://lite.cnn.com/2024/02/02/politics/slug-{n}/index.html" for n in range(URL_COUNT)]
        shas = [hashlib.sha256(url.encode()).hexdigest() for url in urls]
        return cls(text, urls, shas)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_doc(
    corpus: Corpus, rng: random.Random, serial: int, *, version: int = contract.SCHEMA_VERSION
) -> Doc:
    """One stored annotation, about 1.2 KB of JSON, as ``POST /api/annotations`` stores it.

    ``version`` 1: as schema_version 1 stored it (no fields of the tags), for the migration's benchmark.
    """
    u = rng.randrange(URL_COUNT)
    length = rng.randint(330, 560)
    start = rng.randrange(40, len(corpus.text) - length - 40)
    note_start = rng.randrange(len(corpus.text) - 500)
    note = corpus.text[note_start : note_start + rng.randint(220, 420)] if rng.random() < 0.9 else None
    stamp = _iso(1_706_880_000 + serial * 7)
    tag = rng.choice(contract.TAGS)
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "url": corpus.urls[u],
        "tag": tag,
        "quote": {
            "exact": corpus.text[start : start + length],
            "prefix": corpus.text[start - 32 : start],
            "suffix": corpus.text[start + length : start + length + 32],
        },
        "position": {"start": start, "end": start + length},
        "note": note,
        "annotator": f"coder-{rng.randrange(12):02d}",
        **(importfiles.tag_fields(rng, tag) if version >= 2 else {}),
        "article_sha256": corpus.shas[u],
        "created": stamp,
        "updated": stamp,
        "schema_version": version,
    }


def make_docs(
    corpus: Corpus,
    rng: random.Random,
    count: int,
    first_serial: int = 0,
    *,
    version: int = contract.SCHEMA_VERSION,
) -> list[Doc]:
    return [make_doc(corpus, rng, first_serial + i, version=version) for i in range(count)]


def post_body(doc: Doc) -> Doc:
    """The client's part of a stored annotation: the body of ``POST /api/annotations``."""
    return {key: doc[key] for key in ("id", "url", "tag", "quote", "position", "note", "annotator")}


# -- building the stores -----------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """One size's three stores on disk."""

    size: int
    newsmark_folder: Path
    tinydb_path: Path
    sqlite_path: Path
    doc_bytes: float  # mean serialised size of an annotation
    data_bytes: int  # size of the TinyDB JSON file


def write_tinydb_json(path: Path, docs: list[Doc]) -> int:
    """Write ``docs`` as a plain TinyDB JSON file (table ``annotations``, ids 1..N); its size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = orjson.dumps({TABLE: {str(i): doc for i, doc in enumerate(docs, 1)}})
    path.write_bytes(raw)
    return len(raw)


def connect_sqlite(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, synchronous=FULL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def build_sqlite(path: Path, docs: list[Doc]) -> None:
    conn = connect_sqlite(path)
    try:
        conn.execute(f"CREATE TABLE {TABLE} (id TEXT PRIMARY KEY, url TEXT NOT NULL, doc TEXT NOT NULL)")
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO {TABLE} (id, url, doc) VALUES (?, ?, ?)",
            ((d["id"], d["url"], orjson.dumps(d).decode()) for d in docs),
        )
        conn.execute(f"CREATE INDEX {TABLE}_url ON {TABLE} (url)")
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def make_articles(
    corpus: Corpus, rng: random.Random, *, version: int = contract.SCHEMA_VERSION
) -> tuple[list[Doc], list[Doc]]:
    """One article per corpus URL with one version each (~5 KB of text): articles, versions.

    ``version`` 1: without the metadata schema_version 2 keeps (published, section, ...).
    """
    articles: list[Doc] = []
    versions: list[Doc] = []
    for url, sha in zip(corpus.urls, corpus.shas, strict=True):
        start = rng.randrange(len(corpus.text) - 6_000)
        text = corpus.text[start : start + rng.randint(3_000, 6_000)].strip()
        fields = {
            "title": f"Story {url.rsplit('-', 1)[-1].split('/')[0]}: {text[:60]}",
            "byline": "By A Reporter, CNN",
            "timestamp_text": "Updated: 8:43 AM EST, Sat February 3, 2024",
        }
        aid = contract.article_id(url)
        stamp = _iso(1_706_880_000)
        about = (
            newsmark_articles.metadata(url, fields["byline"], fields["timestamp_text"], None)
            if version >= 2
            else {}
        )
        # Indexed fields first, as newsmark stores them (store.TABLES).
        versions.append(
            {"article_id": aid, "sha256": sha, "text": text, "first_seen": stamp, **fields, **about}
        )
        articles.append(
            {"id": aid, "url": url, **fields, "sha256": sha, "first_seen": stamp, "last_seen": stamp, **about}
        )
    return articles, versions


def write_newsmark_folder(
    folder: Path, docs: list[Doc], articles: tuple[list[Doc], list[Doc]] | None = None
) -> int:
    """A newsmark data folder holding ``docs`` (and ``articles``: see :func:`make_articles`); its size.

    As newsmark itself leaves its data file after a compaction or a clean stop
    (plain TinyDB JSON, one document a line); a stock single-line file would be
    read too, parsed whole, as on the very first open of a file from elsewhere.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, dict[str, Doc]] = {TABLE: {str(i): doc for i, doc in enumerate(docs, 1)}}
    if articles is not None:
        data["articles"] = {str(i): doc for i, doc in enumerate(articles[0], 1)}
        data["article_versions"] = {str(i): doc for i, doc in enumerate(articles[1], 1)}
    AtomicJSONStorage(folder / DATA_FILE).write(data)
    return (folder / DATA_FILE).stat().st_size


def build(root: Path, size: int, corpus: Corpus, seed: int) -> Built:
    """Write the same ``size`` annotations into a newsmark folder, a TinyDB file and a sqlite file."""
    docs = make_docs(corpus, random.Random(seed * 1_000_003 + size), size)
    folder = root / f"newsmark-{size}"
    data_bytes = write_newsmark_folder(folder, docs)
    tinydb_path = root / f"tinydb-{size}.json"
    write_tinydb_json(tinydb_path, docs)
    sqlite_path = root / f"sqlite-{size}.db"
    build_sqlite(sqlite_path, docs)
    doc_bytes = sum(len(orjson.dumps(d)) for d in docs[:1000]) / min(size, 1000)
    return Built(size, folder, tinydb_path, sqlite_path, doc_bytes, data_bytes)


# -- measuring ---------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """What each store is asked to do at one size (the same for all three)."""

    fresh: list[Doc]  # documents to insert
    query_urls: list[str]  # distinct, so no store answers from a query cache
    open_urls: list[str]


def make_workload(corpus: Corpus, size: int, plan: Plan, seed: int) -> Workload:
    rng = random.Random(seed + size)
    fresh = make_docs(corpus, rng, plan.inserts, first_serial=size)
    query_urls = rng.sample(corpus.urls, min(plan.queries, URL_COUNT))
    open_urls = rng.sample(corpus.urls, plan.opens)
    return Workload(fresh, query_urls, open_urls)


def newsmark_query(store: Store, url: str) -> bytes:
    """What ``GET /api/annotations?url=`` does: one page from the URL index, serialised."""
    return dumps_docs(annotations.page(store, AnnotationFilter(url=url), 1000, None))


def drain(chunks: Iterable[bytes]) -> int:
    """Consume a streamed export as a socket or a file would; its size in bytes."""
    return sum(len(chunk) for chunk in chunks)


def bench_newsmark(built: Built, work: Workload, plan: Plan) -> dict[str, Stat]:
    def open_store(i: int) -> Store:
        store = Store(built.newsmark_folder)
        newsmark_query(store, work.open_urls[i])
        return store

    budget, least = plan.budget_s, plan.min_samples
    stats = {"open": sample(open_store, plan.opens, budget, least, teardown=Store.close)}
    store = Store(built.newsmark_folder)
    try:
        stats["insert"] = sample(
            lambda i: store.insert_annotation(work.fresh[i]), plan.inserts, budget, least
        )
        stats["query"] = sample(
            lambda i: newsmark_query(store, work.query_urls[i]),
            len(work.query_urls),
            budget,
            least,
        )
        stats["export"] = sample(
            lambda _: drain(export.stream(store, AnnotationFilter())), plan.exports, budget, least
        )
    finally:
        store.close()
    return stats


def sqlite_query(conn: sqlite3.Connection, url: str) -> bytes:
    """The URL's stored JSON texts joined into an array: the answer, with no parse."""
    rows = conn.execute(f"SELECT CAST(doc AS BLOB) FROM {TABLE} WHERE url = ? ORDER BY rowid", (url,))
    return b"[" + b",".join([doc for (doc,) in rows]) + b"]"


def sqlite_insert(conn: sqlite3.Connection, doc: Doc) -> None:
    conn.execute("BEGIN")
    conn.execute(
        f"INSERT INTO {TABLE} (id, url, doc) VALUES (?, ?, ?)",
        (doc["id"], doc["url"], orjson.dumps(doc).decode()),
    )
    conn.execute("COMMIT")


def sqlite_export(conn: sqlite3.Connection) -> bytes:
    """The stored JSON texts joined into one array (as bytes: no str round trip)."""
    rows = conn.execute(f"SELECT CAST(doc AS BLOB) FROM {TABLE} ORDER BY rowid").fetchall()
    return b'{"annotations":[' + b",".join([doc for (doc,) in rows]) + b"]}"


def bench_sqlite(built: Built, work: Workload, plan: Plan) -> dict[str, Stat]:
    def open_db(i: int) -> sqlite3.Connection:
        conn = connect_sqlite(built.sqlite_path)
        sqlite_query(conn, work.open_urls[i])
        return conn

    budget, least = plan.budget_s, plan.min_samples
    stats = {"open": sample(open_db, plan.opens, budget, least, teardown=sqlite3.Connection.close)}
    conn = connect_sqlite(built.sqlite_path)
    try:
        stats["insert"] = sample(lambda i: sqlite_insert(conn, work.fresh[i]), plan.inserts, budget, least)
        stats["query"] = sample(
            lambda i: sqlite_query(conn, work.query_urls[i]), len(work.query_urls), budget, least
        )
        stats["export"] = sample(lambda _: sqlite_export(conn), plan.exports, budget, least)
    finally:
        conn.close()
    return stats


def bench_tinydb(built: Built, work: Workload, plan: Plan) -> dict[str, Stat]:
    """Stock TinyDB (default ``JSONStorage``, no caching middleware), within a time budget."""

    def open_db(_: int) -> TinyDB:
        db = TinyDB(built.tinydb_path)
        len(db.table(TABLE))
        return db

    budget, least = plan.stock_budget_s, plan.min_samples
    stats = {"open": sample(open_db, plan.opens, budget, least, teardown=TinyDB.close)}
    db = TinyDB(built.tinydb_path)
    try:
        table = db.table(TABLE)
        url = Query().url
        stats["insert"] = sample(lambda i: table.insert(work.fresh[i]), plan.inserts, budget, least)
        stats["query"] = sample(
            lambda i: orjson.dumps(table.search(url == work.query_urls[i])),
            len(work.query_urls),
            budget,
            least,
        )
        stats["export"] = sample(lambda _: orjson.dumps(table.all()), plan.exports, budget, least)
    finally:
        db.close()
    return stats


BENCHES: dict[str, Callable[[Built, Workload, Plan], dict[str, Stat]]] = {
    "newsmark": bench_newsmark,
    "tinydb": bench_tinydb,
    "sqlite": bench_sqlite,
}


def bench_size(built: Built, work: Workload, plan: Plan) -> dict[str, dict[str, Stat]]:
    """Every metric of every store at one size; one store at a time, garbage collected between."""
    results = {}
    for name in STORES:
        progress(f"  {built.size:,}: {STORE_TITLES[name]}")
        gc.collect()
        results[name] = BENCHES[name](built, work, plan)
    return results


# -- the HTTP figure ---------------------------------------------------------------


@dataclass(frozen=True)
class HttpResult:
    size: int
    post: Stat
    start_s: float  # process start until it prints its URL
    stop_s: float  # SIGTERM until exit (the store is compacted on the way out)
    exit_code: int


def start_server(folder: Path, log_path: Path, timeout_s: float = 120.0) -> tuple[subprocess.Popen, str]:
    """Start ``newsmark serve`` on a free loopback port; the process and its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMARK_")}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "-m", "newsmark.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*cmd, "--data-dir", str(folder)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        match = SERVING.search(log_path.read_bytes())
        if match:
            return proc, match.group(1).decode()
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    stop_server(proc)
    raise RuntimeError(f"the server did not start:\n{log_path.read_text(errors='replace')}")


def stop_server(proc: subprocess.Popen, timeout_s: float = 120.0) -> int:
    """SIGTERM (the server's clean shutdown), then wait; SIGKILL only if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def bench_http(folder: Path, size: int, corpus: Corpus, plan: Plan, seed: int) -> HttpResult:
    """Sequential ``POST /api/annotations`` over one keep-alive connection to a real server."""
    rng = random.Random(seed + 7)
    count = plan.http_warmup + plan.http_posts
    bodies = [post_body(d) for d in make_docs(corpus, rng, count, first_serial=2 * size)]
    began = time.perf_counter()
    proc, base = start_server(folder, folder.parent / f"server-{size}.log")
    start_s = time.perf_counter() - began
    try:
        token = (folder / "token").read_text(encoding="utf-8").strip()
        with requests.Session() as session:
            session.trust_env = False  # no proxies for 127.0.0.1
            session.headers["Authorization"] = f"Bearer {token}"

            def post(i: int) -> None:
                reply = session.post(base + "api/annotations", json=bodies[i], timeout=30)
                if reply.status_code != 201:
                    raise RuntimeError(f"POST answered {reply.status_code}: {reply.text[:500]}")

            for i in range(plan.http_warmup):
                post(i)
            stat = sample(
                lambda i: post(plan.http_warmup + i), plan.http_posts, plan.budget_s, plan.min_samples
            )
    finally:
        stopping = time.perf_counter()
        code = stop_server(proc)
        stop_s = time.perf_counter() - stopping
    return HttpResult(size, stat, start_s, stop_s, code)


# -- output ------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ms(seconds: float) -> str:
    """Milliseconds with about three significant digits."""
    value = seconds * 1000
    if math.isnan(value):
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 and not math.isnan(a) else "-"


def size_table(built: Built, results: dict[str, dict[str, Stat]]) -> str:
    """One size's figures: p50 / p99 in ms and n per store, and the ratios to sqlite."""
    head1 = (
        f"{'':16}"
        + "".join(f"| {STORE_TITLES[s]:<23}" for s in STORES)
        + "| newsmark/sqlite   | tinydb/sqlite"
    )
    head2 = f"{'ms':16}" + f"| {'p50':>8} {'p99':>8} {'n':>5} " * 3 + f"| {'p50':>8} {'p99':>8} | {'p50':>9}"
    lines = [
        f"== {built.size:,} annotations: {URL_COUNT:,} URLs, {built.doc_bytes / 1000:.2f} KB each, "
        f"data file {built.data_bytes / 1e6:.1f} MB ==",
        head1,
        head2,
    ]
    for metric in METRICS:
        cells = [f"{METRIC_TITLES[metric]:16}"]
        for store in STORES:
            st = results[store][metric]
            cells.append(f"| {ms(st.p50):>8} {ms(st.p99):>8} {st.n:>5} ")
        nm, sq, tb = (results[s][metric] for s in ("newsmark", "sqlite", "tinydb"))
        cells.append(f"| {ratio(nm.p50, sq.p50):>8} {ratio(nm.p99, sq.p99):>8} | {ratio(tb.p50, sq.p50):>9}")
        lines.append("".join(cells))
    return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str


def target_checks(results: dict[str, dict[str, Stat]]) -> list[Check]:
    """The issue's targets at 100k, judged on the numbers measured."""
    nm, sq = results["newsmark"], results["sqlite"]
    ins, q, op, ex = nm["insert"], nm["query"], nm["open"], nm["export"]
    return [
        Check(
            ins.p50 <= sq["insert"].p50,
            f"durable insert p50 <= 1.0x sqlite's: {ratio(ins.p50, sq['insert'].p50)} "
            f"({ms(ins.p50)} ms vs {ms(sq['insert'].p50)} ms)",
        ),
        Check(ins.p99 <= 0.005, f"durable insert p99 <= 5 ms: {ms(ins.p99)} ms (n={ins.n})"),
        Check(
            q.p50 <= sq["query"].p50,
            f"per-URL query p50 <= sqlite's: {ratio(q.p50, sq['query'].p50)} "
            f"({ms(q.p50)} ms vs {ms(sq['query'].p50)} ms; p99 {ms(q.p99)} vs {ms(sq['query'].p99)} ms)",
        ),
        Check(op.p50 <= 1.0, f"open p50 <= 1 s: {op.p50:.3f} s (p99 {op.p99:.3f} s, n={op.n})"),
        Check(
            ex.p50 <= 0.3, f"JSON export of all p50 <= 0.3 s: {ex.p50:.3f} s (p99 {ex.p99:.3f} s, n={ex.n})"
        ),
    ]


def print_targets(all_results: dict[int, dict[str, dict[str, Stat]]]) -> None:
    print(f"\n== targets at {TARGET_SIZE:,} ==")
    if TARGET_SIZE not in all_results:
        print(f"not checked: {TARGET_SIZE:,} is not among the sizes of this run")
        return
    checks = target_checks(all_results[TARGET_SIZE])
    for check in checks:
        print(f"{'PASS' if check.ok else 'MISS'}  {check.text}")
    print(f"{sum(c.ok for c in checks)} of {len(checks)} targets met")


def print_http(result: HttpResult) -> None:
    post = result.post
    print(f"\n== HTTP: POST /api/annotations on a running server, {result.size:,} annotations stored ==")
    print(
        f"p50 {ms(post.p50)} ms, p99 {ms(post.p99)} ms, n={post.n} "
        "(sequential, one keep-alive connection, after a warm-up)"
    )
    print(
        f"server start to listening {result.start_s:.2f} s; SIGTERM to exit {result.stop_s:.2f} s "
        f"(exit code {result.exit_code}; the store compacts on the way out)"
    )


def print_header(root: Path, plan: Plan) -> None:
    print(
        f"newsmark store benchmark: Python {platform.python_version()}, TinyDB {tinydb.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, orjson {orjson.__version__}, {os.cpu_count()} CPUs"
    )
    print(
        f"files under {root} (fsync cost is that disk's); samples: {plan.inserts} inserts, "
        f"{plan.queries} queries, {plan.opens} opens, {plan.exports} exports per store, stopping at "
        f"{plan.budget_s:.0f} s per metric ({plan.stock_budget_s:.0f} s for stock TinyDB, which reads "
        "the whole file on every call and rewrites it on every insert)"
    )


# -- main --------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",") if part.strip()],
        help="comma-separated numbers of annotations (default 1000,10000,100000; with --quick 1000,10000)",
    )
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, fewer samples")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP figure")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the documents (default 1)")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, TARGET_SIZE]
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes needs positive numbers")
    return args


@contextmanager
def scratch_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="newsmark-bench-") as name:
        yield Path(name)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else Plan()
    corpus = Corpus.make(args.seed)
    sizes = sorted(set(args.sizes))
    results: dict[int, dict[str, dict[str, Stat]]] = {}
    began = time.perf_counter()
    with scratch_folder() as root:
        print_header(root, plan)
        for size in sizes:
            progress(f"building {size:,} annotations in each store")
            built = build(root, size, corpus, args.seed)
            gc.collect()
            results[size] = bench_size(built, make_workload(corpus, size, plan, args.seed), plan)
            print()
            print(size_table(built, results[size]), flush=True)
        print_targets(results)
        if not args.no_http:
            progress(f"HTTP: starting newsmark serve on the {sizes[-1]:,} store")
            print_http(bench_http(root / f"newsmark-{sizes[-1]}", sizes[-1], corpus, plan, args.seed))
    print(f"\ntotal {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
