"""The extension passes Mozilla's `web-ext lint` with no errors (one manifest for both browsers)."""

from __future__ import annotations

import json
import shutil
import subprocess

from helpers import ROOT

EXTENSION = ROOT / "extension"
# The warning that the Chromium service worker key is ignored by Firefox is expected: the
# manifest lists background.js both as a service worker (Chromium) and as a script (Firefox).
EXPECTED_WARNINGS = {"MANIFEST_FIELD_UNSUPPORTED"}


def test_web_ext_lint_reports_no_errors():
    web_ext = EXTENSION / "node_modules" / ".bin" / "web-ext"
    assert web_ext.exists(), "scripts/test installs web-ext (npm ci in extension/)"
    assert shutil.which("node")
    done = subprocess.run(
        [
            str(web_ext),
            "lint",
            "--source-dir",
            str(EXTENSION),
            "--output",
            "json",
            "--no-config-discovery",
            "--ignore-files",
            "node_modules/**",
            "test/**",
            "package.json",
            "package-lock.json",
            "README.md",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(done.stdout)
    assert report["errors"] == [], report["errors"]
    assert report["summary"]["errors"] == 0
    unexpected = [
        w for w in report["warnings"] if w["code"] not in EXPECTED_WARNINGS | {"UNSAFE_VAR_ASSIGNMENT"}
    ]
    assert unexpected == [], unexpected
