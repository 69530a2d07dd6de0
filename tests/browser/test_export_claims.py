"""The viewer's "Claims × actors (CSV)" button: who said what, for the claims the filters select."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from helpers import ServerProcess
from newsmark.store import Store
from v2data import CLAIM_KILLED, CLAIM_NOT_END, store_study

from .conftest import CHROMIUM, OUTPUT

pytestmark = pytest.mark.browser


@pytest.fixture
def study_server(tmp_path):
    """A real service on a data folder holding the v2 study (claims attributed to actors)."""
    folder = tmp_path / "study"
    with Store(folder) as store:
        store_study(store)
    proc = ServerProcess(folder).start()
    yield proc
    proc.stop()


def test_the_claims_button_downloads_who_said_what_for_the_filtered_claims(playwright, study_server):
    browser = playwright.chromium.launch(
        headless=True, executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
    )
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(study_server.viewer_link)
    page.select_option("select[name=annotator]", "coder-a")
    page.click("form.filters button[type=submit]")
    button = page.locator('a[data-export="Claims × actors (CSV)"]')
    assert button.inner_text() == "Claims × actors (CSV)"
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "viewer-export-claims.png"))
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert re.fullmatch(r"newsmark-claims-\d{8}T\d{6}Z\.csv", download.suggested_filename)
    rows = pd.read_csv(io.BytesIO(download.path().read_bytes()), keep_default_na=False)
    # coder-a coded two claims: one said by two actors (two rows), one said by no one (one row).
    assert sorted(rows["claim_id"]) == sorted([CLAIM_NOT_END, CLAIM_NOT_END, CLAIM_KILLED])
    said = rows[rows["claim_id"] == CLAIM_NOT_END]
    assert list(said["entity"]) == ["John Kirby", "Lloyd Austin"]
    assert list(said["actor_quote"]) == ["Kirby", "Defense Secretary Lloyd Austin"]
    assert list(rows[rows["claim_id"] == CLAIM_KILLED]["actor_id"]) == [""]
    context.close()
    browser.close()
