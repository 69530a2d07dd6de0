"""Benchmark newsmark's exports: time and peak memory per format, against references in the same run.

The store holds N annotations (default 100,000, ~1.2 KB each, as ``bench_store.py``
makes them) over 1,000 articles of one ~5 KB version each. For each format (json,
jsonl, csv, w3c) the store-level export (``export.stream``, all annotations) is
written to a sink that counts and discards the bytes, and measured twice:

- ``fresh``: the store just opened, its documents still the JSON bytes they were
  loaded as (as after ``newsmark serve`` starts);
- ``parsed``: after a filtered query touched (and so parsed) every document, as the
  viewer's queries do.

Per export it prints the median wall time of ``--runs`` runs, the ratio to two
references measured in the same run on the same (parsed) documents, built whole in
memory rather than streamed (json: ``orjson.dumps`` and stdlib ``json.dumps`` of the
document; jsonl: the same per line; csv: stdlib ``csv.writer`` and pandas
``DataFrame.to_csv``; w3c: ``orjson.dumps`` / ``json.dumps`` of the list of W3C
annotations), and the peak memory: the ``tracemalloc`` peak during the export (a
run of its own, as tracing slows allocation) and the growth of the process's peak
RSS (Linux: ``VmHWM``, reset through ``/proc/self/clear_refs``).

Then it shows that memory is flat: the tracemalloc peak at several sizes (default
N/10, N/2 and N). An export holds its snapshot, a list of 8-byte references to the
stored documents; beyond that its peak must not grow with N. The script prints the
peak beyond the snapshot list at each size and its growth per added annotation
(a non-streamed export grows by at least the ~1.2 KB each annotation's output takes).

It is a benchmark, not a test: misses are reported, never raised. Run from the
repository root:

    .venv/bin/python scripts/bench_export.py               # 100k; about five minutes
    .venv/bin/python scripts/bench_export.py --n 2000      # a few seconds
    .venv/bin/python scripts/bench_export.py --json        # the figures as JSON on stdout
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from bench_store import Corpus, make_articles, make_docs, write_newsmark_folder
from newsmark import export, w3c
from newsmark.store import AnnotationFilter, Store
from procstatus import status_kib

Doc = dict[str, Any]

FORMATS = export.FORMATS
STATES = ("fresh", "parsed")
JSON_TARGET_S = 0.3  # the target for the JSON export of 100k at the store level
TOUCH_ALL = AnnotationFilter(annotator="nobody at all")  # matches none, so reads (parses) every document
MiB = 1024 * 1024


# -- measuring -----------------------------------------------------------------------


class CountingSink:
    """A file that discards what it is given and counts the bytes."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)


def drain(chunks: Iterable[bytes]) -> int:
    sink = CountingSink()
    for chunk in chunks:
        sink.write(chunk)
    return sink.bytes


def median_time(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def traced_peak(fn: Callable[[], Any]) -> int:
    """Bytes allocated at the peak of ``fn()`` beyond what was allocated before it (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def rss_growth(fn: Callable[[], Any]) -> int | None:
    """How far the process's peak RSS rose above its RSS during ``fn()``; None where not measurable."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
    except OSError:
        return None
    before = status_kib("VmRSS")
    fn()
    after = status_kib("VmHWM")
    return None if before is None or after is None else max(0, after - before) * 1024


# -- references: the same output, built whole -------------------------------------------


def csv_rows(docs: list[Doc], articles: dict[str, Doc]) -> Iterable[tuple[Any, ...]]:
    """The CSV export's rows (schema v2 columns too: a v1 document's are empty, as in the export)."""
    entities = {d["id"]: d.get("entity") or "" for d in docs if d["tag"] == "actor"}
    for d in docs:
        quote, position, article = d["quote"], d["position"], articles.get(d["url"], {})
        named = d.get("attributed_to") or ()
        yield (d["id"], d["url"], article.get("title", ""), d["tag"], quote["exact"], quote["prefix"],
               quote["suffix"], position["start"], position["end"], d["note"] or "", d["annotator"],
               d["created"], d["updated"], d["article_sha256"] or "", d.get("entity") or "", ";".join(named),
               ";".join(entities.get(i, "") for i in named), d.get("value", ""), d.get("value_high", ""),
               d.get("unit") or "", d.get("qualifier") or "", article.get("published") or "",
               article.get("section") or "", "; ".join(article.get("authors") or ()))  # fmt: skip


def references(docs: list[Doc], article_docs: list[Doc]) -> dict[str, list[tuple[str, Callable[[], Any]]]]:
    """Per format, two non-streamed ways to make the same content from the parsed documents."""
    titles = {a["url"]: a["title"] for a in article_docs}
    by_url = {a["url"]: a for a in article_docs}
    dates = {v["sha256"]: v["first_seen"] for a in article_docs for v in a["versions"]}
    whole = {"articles": article_docs, "annotations": docs}

    def stdlib_csv() -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(export.CSV_COLUMNS)
        writer.writerows(csv_rows(docs, by_url))
        return out.getvalue().encode("utf-8")

    def pandas_csv() -> bytes:
        frame = pd.DataFrame.from_records(list(csv_rows(docs, by_url)), columns=list(export.CSV_COLUMNS))
        return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")

    return {
        "json": [
            ("orjson.dumps", lambda: orjson.dumps(whole)),
            ("json.dumps", lambda: json.dumps(whole, ensure_ascii=False).encode()),
        ],
        "jsonl": [
            (
                "orjson lines",
                lambda: b"".join(
                    [orjson.dumps({**d, "article_title": titles.get(d["url"])}) + b"\n" for d in docs]
                ),
            ),
            (
                "json lines",
                lambda: "".join(
                    [
                        json.dumps({**d, "article_title": titles.get(d["url"])}, ensure_ascii=False) + "\n"
                        for d in docs
                    ]
                ).encode(),
            ),
        ],
        "csv": [("csv.writer", stdlib_csv), ("pandas", pandas_csv)],
        "w3c": [
            ("orjson.dumps", lambda: orjson.dumps([w3c.annotation(d, dates) for d in docs])),
            (
                "json.dumps",
                lambda: json.dumps([w3c.annotation(d, dates) for d in docs], ensure_ascii=False).encode(),
            ),
        ],
    }


# -- the run ---------------------------------------------------------------------------


@dataclass
class Measure:
    fmt: str
    state: str
    seconds: float
    out_bytes: int
    peak: int  # tracemalloc peak, bytes
    rss: int | None  # peak RSS growth, bytes
    ref_ratios: list[float]


@dataclass
class Reference:
    fmt: str
    name: str
    seconds: float
    peak: int


@dataclass
class Flat:
    fmt: str
    state: str
    sizes: list[int]
    peaks: list[int]  # tracemalloc peak at each size
    beyond: list[int]  # the peak less the snapshot list (8 bytes an annotation)

    @property
    def growth(self) -> float:
        """Bytes of peak beyond the snapshot added per annotation, smallest to largest size."""
        if len(self.sizes) < 2 or self.sizes[-1] == self.sizes[0]:
            return 0.0
        return (self.beyond[-1] - self.beyond[0]) / (self.sizes[-1] - self.sizes[0])


def export_all(store: Store, fmt: str) -> Callable[[], int]:
    return lambda: drain(export.stream(store, AnnotationFilter(), fmt))


def raw_share(store: Store) -> float:
    """The share of annotation documents still held as their loaded bytes."""
    values = store.annotations_matching(AnnotationFilter())
    return sum(type(v) is bytes for v in values) / max(1, len(values))


def snapshot_bytes(n: int) -> int:
    return 8 * n  # the snapshot list: one reference per annotation


def peaks_of(store: Store) -> dict[str, int]:
    return {fmt: traced_peak(export_all(store, fmt)) for fmt in FORMATS}


def set_state(store: Store, state: str) -> None:
    """Make the annotations ``fresh`` (as loaded) or ``parsed``; the articles are read either way.

    An export reads every article (a few thousand documents, whatever N is); the
    first one to do so pays for parsing them, so that happens here, outside the figures.
    """
    export.snapshot(store, AnnotationFilter())
    if state == "parsed":
        store.annotations_matching(TOUCH_ALL)
    share = raw_share(store)
    want = 1.0 if state == "fresh" else 0.0
    if share != want:
        raise RuntimeError(f"expected a {state} store, but {share:.0%} of the documents are unparsed")


def main_size(
    folder: Path, n: int, runs: int
) -> tuple[list[Measure], list[Reference], dict[str, dict[str, int]]]:
    measures: list[Measure] = []
    refs: list[Reference] = []
    peaks: dict[str, dict[str, int]] = {}
    with Store(folder, background_compaction=False) as store:
        for state in STATES:
            set_state(store, state)
            peaks[state] = {}
            for fmt in FORMATS:
                progress(f"  {n:,} {state}: {fmt}")
                run = export_all(store, fmt)
                rss = rss_growth(run)  # also the warm-up
                seconds = median_time(run, runs)
                peak = traced_peak(run)
                peaks[state][fmt] = peak
                measures.append(Measure(fmt, state, seconds, run(), peak, rss, []))
            set_state(store, state)  # the exports left the documents as they were
        docs = store.annotations_matching(AnnotationFilter())
        article_docs = export.snapshot(store, AnnotationFilter()).articles
        for fmt, candidates in references(docs, article_docs).items():
            for name, fn in candidates:
                progress(f"  {n:,} reference: {fmt} {name}")
                refs.append(Reference(fmt, name, median_time(fn, max(1, min(runs, 3))), traced_peak(fn)))
    for m in measures:
        m.ref_ratios = [m.seconds / r.seconds for r in refs if r.fmt == m.fmt]
    return measures, refs, peaks


def flatness(
    root: Path, docs: list[Doc], articles: Any, sizes: list[int], known: dict[int, Any]
) -> list[Flat]:
    """The tracemalloc peak of each format's export, fresh and parsed, at each size."""
    at: dict[int, dict[str, dict[str, int]]] = dict(known)
    for size in sizes:
        if size in at:
            continue
        folder = root / f"store-{size}"
        write_newsmark_folder(folder, docs[:size], articles)
        with Store(folder, background_compaction=False) as store:
            at[size] = {}
            for state in STATES:
                progress(f"  {size:,} {state}: peak memory")
                set_state(store, state)
                at[size][state] = peaks_of(store)
    flats = []
    for state in STATES:
        for fmt in FORMATS:
            peaks = [at[s][state][fmt] for s in sizes]
            beyond = [p - snapshot_bytes(s) for p, s in zip(peaks, sizes, strict=True)]
            flats.append(Flat(fmt, state, sizes, peaks, beyond))
    return flats


# -- output ----------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MiB:.1f}"


def print_tables(
    info: dict[str, Any], measures: list[Measure], refs: list[Reference], flats: list[Flat]
) -> None:
    n = info["n"]
    print(
        f"newsmark export benchmark: {n:,} annotations ({info['doc_bytes']:,.0f} B each), "
        f"{info['articles']:,} articles; data file {info['data_bytes'] / 1e6:.1f} MB; "
        f"Python {platform.python_version()}, orjson {orjson.__version__}, {os.cpu_count()} CPUs"
    )
    print(f"median of {info['runs']} runs; output written to a sink that discards it\n")
    names = {fmt: [r.name for r in refs if r.fmt == fmt] for fmt in FORMATS}
    print(
        f"{'format':7}{'store':8}{'time s':>8}{'÷ref1':>8}{'÷ref2':>8}{'out MB':>9}"
        f"{'peak MiB':>10}{'RSS+ MiB':>10}   ref1 / ref2"
    )
    for m in measures:
        r1, r2 = (m.ref_ratios + [float("nan")] * 2)[:2]
        print(
            f"{m.fmt:7}{m.state:8}{m.seconds:8.3f}{r1:7.2f}x{r2:7.2f}x{m.out_bytes / 1e6:9.1f}"
            f"{mib(m.peak):>10}{mib(m.rss):>10}   {' / '.join(names[m.fmt])}"
        )
    print("\nreferences (parsed documents, the whole output built in memory):")
    for r in refs:
        print(f"  {r.fmt:6}{r.name:14}{r.seconds:8.3f} s   peak {mib(r.peak):>7} MiB")
    json_fresh = next(m for m in measures if m.fmt == "json" and m.state == "fresh")
    json_parsed = next(m for m in measures if m.fmt == "json" and m.state == "parsed")
    worst = max(json_fresh.seconds, json_parsed.seconds)
    verdict = "PASS" if worst <= JSON_TARGET_S else "MISS"
    note = "" if n == 100_000 else f" (target is for 100,000; this run has {n:,})"
    print(
        f"\n{verdict}  JSON export at the store level <= {JSON_TARGET_S} s: "
        f"fresh {json_fresh.seconds:.3f} s, parsed {json_parsed.seconds:.3f} s{note}"
    )
    sizes = flats[0].sizes
    print(
        "\nmemory flatness: tracemalloc peak beyond the snapshot list (8 B an annotation), MiB, by size;\n"
        "growth = bytes of that peak added per annotation from the smallest to the largest size"
    )
    print(f"{'format':7}{'store':8}" + "".join(f"{s:>10,}" for s in sizes) + f"{'growth B/ann':>14}  verdict")
    limit = info["flat_limit"]
    for f in flats:
        flat = f.growth <= limit
        print(
            f"{f.fmt:7}{f.state:8}"
            + "".join(f"{b / MiB:10.1f}" for b in f.beyond)
            + f"{f.growth:14.1f}  {'flat' if flat else 'GROWS'}"
        )
    print(
        f"flat: grows by at most {limit:.0f} B an annotation, 5 % of an annotation's "
        f"~{info['doc_bytes']:,.0f} B (an export built whole grows by at least that much)"
    )


# -- main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="annotations in the store (default 100000)")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",") if part.strip()],
        help="comma-separated sizes for the memory flatness check (default N/10,N/2,N)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per export; the median (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the documents (default 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs need positive numbers")
    if args.sizes is None:
        args.sizes = [max(1, args.n // 10), max(1, args.n // 2), args.n]
    if not args.sizes or min(args.sizes) < 1 or max(args.sizes) > args.n:
        parser.error("--sizes needs positive numbers up to --n")
    args.sizes = sorted(set(args.sizes))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    corpus = Corpus.make(args.seed)
    rng = random.Random(args.seed * 1_000_003 + args.n)
    progress(f"making {args.n:,} annotations")
    docs = make_docs(corpus, rng, args.n)
    articles = make_articles(corpus, rng)
    with tempfile.TemporaryDirectory(prefix="newsmark-bench-export-") as name:
        root = Path(name)
        folder = root / f"store-{args.n}"
        data_bytes = write_newsmark_folder(folder, docs, articles)
        measures, refs, peaks = main_size(folder, args.n, args.runs)
        doc_bytes = sum(len(orjson.dumps(d)) for d in docs[:1000]) / min(args.n, 1000)
        flats = flatness(root, docs, articles, args.sizes, {args.n: peaks})
    info = {
        "n": args.n,
        "runs": args.runs,
        "articles": len(articles[0]),
        "doc_bytes": doc_bytes,
        "data_bytes": data_bytes,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "flat_limit": 0.05 * doc_bytes,
    }
    if args.json:
        result = {
            **info,
            "exports": [asdict(m) for m in measures],
            "references": [asdict(r) for r in refs],
            "flatness": [{**asdict(f), "growth": f.growth} for f in flats],
        }
        print(json.dumps(result, indent=1))
    else:
        print_tables(info, measures, refs, flats)
        print(f"\ntotal {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
