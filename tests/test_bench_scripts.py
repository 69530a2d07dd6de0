"""The benchmark scripts still run (on tiny stores, so they cannot rot); their figures are not judged."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from helpers import ROOT
from newsmark import export


def run_script(*argv: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMARK_")}
    # This checkout's newsmark, whatever the virtual environment has installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "server"), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_bench_export_prints_every_format():
    done = run_script("scripts/bench_export.py", "--n", "300", "--runs", "1", "--sizes", "100,300")
    assert done.returncode == 0, done.stderr
    table = done.stdout
    for fmt in export.FORMATS:
        for state in ("fresh", "parsed"):
            assert re.search(rf"^{fmt} +{state} +\d", table, re.MULTILINE), (fmt, state, table)
    assert "JSON export at the store level" in table and "memory flatness" in table


def test_bench_export_json_output():
    done = run_script("scripts/bench_export.py", "--n", "200", "--runs", "1", "--sizes", "200", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["n"] == 200
    assert {(m["fmt"], m["state"]) for m in result["exports"]} == {
        (fmt, state) for fmt in export.FORMATS for state in ("fresh", "parsed")
    }
    assert {r["fmt"] for r in result["references"]} == set(export.FORMATS)
    assert all(m["out_bytes"] > 0 and len(m["ref_ratios"]) == 2 for m in result["exports"])


def test_bench_store_runs_on_a_tiny_store():
    done = run_script("scripts/bench_store.py", "--quick", "--sizes", "200", "--no-http")
    assert done.returncode == 0, done.stderr
    assert "200 annotations" in done.stdout and "export all" in done.stdout


def test_bench_viewer_runs_on_a_tiny_store():
    done = run_script("scripts/bench_viewer.py", "--n", "300", "--runs", "1")
    assert done.returncode == 0, done.stderr
    for label in (
        "annotations, newest first", "search in quotes and notes", "search, a word in most",
        "search, 200 non-ASCII characters", "API search", "article page", "charts",
    ):  # fmt: skip
        assert re.search(rf"^{label}.* +\d", done.stdout, re.MULTILINE), (label, done.stdout)
    assert "after an edit" in done.stdout and "the first search after an edit" in done.stdout
    assert "target 300 ms at 100,000: not judged" in done.stdout  # judged at 100,000 only


def test_bench_import_prints_times_and_memory_against_the_reference():
    small = ("--sizes", "0.3,0.6", "--n", "400", "--empty-mib", "0.05", "--articles", "20")
    done = run_script("scripts/bench_import.py", *small)
    assert done.returncode == 0, done.stderr
    table = done.stdout
    assert "reference: json.loads of the same file" in table
    row = r".* \d+\.\d\ds +\d+\.\d× .* MiB +\d+\.\d× .*"
    for label in ("JSON export, ", "400 annotations, JSON export", "400 annotations, W3C"):
        assert re.search(rf"^{label}{row} added$", table, re.MULTILINE), (label, table)
    refused = r"^0\.05 MiB of \{\} \(refused\) .*refused: The file cannot be imported"
    assert re.search(refused, table, re.MULTILINE), table
    assert "peak memory at most 3× the file imported" in table


def test_bench_migration_runs_on_a_tiny_folder():
    done = run_script("scripts/bench_migration.py", "--n", "300", "--kinds", "news,long")
    assert done.returncode == 0, done.stderr
    for kind in ("news", "long"):
        assert re.search(rf"^{kind} +\d+\.\d +\d+ .*judged at 100,000 only$", done.stdout, re.MULTILINE), (
            done.stdout
        )
