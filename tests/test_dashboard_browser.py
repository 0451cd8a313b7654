"""The dashboard as a manager sees it: `sikit dashboard` served by Voila, driven in headless Chromium.

One server on a `sikit run` of the committed sample, one page shared by the
tests below (they run in file order and build on each other: render, tabs,
filter, language, downloads); a second server on a poisoned copy of the data
for HTML escaping. Every request the page makes must stay on the server.

Uses Debian's /usr/bin/chromium (`make system-deps`) through Playwright;
Playwright's own browser download does not work where there is no internet.
With ``SIKIT_SCREENSHOTS=DIR`` (`make screenshots`) the screenshots of every
view (the four tabs, and the loop's four steps) are written to DIR (the README's docs/screenshots) instead of a temporary folder.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from sikit._serve import start_background, stop_background

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[dev]')")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data/sample"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"]
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MASKED_PHONE = re.compile(r"1[3-9]\d\*{4}\d{4}")
XSS = '<img src=x onerror="window.__sikit_xss=1">'
BOLD = "<b>bold</b>"
TABS = {"zh": ["总览", "运营闭环", "客户分层", "复购预测"], "en": ["Overview", "The loop", "Layers", "Repurchase"]}
SUBTABS = {"zh": ["引流与转化", "裂变", "复购与留存", "社群"],
           "en": ["Acquisition & conversion", "Fission", "Repurchase & retention", "Groups"]}
# Every view: (top tab, the loop's sub-tab or None, the app's view id, screenshot).
VIEWS = [(0, None, "overview", "overview.png"), (1, 0, "acquisition", "loop.png"),
         (1, 1, "fission", "loop_fission.png"), (1, 2, "cohort", "loop_cohort.png"),
         (1, 3, "groups", "loop_groups.png"), (2, None, "layers", "layers.png"),
         (3, None, "repurchase", "repurchase.png")]
KPI_VALUES = ".sikit-app .sikit-kpi .sikit-kpi-value"
SERVER_TIMEOUT, RENDER_TIMEOUT = 90, 60_000


# --- the server ----------------------------------------------------------------------------------

@contextmanager
def dashboard_server(data: Path, log: Path):
    """`sikit dashboard --data DATA` on a free port; yields the URL; stops the whole process group."""
    try:
        proc, url = start_background(data, log, timeout=SERVER_TIMEOUT)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        stop_background(proc)


@pytest.fixture(scope="module")
def run_out(sample_run):
    return sample_run


@pytest.fixture(scope="module")
def server(run_out, tmp_path_factory):
    with dashboard_server(run_out, tmp_path_factory.mktemp("log") / "server.log") as url:
        yield url


# --- the browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else None,
                                          args=BROWSER_ARGS)
        except playwright_api.Error as exc:
            pytest.skip(f"no browser: neither {CHROMIUM} (make system-deps) nor a Playwright browser ({exc})")
        yield chromium
        chromium.close()


class Visit:
    """A page plus every URL it requested (HTTP and websockets)."""

    def __init__(self, browser, url):
        self.context = browser.new_context(accept_downloads=True, locale="zh-CN",
                                           viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(RENDER_TIMEOUT)
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.goto(url)
        wait_for_kpis(self.page)

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def visit(browser, server):
    v = Visit(browser, server)
    yield v
    v.close()


@pytest.fixture(scope="module")
def page(visit):
    return visit.page


def wait_for_kpis(page, differ_from: list[str] | None = None) -> list[str]:
    """The 7 KPI values once all are non-empty (and, if given, different from ``differ_from``)."""
    page.wait_for_function(
        """([sel, before]) => {
            const v = [...document.querySelectorAll(sel)].map(e => e.innerText.trim());
            return v.length === 7 && v.every(t => t) && (!before || JSON.stringify(v) !== JSON.stringify(before));
        }""", arg=[KPI_VALUES, differ_from], timeout=RENDER_TIMEOUT)
    return kpi_texts(page)


def kpi_texts(page) -> list[str]:
    return [t.strip() for t in page.locator(KPI_VALUES).all_inner_texts()]


def tab_bar(page, which: str = "sikit-tabs"):
    """The top tabs (``sikit-tabs``) or the loop's steps (``sikit-subtabs``)."""
    tabs = page.locator(f".{which} > .lm-TabBar .lm-TabBar-tab")
    return tabs if tabs.count() else page.locator(f".{which} > .p-TabBar .p-TabBar-tab")


def open_view(page, index: int, sub: int | None, view: str) -> None:
    """Open top tab ``index`` (and the loop's sub-tab ``sub``) and wait until the app says that
    ``view`` is drawn for the current filters and language (its status line's data-drawn)."""
    tab_bar(page).nth(index).click()
    if sub is not None:
        tab_bar(page, "sikit-subtabs").nth(sub).click()
    page.locator(f".sikit-app .sikit-status [data-drawn~='{view}']").wait_for(state="attached",
                                                                              timeout=RENDER_TIMEOUT)
    page.wait_for_timeout(300)  # let the images of the same redraw arrive


def assert_no_full_phone(page, where: str) -> None:
    text = page.inner_text("body")
    found = FULL_PHONE.findall(text)
    assert not found, f"unmasked mobile(s) on {where}: {found[:3]}"


def full_screenshot(page, path: Path) -> None:
    """The whole tab: Voila scrolls inside #rendered_cells, so grow the viewport to its height first."""
    size = page.viewport_size
    height = page.evaluate("() => (document.getElementById('rendered_cells') || document.body).scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 8000)})
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)


def screenshot_dir(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SIKIT_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- the tests, in the order a person would click ------------------------------------------------

def test_first_render_shows_seven_kpis_with_definitions(page):
    assert page.locator(".sikit-app").count() == 1
    cards = page.locator(".sikit-app .sikit-kpi")
    assert cards.count() == 7
    for i in range(7):
        card = cards.nth(i)
        assert card.locator(".sikit-kpi-label").inner_text().strip()
        assert card.locator(".sikit-kpi-delta").count() == 1
        # the definition shows on hover: a title on the card or on the element that fills it
        title = card.evaluate("e => e.title || (e.querySelector('[title]') || {}).title || ''")
        assert len(title) > 10, f"KPI card {i} has no definition in a title attribute"
    assert [t for t in TABS["zh"]] == [t.strip() for t in tab_bar(page).all_inner_texts()]
    status = page.locator(".sikit-app .sikit-status").inner_text()
    assert "已更新" in status and re.search(r"\d", status), status


def test_filters_are_month_and_all_dropdowns(page):
    for kind in ("start", "end"):
        values = page.locator(f".sikit-filter.sikit-filter-{kind} select option").evaluate_all(
            "os => os.map(o => o.value)")
        assert values and all(re.fullmatch(r"\d{4}-\d{2}", v) for v in values), values
    for kind in ("channel", "staff", "layer"):
        options = page.locator(f".sikit-filter.sikit-filter-{kind} select option").all_inner_texts()
        assert len(options) > 1 and options[0].strip() == "全部", (kind, options[:3])


def test_all_is_shown_selected_on_first_load(page):
    """A filter set to 全部 must show 全部, not an empty box."""
    for kind in ("channel", "staff", "layer"):
        shown = page.locator(f".sikit-filter-{kind} select").evaluate(
            "s => s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].text")
        assert shown.strip() == "全部", f"{kind} filter shows {shown!r} instead of 全部 (selectedIndex -1?)"


def test_every_tab_renders_without_full_phones(page, tmp_path_factory):
    folder = screenshot_dir(tmp_path_factory)
    for index, sub, view, name in VIEWS:
        if index:
            open_view(page, index, sub, view)
        where = TABS["zh"][index] + ("" if sub is None else " / " + SUBTABS["zh"][sub])
        if index == 1:
            assert [t.strip() for t in tab_bar(page, "sikit-subtabs").all_inner_texts()] == SUBTABS["zh"]
        assert_no_full_phone(page, where)
        assert page.locator(".sikit-app .sikit-table:visible, .sikit-app img:visible").count() > 0, where
        full_screenshot(page, folder / name)
        assert (folder / name).stat().st_size > 10_000
    open_view(page, 0, None, "overview")


def test_channel_filter_changes_the_kpis(page):
    before = kpi_texts(page)
    select = page.locator(".sikit-filter-channel select")
    select.select_option(index=1)
    after = wait_for_kpis(page, differ_from=before)
    assert after != before
    status = page.locator(".sikit-app .sikit-status").inner_text()
    assert "已更新" in status
    # back to 全部: the numbers come back
    select.select_option(index=0)
    page.wait_for_function("([sel, want]) => JSON.stringify([...document.querySelectorAll(sel)]"
                           ".map(e => e.innerText.trim())) === JSON.stringify(want)",
                           arg=[KPI_VALUES, before], timeout=RENDER_TIMEOUT)


def test_language_switch_to_english(page):
    page.locator(".sikit-lang button", has_text="English").click()
    tab_bar(page).filter(has_text="Overview").first.wait_for(timeout=RENDER_TIMEOUT)
    assert [t.strip() for t in tab_bar(page).all_inner_texts()] == TABS["en"]
    page.wait_for_function("sel => /updated/i.test(document.querySelector(sel).innerText)",
                           arg=".sikit-app .sikit-status", timeout=RENDER_TIMEOUT)
    options = page.locator(".sikit-filter-channel select option").all_inner_texts()
    assert options[0].strip() == "All"
    assert_no_full_phone(page, "Overview (en)")


def _unformulaic(cell: str) -> bool:
    """No cell a spreadsheet would run: = + - @ first, except a plain negative number."""
    if not cell or cell[0] not in "=+-@":
        return True
    try:
        float(cell)
        return cell[0] == "-"
    except ValueError:
        return False


def test_target_list_downloads_are_masked_and_safe(page, tmp_path):
    open_view(page, 3, None, "repurchase")
    assert_no_full_phone(page, "Repurchase (en)")
    link = page.locator('.sikit-download a[download="targets.csv"]:visible')
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "targets.csv"
    info.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "targets.csv must start with a UTF-8 BOM (Excel on Chinese Windows)"
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(table) > 0
    cells = table.to_numpy().ravel().tolist() + list(table.columns)
    assert all(_unformulaic(c) for c in cells), [c for c in cells if not _unformulaic(c)][:5]
    assert not FULL_PHONE.search(raw.decode("utf-8-sig"))
    phone_cols = [c for c in table.columns if table[c].str.fullmatch(MASKED_PHONE.pattern).mean() > 0.5]
    assert phone_cols, f"no masked phone column in targets.csv: {list(table.columns)}"
    for col in phone_cols:
        filled = table[col][table[col] != ""]
        assert filled.str.fullmatch(r"^1[3-9]\d\*{4}\d{4}$").all(), filled[:5].tolist()

    with page.expect_download() as info:
        page.locator('.sikit-download a[download="targets.xlsx"]:visible').click()
    xlsx = tmp_path / "targets.xlsx"
    info.value.save_as(xlsx)
    sheet = pd.read_excel(io.BytesIO(xlsx.read_bytes()), dtype=str, engine="openpyxl")
    assert len(sheet) == len(table)
    assert not FULL_PHONE.search(sheet.to_csv(index=False))


def test_other_tabs_in_english_without_full_phones(page):
    for index, sub, view, _ in VIEWS:
        if index in (1, 2):
            open_view(page, index, sub, view)
            assert_no_full_phone(page, f"tab {TABS['en'][index]} {sub}")


def test_every_request_stays_on_the_server(visit, server):
    assert visit.requests
    own = server.rstrip("/")
    outside = [u for u in visit.requests
               if not (u.startswith(("data:", "blob:")) or re.match(r"(http|ws)s?://127\.0\.0\.1(:\d+)?/", u))]
    assert not outside, f"the page reached outside {own}: {outside[:5]}"


# --- HTML escaping -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def poisoned(run_out, tmp_path_factory):
    """A copy of the run folder whose contact fields and a target's staff are HTML."""
    folder = tmp_path_factory.mktemp("poisoned") / "run"
    shutil.copytree(run_out, folder)
    contacts = pd.read_parquet(folder / "contacts.parquet")
    targets = pd.read_csv(folder / "targets.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    who = contacts.index[contacts["customer_id"] == targets["customer_id"].iloc[0]][0]
    for col in ("tags", "name", "staff"):
        contacts.loc[who, col] = XSS
    contacts.loc[who, "channel"] = BOLD
    contacts.to_parquet(folder / "contacts.parquet", index=False)
    targets.loc[0, "staff"] = XSS
    targets.to_csv(folder / "targets.csv", index=False, encoding="utf-8-sig")
    return folder


def test_data_is_shown_as_text_never_as_html(browser, poisoned, tmp_path_factory):
    with dashboard_server(poisoned, tmp_path_factory.mktemp("log") / "poisoned.log") as url:
        v = Visit(browser, url)
        try:
            page = v.page
            seen = []
            for index, sub, view, _ in VIEWS:
                if index:
                    open_view(page, index, sub, view)
                assert page.evaluate("typeof window.__sikit_xss") == "undefined", f"script ran on {index} {sub}"
                assert page.locator(".sikit-app b", has_text="bold").count() == 0
                seen.append(page.inner_text("body"))
            # ipywidgets shows spaces in option labels as no-break spaces
            staff = [o.replace("\xa0", " ") for o in page.locator(".sikit-filter-staff select option").all_inner_texts()]
            channels = page.locator(".sikit-filter-channel select option").all_inner_texts()
            assert any(o.startswith("<img src=x") for o in staff), staff[:5]
            assert BOLD in channels
            # the staff column of the target list shows the text itself
            assert "<img src=x" in seen[-1]
            assert page.evaluate("typeof window.__sikit_xss") == "undefined"
        finally:
            v.close()
