"""The dashboard app in process: its numbers are the registry's, filters and the language switch
reach every view, nothing private or unescaped reaches the page, downloads open in Excel.

The same app in a real browser behind Voila: tests/test_dashboard_browser.py.
"""

from __future__ import annotations

import base64
import io
import re
import shutil

import pandas as pd
import pytest

from sikit import dashboard as D
from sikit.metrics import compute

FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
DATA_URI = re.compile(r'download="([^"]+)" href="data:[^;]+(?:;charset=utf-8)?;base64,([^"]+)"')
POISON = '<img src=x onerror="window.__sikit_xss=1">'


@pytest.fixture(scope="module")
def folder(sample_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("dash") / "data"
    shutil.copytree(sample_run, out)
    D.prepare(out)
    return out


@pytest.fixture
def dash(folder):
    return D.app(folder, lang="zh", show_pii=False)


def _widgets(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from _widgets(child)


def _render_all(d: D.Dashboard) -> str:
    """Every view drawn; the text of every HTML widget on the page."""
    for view in D.VIEWS:
        d._render(view)
    return "\n".join(w.value for w in _widgets(d.widget) if hasattr(w, "value") and isinstance(w.value, str))


def _downloads(text: str) -> dict[str, bytes]:
    return {name: base64.b64decode(payload) for name, payload in DATA_URI.findall(text)}


def test_prepare_computes_previous_layers_once_with_the_same_definitions(folder, tmp_path):
    assert D.prepare(folder) == {}  # prepared: a second call does nothing
    layers = pd.read_csv(folder / "layers.csv", encoding="utf-8-sig")
    then = pd.read_csv(folder / D.PREVIOUS_LAYERS, encoding="utf-8-sig")
    assert len(then) and set(then["layer_name_zh"]) <= set(layers["layer_name_zh"])
    # Without layers.csv, prepare refits: the seed is fixed, so the same bytes come back.
    again = tmp_path / "again"
    shutil.copytree(folder, again)
    for name in ("layers.csv", "layers_profile.csv", D.PREVIOUS_LAYERS, D.DASHBOARD_JSON):
        (again / name).unlink()
    written = D.prepare(again)
    assert {"layers", "layers_previous", "dashboard"} <= set(written)
    for name in ("layers.csv", D.PREVIOUS_LAYERS, D.DASHBOARD_JSON):
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name


def test_load_names_what_an_unprepared_folder_lacks(sample_run, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(sample_run / "orders.parquet", bare)
    with pytest.raises(D.SikitInputError, match="lacks .*layers.csv"):
        D.load(bare)
    with pytest.raises(D.SikitInputError, match="not found"):
        D.load(tmp_path / "nowhere")


def test_default_period_and_the_previous_one(dash):
    start, end, pstart, pend = dash.period()
    assert (start, end) == (pd.Timestamp("2026-08-01"), pd.Timestamp("2026-10-31"))
    assert (pstart, pend) == (pd.Timestamp("2026-05-01"), pd.Timestamp("2026-07-31"))


def test_kpis_are_the_registry_metrics_for_this_and_the_previous_period(dash, folder):
    data = D.load(folder)
    kpis = dash.kpis().set_index("id")
    assert list(kpis.index) == list(D.KPIS)
    params = {"as_of": data.as_of, "deletions": data.extras["deletions"]}
    for metric_id in D.KPIS:
        from sikit.metrics import REGISTRY
        kw = {k: v for k, v in params.items() if k in REGISTRY[metric_id].params}
        for col, (start, end) in (("value", ("2026-08-01", "2026-10-31")), ("previous", ("2026-05-01", "2026-07-31"))):
            expected = compute(metric_id, data.orders, data.contacts, start=start, end=end, **kw)["value"].iloc[0]
            assert kpis.loc[metric_id, col] == pytest.approx(expected), (metric_id, col)
    # the same GMV `sikit run` wrote for the same three months
    metrics = pd.read_csv(folder / "metrics.csv", encoding="utf-8-sig").set_index("id")
    assert kpis.loc["gmv", "value"] == pytest.approx(metrics.loc["gmv", "value"])
    assert kpis["definition"].str.len().gt(10).all()


def test_channel_filter_narrows_every_number_to_that_channel(dash, folder):
    data = D.load(folder)
    before = dash.kpis().set_index("id")["value"]
    channel = dash._channels[0]
    dash.set_filters(channel=channel)
    after = dash.kpis().set_index("id")["value"]
    by_channel = compute("new_contacts", data.orders, data.contacts, start="2026-08-01", end="2026-10-31",
                         by="channel")["value"]
    assert after["new_contacts"] == by_channel[channel]
    assert after["gmv"] < before["gmv"] and after["pool_size"] < before["pool_size"]
    picked = set(data.contacts.loc[data.contacts["channel"] == channel, "customer_id"])
    assert set(dash.selection().targets["customer_id"]) <= picked
    dash.set_filters(channel="all")
    assert dash.kpis().set_index("id")["value"].equals(before)


def test_layer_and_staff_filters_pick_their_customers(dash, folder):
    data = D.load(folder)
    dash.set_filters(layer=1)
    sel = dash.selection()
    assert set(sel.layers["layer"]) == {1} and sel.customers == int((data.layers["layer"] == 1).sum())
    staff = dash._staff[0]
    dash.set_filters(staff=staff)
    sel = dash.selection()
    mine = set(data.contacts.loc[data.contacts["staff"] == staff, "customer_id"])
    assert set(sel.layers["customer_id"]) <= mine and set(sel.layers["layer"]) == {1}


def test_only_the_visible_view_is_redrawn_on_a_filter_change(dash):
    dash.tabs.selected_index = 3
    dash.set_filters(channel=dash._channels[1])
    assert dash._dirty == set(D.VIEWS) - {"repurchase"}
    dash.tabs.selected_index = 1  # the loop: its open sub-tab, the first step
    assert dash.visible_view() == "acquisition" and "acquisition" not in dash._dirty
    dash.loop_tabs.selected_index = 2
    assert dash._dirty == {"overview", "fission", "groups", "layers"}
    assert len(dash.pages["cohort"].children) > 1


def test_the_language_switch_changes_every_fixed_label(dash):
    zh_text = _render_all(dash)
    assert "总览" in dash.tabs.titles and "复购率" in zh_text
    dash.lang_switch.value = "en"
    en_text = _render_all(dash)
    assert tuple(dash.tabs.titles) == D.LABELS["tabs"][1]
    assert tuple(dash.loop_tabs.titles) == D.LABELS["loop_tabs"][1]
    assert dash.channel.options[0][0] == "All" and dash.channel.description == "Channel"
    for key, (zh, en) in D.LABELS.items():
        if isinstance(zh, str) and "{" not in zh:
            assert zh not in en_text, key
    for zh, en in D.HEADERS.values():
        assert f"<th>{zh}</th>" not in en_text
    assert "repurchase rate" in en_text


def test_no_full_phone_on_the_page_or_in_downloads_unless_asked(folder):
    text = _render_all(D.app(folder, show_pii=False))
    files = _downloads(text)
    assert {"targets.csv", "targets.xlsx", "kpis.csv", "layer_profile.csv"} <= set(files)
    assert not FULL_PHONE.search(text)
    for name, payload in files.items():
        if name.endswith(".csv"):
            assert not FULL_PHONE.search(payload.decode("utf-8-sig")), name
        else:
            sheet = pd.read_excel(io.BytesIO(payload), dtype=str, engine="calamine")
            assert not sheet.apply(lambda c: c.str.contains(FULL_PHONE.pattern, na=False)).any().any(), name
    # --show-pii: the full phones come back, and only then
    assert FULL_PHONE.search(_render_all(D.app(folder, show_pii=True)))


def test_target_download_is_the_full_filtered_list_in_excel_friendly_csv(dash):
    dash.set_filters(staff=dash._staff[0])
    files = _downloads(_render_all(dash))
    raw = files["targets.csv"]
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
    targets = dash.selection().targets
    assert len(table) == len(targets) > 0
    phones = table["手机"].dropna()
    assert len(phones) > len(table) / 2 and phones.str.fullmatch(r"1[3-9]\d\*{4}\d{4}").all()
    assert table["客户"].str.fullmatch(r"c_[a-z]{16}").all()  # pseudonymous, not the WeCom id
    assert table["姓名"].str.contains(r"\*", regex=True).all()
    xlsx = pd.read_excel(io.BytesIO(files["targets.xlsx"]), dtype=str, engine="calamine")
    assert len(xlsx) == len(table) and list(xlsx.columns) == list(table.columns)


@pytest.fixture
def poisoned(folder, tmp_path):
    """The sample with markup and a formula in the fields staff and customers type."""
    out = tmp_path / "poisoned"
    shutil.copytree(folder, out)
    contacts = pd.read_parquet(out / "contacts.parquet")
    targets = pd.read_csv(out / "targets.csv", encoding="utf-8-sig", dtype=str)
    victim = targets["customer_id"].iloc[0]
    row = contacts["customer_id"] == victim
    contacts.loc[row, "name"] = POISON
    contacts.loc[row, "tags"] = "<b>bold</b>"
    contacts.loc[row, "staff"] = POISON
    contacts.loc[row, "channel"] = "<script>window.__sikit_xss=1</script>"
    contacts.to_parquet(out / "contacts.parquet")
    targets.loc[0, "staff"] = POISON
    targets.loc[1, "staff"] = "=HYPERLINK(\"http://x\",\"y\")"
    targets.to_csv(out / "targets.csv", index=False, encoding="utf-8-sig")
    return out


def test_text_from_data_is_escaped_and_formulas_neutralised(poisoned):
    dash = D.app(poisoned, show_pii=True)  # names unmasked: the markup itself reaches the page
    text = _render_all(dash)
    assert "<img src=x" not in text and "<script>" not in text
    assert "&lt;img src=x onerror=" in text
    csv = _downloads(text)["targets.csv"].decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv and ",=HYPERLINK" not in csv
    # the channel filter shows the markup as an option's text (a <select> never renders HTML)
    assert "<script>window.__sikit_xss=1</script>" in dash._channels


def test_orders_after_as_of_change_nothing_on_the_page(folder, tmp_path):
    later = tmp_path / "later"
    shutil.copytree(folder, later)
    orders = pd.read_parquet(later / "orders.parquet")
    extra = orders[orders["order_time"] >= orders["order_time"].max() - pd.Timedelta(days=30)].copy()
    extra["order_id"] = extra["order_id"] + "-later"
    extra["order_time"] = extra["order_time"] + pd.Timedelta(days=40)  # sample as_of is 2026-10-31
    extra = extra[extra["order_time"].dt.tz_localize(None) > pd.Timestamp("2026-11-01")]
    assert len(extra) > 100
    pd.concat([orders, extra]).to_parquet(later / "orders.parquet")
    before, after = D.app(folder), D.app(later)
    pd.testing.assert_frame_equal(before.kpis(), after.kpis())
    # XLSX files carry the time they were made: compare everything else
    xlsx = re.compile(r'href="data:application/vnd[^"]+"')
    assert xlsx.sub("", _render_all(before)) == xlsx.sub("", _render_all(after))


def test_an_orders_only_folder_is_prepared_and_shown_with_what_it_lacks_said(sample_run, tmp_path):
    bare = tmp_path / "orders_only"
    bare.mkdir()
    shutil.copy(sample_run / "orders.parquet", bare)
    written = D.prepare(bare)  # what `sikit score` and `sikit segment` would have written
    assert {"scores", "targets", "backtest", "layers", "layers_previous", "dashboard"} <= set(written)
    dash = D.app(bare)
    text = _render_all(dash)
    kpis = dash.kpis().set_index("id")
    assert kpis.loc["gmv", "value"] > 0 and pd.isna(kpis.loc["pool_size", "value"])
    assert "contacts" in kpis.loc["pool_size", "note"]
    assert dash.channel.options == (("全部", D.ALL),) and "targets.csv" in _downloads(text)
