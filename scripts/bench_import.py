#!/usr/bin/env python3
"""How long an import takes and how much memory it needs, against reading the same file with json.loads.

Files (made by ``importfiles.py``, annotations of ~1.2 KB whose quotes are cut from
their articles' texts, so every quote is checked for real):

- newsmark JSON exports of about 10, 50 and 200 MiB (``--sizes``), with their 1,000 articles;
- 100,000 annotations as a JSON export and as a W3C collection (``--n``);
- 0.57 MiB of ``{}`` as annotations (``--empty-mib``), which the import refuses.

Each import runs in a process of its own, into an empty data folder opened as the
server and ``newsmark import`` open it: ``importing.run_file``, the work of ``POST
/api/import`` once the body is in and of ``newsmark import FILE`` without a server.
Measured: the wall time until it returns (the answer: the import is durable then),
until the store is closed too (the data file rewritten, which the server does in the
background and the command before it exits), the CPU time of it all, and the peak
memory, as the rise of the process's peak resident size (Linux ``VmHWM``, reset just
before) over its size just before the import.

The reference, measured in the same run, each in a process of its own too, is
reading the same file with the standard library: ``json.loads`` of its bytes,
read whole. The ratios are import / reference (time) and peak / file size (memory;
the target is at most 3×). Targets: 100,000 annotations imported in 10 s at most;
peak memory at most 3× the file's size. It is a benchmark, not a test: misses are
reported, never raised. Run from the repository root:

    .venv/bin/python scripts/bench_import.py                  # a few minutes
    .venv/bin/python scripts/bench_import.py --sizes 1,5 --n 5000 --empty-mib 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import importfiles
from procstatus import status_kib

MiB = 1024 * 1024
TARGET_100K_S = 10.0
TARGET_PEAK_RATIO = 3.0


# -- in the child process ---------------------------------------------------------------


def measured(run: Callable[[], Any]) -> dict[str, Any]:
    """Wall and CPU seconds of ``run()``, and how far the peak resident size rose above the size before."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # the peak (VmHWM) starts again from the current size
        before = status_kib("VmRSS")
    except OSError:
        before = None
    if before is None:  # no /proc: the lifetime peak, less the size now
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    outcome = run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "started": started,
        "seconds": seconds,
        "cpu": cpu,
        "peak": max(0, peak - before) * 1024,
        "outcome": outcome,
    }


def child(kind: str, path: Path) -> None:
    """Run one measurement and print it as JSON (the parent starts a process for each)."""
    if kind == "reference":

        def run() -> Any:
            data = json.loads(path.read_bytes())
            return type(data).__name__

        print(json.dumps(measured(run)))
        return
    from newsmark import importing
    from newsmark.errors import Invalid
    from newsmark.store import Store

    with tempfile.TemporaryDirectory(prefix="newsmark-bench-import-") as tmp:
        store = Store(Path(tmp) / "data")  # as the server and the command open it

        def run() -> Any:
            try:
                with open(path, "rb") as fh:
                    report = importing.run_file(store, fh)
                outcome = f"{report['added']:,} added"
            except Invalid as exc:
                outcome = f"refused: {exc.message[:160]}"
            answered = time.perf_counter()
            # The data file is rewritten (compacted) in the background; the command waits for it.
            store.close()
            return {"outcome": outcome, "answered": answered}

        result = measured(run)
        result.update(result.pop("outcome"))
        result["closed"] = result["seconds"]
        result["seconds"] = result.pop("answered") - result["started"]
        print(json.dumps(result))


# -- in the parent ----------------------------------------------------------------------


@dataclass
class Row:
    label: str
    size: int
    imported: dict[str, Any]
    reference: dict[str, Any]


def in_child(kind: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the {kind} of {path.name} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def mib(size: float) -> str:
    return f"{size / MiB:,.1f} MiB"


def print_table(rows: list[Row]) -> None:
    print(
        f"{'file':34} {'size':>10} {'import':>9} {'× ref':>6} {'closed':>8} {'cpu':>8} {'peak':>11}"
        f" {'× size':>7} {'ref time':>9} {'ref peak':>11}  outcome"
    )
    for row in rows:
        imp, ref = row.imported, row.reference
        times = f"{imp['seconds']:8.2f}s {imp['seconds'] / ref['seconds']:5.1f}× {imp['closed']:7.2f}s"
        times += f" {imp['cpu']:7.2f}s"
        peaks = f"{mib(imp['peak']):>11} {imp['peak'] / row.size:6.1f}×"
        reference = f"{ref['seconds']:8.2f}s {mib(ref['peak']):>11}"
        print(f"{row.label:34} {mib(row.size):>10} {times} {peaks} {reference}  {imp['outcome']}")


def print_targets(rows: list[Row], n: int) -> None:
    print("targets:")
    for row in rows:
        if row.label.startswith(f"{n:,} annotations"):
            took = row.imported["seconds"]
            ok = "met" if took <= TARGET_100K_S or n != 100_000 else "MISSED"
            print(f"  {row.label}: {took:.2f} s (target at 100,000: ≤ {TARGET_100K_S:.0f} s) {ok}")
    imported = [r for r in rows if not r.imported["outcome"].startswith("refused")]
    worst = max(imported, key=lambda r: r.imported["peak"] / r.size)
    ratio = worst.imported["peak"] / worst.size
    ok = "met" if ratio <= TARGET_PEAK_RATIO else "MISSED"
    print(f"  peak memory at most {TARGET_PEAK_RATIO:.0f}× the file imported: the most is {ratio:.1f}×"
          f" ({worst.label}) {ok}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,50,200", help="JSON export sizes in MiB, comma-separated")
    parser.add_argument("--n", type=int, default=100_000, help="annotations in the timed JSON and W3C files")
    parser.add_argument("--articles", type=int, default=1_000, help="articles the annotations are on")
    parser.add_argument("--empty-mib", type=float, default=0.57, help="MiB of {} to refuse")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0

    print(
        f"newsmark import; {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()}"
        " CPUs; reference: json.loads of the same file, read whole, in the same run"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="newsmark-bench-import-") as tmp:
        files: list[tuple[str, Path]] = []
        for size in (float(s) for s in args.sizes.split(",") if s.strip()):
            count = importfiles.count_for_bytes("json", int(size * MiB), args.articles)
            path = Path(tmp) / f"export-{size}.json"
            progress(f"writing a JSON export of about {size:g} MiB ({count:,} annotations)")
            importfiles.write_file(path, "json", count, articles=args.articles)
            files.append((f"JSON export, {count:,} annotations", path))
        for fmt in ("json", "w3c"):
            path = Path(tmp) / f"n.{fmt}.json"
            progress(f"writing {args.n:,} annotations as {fmt}")
            importfiles.write_file(path, fmt, args.n, articles=args.articles)
            files.append((f"{args.n:,} annotations, {'JSON export' if fmt == 'json' else 'W3C'}", path))
        path = Path(tmp) / "empty.json"
        importfiles.empty_objects_file(path, int(args.empty_mib * MiB))
        files.append((f"{args.empty_mib:g} MiB of {{}} (refused)", path))
        for label, path in files:
            progress(f"importing {label}")
            size = path.stat().st_size
            rows.append(Row(label, size, in_child("import", path), in_child("reference", path)))
            path.unlink()
    print_table(rows)
    print_targets(rows, args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
