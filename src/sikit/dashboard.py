"""The managers' dashboard: one ipywidgets app over a folder written by ``sikit run``.

Served by ``sikit dashboard --data DIR`` through Voila (``notebooks/04_dashboard.ipynb``
is the page), and usable in JupyterLab as ``sikit.dashboard.app(DIR)``.

Voila runs the notebook in a fresh kernel for every visitor, so the heavy work
happens once, before the server starts: :func:`prepare` writes into the data
folder whatever the app needs that the pipeline did not (layers, scores, the
previous period's layers for migration). The app itself only loads files and
recomputes the loop metrics for the current filters, which takes milliseconds
on a brand's data; only the visible tab is redrawn on a filter change.

Privacy: phones are masked (``138****8000``), names partially masked
(``张**``) and customer ids replaced by keyed hashes everywhere, downloads
included, unless the app is made with ``show_pii=True`` (``sikit dashboard
--show-pii``). Every text from the data is HTML-escaped before it reaches an
HTML widget: ipywidgets inserts HTML unsanitised.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import _schema as S
from ._errors import SikitInputError
from ._load import read_clean, read_clean_extras
from ._privacy import csv_bytes, display_id, mask_name, mask_phone, mask_pii, neutralize_formulas, write_csv

__all__ = ["Dashboard", "DashboardData", "app", "load", "prepare"]

#: Environment variables through which ``sikit dashboard`` configures the kernel Voila starts.
DATA_ENV, LANG_ENV, PII_ENV = "SIKIT_DATA", "SIKIT_LANG", "SIKIT_SHOW_PII"

#: What prepare() adds to the folder: the layers one period back, with today's layer definitions.
PREVIOUS_LAYERS = "layers_previous.csv"
DASHBOARD_JSON = "dashboard.json"
#: The files the app reads besides the clean tables.
_PREPARED = ("layers.csv", "scores.csv", "targets.csv", "backtest.json", PREVIOUS_LAYERS, DASHBOARD_JSON)
#: How far back "migration since the previous period" looks.
MIGRATION_DAYS = 90
#: Rows shown in a table on the page; downloads carry every row.
TABLE_ROWS = 20
TARGET_ROWS = 50
#: First-purchase months in the cohort heatmap.
COHORTS = 12

#: The value of a filter's "All" option.
ALL = ""

_CSV_MIME = "text/csv;charset=utf-8"
_XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the data folder ---------------------------------------------------------------------------

def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={S.CUSTOMER_ID: "str"})


def _as_of(folder: Path, orders: pd.DataFrame, as_of=None) -> pd.Timestamp:
    """The day the folder describes: given, or the one the pipeline scored at, or the last order day."""
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    backtest = folder / "backtest.json"
    if backtest.is_file():
        return pd.Timestamp(json.loads(backtest.read_text("utf-8"))["cutoffs"]["as_of"])
    if orders.empty:
        raise SikitInputError(f"{folder}: no orders and no as_of: pass --as-of")
    return pd.Timestamp(orders[S.ORDER_TIME].max().date())


def prepare(data, *, as_of=None, horizon: int = 90) -> dict:
    """Compute once what the dashboard needs and ``data`` lacks; return what it wrote.

    ``data`` is a folder written by ``sikit run`` (or by ``sikit clean`` and
    later steps). Missing ``layers.csv`` / ``scores.csv`` are computed the way
    ``sikit segment`` / ``sikit score`` do; the layers :data:`MIGRATION_DAYS`
    days before ``as_of`` are computed with the same layer definitions
    (``layers_previous.csv``), and ``dashboard.json`` records the dates.
    Files already present are left alone, so a second call does nothing.
    """
    folder = Path(data)
    if all((folder / name).is_file() for name in _PREPARED):
        return {}
    from ._segment import segment

    orders, contacts = read_clean(folder)
    day = _as_of(folder, orders, as_of)
    written = {}
    if not (folder / "scores.csv").is_file():
        from ._propensity import RepurchaseModel, target_list, write_scores

        model = RepurchaseModel(horizon=horizon).fit(orders, contacts, as_of=day)
        scores = model.score(orders, contacts)
        written.update(write_scores(model, scores, folder, target_list(model, orders, contacts, scores=scores)))
    previous = day - pd.Timedelta(days=MIGRATION_DAYS)
    if not (folder / "layers.csv").is_file() or not (folder / PREVIOUS_LAYERS).is_file():
        n_layers = "auto"
        if (folder / "layers.csv").is_file():
            # Refit with the same k: the seed is fixed, so this is the layering layers.csv came from.
            n_layers = int(_read_csv(folder / "layers.csv")[S.LAYER].max()) - 1
        now = segment(orders, contacts, as_of=day, n_layers=n_layers)
        if not (folder / "layers.csv").is_file():
            written.update(now.write(folder))
        try:
            then = segment(orders, contacts, as_of=previous, layering=now.layering).layers
        except SikitInputError:  # too little history a period back: no migration view
            then = now.layers.iloc[:0]
        written["layers_previous"] = write_csv(then[[S.CUSTOMER_ID, S.LAYER, S.LAYER_NAME_ZH, S.LAYER_NAME_EN]],
                                               folder / PREVIOUS_LAYERS)
    if not (folder / DASHBOARD_JSON).is_file():
        path = folder / DASHBOARD_JSON
        path.write_text(json.dumps({"as_of": f"{day:%Y-%m-%d}", "previous_as_of": f"{previous:%Y-%m-%d}"},
                                   indent=2), encoding="utf-8")
        written["dashboard"] = path
    return written


@dataclass
class DashboardData:
    """Everything the app shows, loaded once per page view."""

    folder: Path
    as_of: pd.Timestamp
    previous_as_of: pd.Timestamp
    orders: pd.DataFrame
    contacts: pd.DataFrame | None
    layers: pd.DataFrame
    layers_previous: pd.DataFrame
    scores: pd.DataFrame
    targets: pd.DataFrame
    backtest: dict
    extras: dict = field(default_factory=dict)


def load(data) -> DashboardData:
    """Read a prepared folder (see :func:`prepare`); a clear error names what is missing."""
    folder = Path(data)
    if not folder.is_dir():
        raise SikitInputError(f"dashboard data folder {folder} not found: run `sikit run ... --out {folder}` first")
    missing = [name for name in _PREPARED if not (folder / name).is_file()]
    if missing:
        raise SikitInputError(f"{folder} lacks {', '.join(missing)}: run `sikit dashboard --data {folder}` "
                              "(it prepares the folder) or sikit.dashboard.prepare(folder) first")
    orders, contacts = read_clean(folder)
    dates = json.loads((folder / DASHBOARD_JSON).read_text("utf-8"))
    return DashboardData(
        folder=folder,
        as_of=pd.Timestamp(dates["as_of"]),
        previous_as_of=pd.Timestamp(dates["previous_as_of"]),
        orders=orders,
        contacts=contacts,
        layers=_read_csv(folder / "layers.csv"),
        layers_previous=_read_csv(folder / PREVIOUS_LAYERS),
        scores=_read_csv(folder / "scores.csv"),
        targets=_read_csv(folder / "targets.csv"),
        backtest=json.loads((folder / "backtest.json").read_text("utf-8")),
        extras=read_clean_extras(folder),
    )


# --- labels --------------------------------------------------------------------------------------

#: Every fixed label of the page, zh and en.
LABELS = {
    "title": ("私域经营看板", "Private-domain dashboard"),
    "tabs": (("总览", "运营闭环", "客户分层", "复购预测"), ("Overview", "The loop", "Layers", "Repurchase")),
    "loop_tabs": (("引流与转化", "裂变", "复购与留存", "社群"),
                  ("Acquisition & conversion", "Fission", "Repurchase & retention", "Groups")),
    "all": ("全部", "All"),
    "start": ("起始月", "From"),
    "end": ("截止月", "To"),
    "channel": ("渠道", "Channel"),
    "staff": ("员工", "Staff"),
    "layer": ("客户层", "Layer"),
    "updated": ("已更新", "updated"),
    "selected": ("已选 {n:,} 位客户", "{n:,} customers selected"),
    "period": ("周期 {start} 至 {end},对比上期 {pstart} 至 {pend};数据截至 {as_of}",
               "period {start} to {end}, against {pstart} to {pend}; data as of {as_of}"),
    "vs_previous": ("较上期", "vs previous"),
    "download": ("下载", "download"),
    "shown": ("显示前 {n:,} 行,共 {total:,} 行;下载文件含全部行。", "Showing the first {n:,} of {total:,} rows; "
              "the downloads hold every row."),
    "empty": ("当前筛选下没有数据。", "No data for these filters."),
    "unavailable": ("无法计算:{reason}", "not available: {reason}"),
    "acquisition": ("引流:各渠道每月新增客户", "Acquisition: new contacts per month by channel"),
    "funnel": ("转化:各渠道加好友后 30 天内首购", "Conversion: first purchase within 30 days of being added, by channel"),
    "fission": ("裂变:老带新", "Fission: referrals"),
    "fission_line": ("K 因子 {k},每位推荐人平均邀请 {inv} 人;周期内邀请最多的推荐人:",
                     "K-factor {k}, {inv} invitations per referrer; the period's top referrers:"),
    "cohort": ("复购:按首购月的留存", "Repurchase: retention by first-purchase month"),
    "groups": ("社群健康度", "Customer group health"),
    "no_groups": ("没有社群数据(sikit clean --group-members/--group-activity)。",
                  "No group data (sikit clean --group-members/--group-activity)."),
    "layers_as_of": ("客户分层截至 {as_of}(不随日期筛选变化;渠道、员工、客户层筛选适用)。",
                     "Layers as of {as_of} (the date filter does not apply; channel, staff and layer do)."),
    "layer_sizes": ("各层人数与消费占比", "Layer sizes and spend shares"),
    "layer_profile": ("各层画像", "Layer profiles"),
    "rfm8": ("RFM 八类客户", "The 8 RFM classes"),
    "migration": ("客户层迁移:{then} → {now}", "Layer migration: {then} → {now}"),
    "per_staff": ("按员工汇总", "Per staff member"),
    "p_dist": ("复购概率分布", "Distribution of p_repurchase"),
    "targets": ("本周建议联系的客户", "Customers to contact this week"),
    "targets_line": ("共 {n:,} 位客户:{rules}。按员工筛选即得每位员工的名单;每行给出原因。",
                     "{n:,} customers: {rules}. Filter by staff for each person's list; every row says why."),
    "backtest": ("回测({start} 至 {end},模型没有见过这段数据):我们标出的前 10% 客户,在随后 {h} 天里复购的比例是平均水平的 "
                 "{lift:.1f} 倍({top:.0%} 对比 {base:.0%})。排序质量 AUC {auc:.2f}。",
                 "Backtest ({start} to {end}, data the model had not seen): the top 10% we flag bought again "
                 "within {h} days {lift:.1f} times as often as average ({top:.0%} against {base:.0%}). "
                 "Ranking quality AUC {auc:.2f}."),
}

#: Column headers of the tables shown and downloaded.
HEADERS = {
    "customer": ("客户", "customer"), "name": ("姓名", "name"), "phone": ("手机", "phone"),
    "staff": ("负责员工", "staff"), "channel": ("渠道", "channel"), "reason": ("原因", "reason"),
    "p_repurchase": ("复购概率", "p_repurchase"), "band": ("档位", "band"),
    "recency_days": ("距上次购买(天)", "days since last purchase"), "frequency": ("购买次数", "purchases"),
    "monetary": ("累计消费", "total spend"), "top_reasons": ("依据", "why the score"),
    "invitations": ("邀请人数", "invitations"), "layer": ("层", "layer"), "layer_name": ("客户层", "layer"),
    "customers": ("人数", "customers"), "customer_share": ("人数占比", "customer share"),
    "spend_share": ("消费占比", "spend share"), "description": ("说明", "description"),
    "rfm_class": ("RFM 类别", "RFM class"), "share": ("占比", "share"),
    "group_name": ("群名称", "group"), "stage": ("阶段", "stage"), "members_now": ("当前成员", "members now"),
    "metric": ("指标", "metric"), "value": ("本期", "this period"), "previous": ("上期", "previous period"),
    "definition": ("定义", "definition"),
    "cohort": ("首购月", "first-purchase month"), "then": ("上期所在层", "layer then"), "up": ("升层", "up"), "same": ("不变", "same"),
    "down": ("降层", "down"), "lost": ("流失", "lost"), "new": ("新客户", "new"),
    "member_growth": ("成员增长", "member growth"), "joins": ("入群", "joins"), "exits": ("退群", "exits"),
    "message_change": ("发言变化", "message change"), "targets": ("建议联系人数", "customers to contact"),
}

#: The views, each drawn on its own: the top tabs, and the loop's steps as sub-tabs of "The loop".
LOOP_VIEWS = ("acquisition", "fission", "cohort", "groups")
TOP_VIEWS = ("overview", None, "layers", "repurchase")
VIEWS = ("overview", *LOOP_VIEWS, "layers", "repurchase")

#: The Overview's KPI cards: (metric id, extra params).
KPIS = ("pool_size", "new_contacts", "active_customers", "repurchase_rate", "gmv", "aov", "referral_share")
_MONEY = {"gmv", "aov", "arpu", "first_order_value", "cac", "cost_per_contact"}
_PERCENT = {"repurchase_rate", "return_rate", "referral_share", "conversion_rate", "group_exit_rate",
            "silent_member_share"}


def format_value(metric_id: str, value) -> str:
    """A metric value as a manager reads it: ``¥1,234,930``, ``63.8%``, ``1,143``.

    Examples
    --------
    >>> format_value("gmv", 1234929.57), format_value("repurchase_rate", 0.6379), format_value("buyers", 1143.0)
    ('¥1,234,930', '63.8%', '1,143')
    >>> format_value("aov", float("nan"))
    '—'
    """
    if value is None or pd.isna(value):
        return "—"
    if metric_id in _PERCENT:
        return f"{value:.1%}"
    if metric_id in _MONEY:
        return f"¥{value:,.0f}" if abs(value) >= 1000 else f"¥{value:,.2f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def format_change(metric_id: str, now, then, lang: str = "zh") -> str:
    """Change against the previous period: percentage points for rates, per cent for the rest.

    Examples
    --------
    >>> format_change("gmv", 110.0, 100.0), format_change("repurchase_rate", 0.62, 0.60, "en")
    ('+10.0%', '+2.0 pp')
    >>> format_change("gmv", 5.0, 0.0)
    '—'
    """
    if any(v is None or pd.isna(v) for v in (now, then)):
        return "—"
    if metric_id in _PERCENT:
        return f"{(now - then) * 100:+.1f} " + ("个百分点" if lang == "zh" else "pp")
    if then == 0:
        return "—"
    return f"{now / then - 1:+.1%}"


# --- pieces of the page -------------------------------------------------------------------------

def _e(value) -> str:
    """HTML-escape text from data (names, tags, channels, staff, stores, groups)."""
    return html.escape("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))


def table_html(df: pd.DataFrame, lang: str, rows: int = TABLE_ROWS, index: bool = False, mask: bool = True) -> str:
    """The first ``rows`` rows as an escaped HTML table (``sikit-table``), with a note when cut.

    Examples
    --------
    >>> import pandas as pd
    >>> "&lt;img" in table_html(pd.DataFrame({"tag": ["<img src=x>"]}), "en")
    True
    """
    zh = lang == "zh"
    if df.empty:
        return f"<p class='sikit-note'>{LABELS['empty'][0 if zh else 1]}</p>"
    shown = mask_pii(df.head(rows)) if mask else df.head(rows)
    body = shown.to_html(index=index, escape=True, border=0, classes="sikit-table", na_rep="—",
                         float_format=lambda v: f"{v:,.2f}")
    note = ""
    if len(df) > rows:
        note = f"<p class='sikit-note'>{LABELS['shown'][0 if zh else 1].format(n=rows, total=len(df))}</p>"
    return body + note


def _xlsx_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    neutralize_formulas(df).to_excel(buf, index=False, engine="openpyxl")
    return buf.getvalue()


def download_html(df: pd.DataFrame, stem: str, lang: str, mask: bool = True) -> str:
    """CSV and XLSX links whose ``href`` is a ``data:`` URI built here (Voila answers FileLink with 403).

    Examples
    --------
    >>> import pandas as pd
    >>> 'download="t.csv"' in download_html(pd.DataFrame({"a": [1]}), "t", "en")
    True
    """
    label = LABELS["download"][0 if lang == "zh" else 1]
    df = mask_pii(df) if mask else df
    links = []
    for ext, mime, payload in (("csv", _CSV_MIME, csv_bytes(df)), ("xlsx", _XLSX_MIME, _xlsx_bytes(df))):
        uri = f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"
        name = html.escape(f"{stem}.{ext}")
        links.append(f'<a class="sikit-download-link" download="{name}" href="{uri}">⬇ {label} {ext.upper()}</a>')
    return " ".join(links)


CSS = """
<style>
.sikit-app { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
.sikit-app h2 { margin: 4px 0 2px 0; font-size: 20px; }
.sikit-app h3 { margin: 14px 0 6px 0; font-size: 16px; }
.sikit-kpi { border: 1px solid #d9dee7; border-radius: 8px; padding: 6px 12px; min-width: 150px; margin: 4px;
             background: #fafbfd; }
.sikit-kpi-label { color: #4a5568; font-size: 13px; }
.sikit-kpi-value { font-size: 24px; font-weight: 600; color: #1a202c; }
.sikit-kpi-delta { font-size: 12px; color: #4a5568; }
.sikit-up { color: #2f855a; } .sikit-down { color: #c53030; }
.sikit-note, .sikit-status { color: #4a5568; font-size: 12px; }
table.sikit-table { border-collapse: collapse; font-size: 12px; }
table.sikit-table th { background: #edf2f7; text-align: left; padding: 3px 8px; }
table.sikit-table td { border-top: 1px solid #e2e8f0; padding: 3px 8px; }
a.sikit-download-link { margin-right: 12px; color: #2b6cb0; }
</style>
"""


# --- the app -------------------------------------------------------------------------------------

@dataclass
class Selection:
    """The tables behind the current filters: the customers picked by channel, staff and layer."""

    customers: int
    orders: pd.DataFrame
    contacts: pd.DataFrame | None
    layers: pd.DataFrame
    layers_previous: pd.DataFrame
    scores: pd.DataFrame
    targets: pd.DataFrame
    extras: dict


def _months(data: DashboardData) -> list[str]:
    first = data.orders[S.ORDER_TIME].min()
    if data.contacts is not None and data.contacts[S.ADDED_AT].notna().any():
        first = min(first, data.contacts[S.ADDED_AT].min()) if pd.notna(first) else data.contacts[S.ADDED_AT].min()
    last = data.as_of.to_period("M")
    first = first.tz_localize(None).to_period("M") if pd.notna(first) else last
    return [str(p) for p in pd.period_range(min(first, last), last, freq="M")]


class Dashboard:
    """The dashboard app: filters, a zh/en switch and four tabs over a :class:`DashboardData`.

    Parameters
    ----------
    data : DashboardData
        From :func:`load`.
    lang : {"zh", "en"}
    show_pii : bool, default False
        Show full phones, names and source ids (only when the server was
        started with ``--show-pii``).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The page (CSS class ``sikit-app``); displaying the Dashboard shows it.
    """

    def __init__(self, data: DashboardData, lang: str = "zh", show_pii: bool = False):
        import ipywidgets as W

        if lang not in ("zh", "en"):
            raise SikitInputError(f"lang must be 'zh' or 'en', got {lang!r}")
        self.data, self.lang, self.show_pii = data, lang, bool(show_pii)
        self._W = W
        self._busy = False
        self._redraws = 0
        self._contact_by_id = None
        self._drawn: list[str] = []
        self._dirty = set(VIEWS)
        months = _months(data)
        end = months[-1]
        start = months[max(0, len(months) - 3)]
        contacts = data.contacts
        self._channels = [] if contacts is None else sorted(contacts[S.CHANNEL].dropna().astype(str).unique())
        self._staff = ([] if contacts is None or S.STAFF not in contacts.columns
                       else sorted(contacts[S.STAFF].dropna().astype(str).unique()))
        self._layer_names = (data.layers.drop_duplicates(S.LAYER).set_index(S.LAYER)
                             [[S.LAYER_NAME_ZH, S.LAYER_NAME_EN]].sort_index())

        def dropdown(kind, options, value):
            w = W.Dropdown(options=options, value=value, layout=W.Layout(width="210px"))
            w.add_class("sikit-filter")
            w.add_class(f"sikit-filter-{kind}")
            w.observe(self._on_filter, names="value")
            return w

        self.start = dropdown("start", months, start)
        self.end = dropdown("end", months, end)
        # "All" is the value "", not None: ipywidgets shows a None value as no selection.
        self.channel = dropdown("channel", [("", ALL)], ALL)
        self.staff = dropdown("staff", [("", ALL)], ALL)
        self.layer = dropdown("layer", [("", ALL)], ALL)
        self.lang_switch = W.ToggleButtons(options=[("中文", "zh"), ("English", "en")], value=lang,
                                           style={"button_width": "80px"})
        self.lang_switch.add_class("sikit-lang")
        self.lang_switch.observe(self._on_lang, names="value")
        self.header = W.HTML()
        self.status = W.HTML()
        self.status.add_class("sikit-status")
        self.pages = {view: W.VBox() for view in VIEWS}
        # The loop's steps are sub-tabs: each draws alone, so a filter change redraws one step's charts.
        self.loop_tabs = W.Tab(children=[self.pages[v] for v in LOOP_VIEWS])
        self.loop_tabs.add_class("sikit-subtabs")
        self.tabs = W.Tab(children=[self.pages["overview"], self.loop_tabs, self.pages["layers"],
                                    self.pages["repurchase"]])
        self.tabs.add_class("sikit-tabs")
        for tabs in (self.tabs, self.loop_tabs):
            tabs.observe(self._on_tab, names="selected_index")
        filters = W.HBox([self.start, self.end, self.channel, self.staff, self.layer],
                         layout=W.Layout(flex_flow="row wrap"))
        self.widget = W.VBox([W.HTML(CSS), W.HBox([self.header, self.lang_switch],
                                                   layout=W.Layout(justify_content="space-between")),
                              filters, self.status, self.tabs])
        self.widget.add_class("sikit-app")
        self._relabel()
        self.refresh()

    # -- labels and events

    def _t(self, key: str) -> str:
        return LABELS[key][0 if self.lang == "zh" else 1]

    def _h(self, key: str) -> str:
        return HEADERS[key][0 if self.lang == "zh" else 1]

    def _relabel(self) -> None:
        """Every fixed label in the current language (filter values are kept)."""
        self._busy = True
        try:
            every = self._t("all")
            for w, key, values in ((self.channel, "channel", self._channels), (self.staff, "staff", self._staff)):
                value = w.value
                w.options = [(every, ALL), *[(v, v) for v in values]]
                w.value = value
                w.description = self._t(key)
            col = S.LAYER_NAME_ZH if self.lang == "zh" else S.LAYER_NAME_EN
            value = self.layer.value
            self.layer.options = [(every, ALL), *[(f"{k} · {row[col]}", int(k))
                                                   for k, row in self._layer_names.iterrows()]]
            self.layer.value = value
            self.layer.description = self._t("layer")
            self.start.description, self.end.description = self._t("start"), self._t("end")
            for w in (self.start, self.end, self.channel, self.staff, self.layer):
                w.style.description_width = "56px"
            self.tabs.titles = self._t("tabs")
            self.loop_tabs.titles = self._t("loop_tabs")
        finally:
            self._busy = False

    def _on_filter(self, change) -> None:
        if not self._busy:
            self.refresh()

    def _on_lang(self, change) -> None:
        self.lang = change["new"]
        self._relabel()
        self.refresh()

    def visible_view(self) -> str:
        """The view in sight: a top tab, or the loop's open sub-tab."""
        top = self.tabs.selected_index or 0
        return LOOP_VIEWS[self.loop_tabs.selected_index or 0] if top == 1 else TOP_VIEWS[top]

    def _on_tab(self, change) -> None:
        view = self.visible_view()
        if view in self._dirty:
            self._render(view)

    def set_filters(self, *, start=None, end=None, channel=None, staff=None, layer=None) -> Dashboard:
        """Set several filters at once (one redraw); ``"all"`` clears channel, staff or layer."""
        self._busy = True
        try:
            for w, v in ((self.start, start), (self.end, end), (self.channel, channel), (self.staff, staff),
                         (self.layer, layer)):
                if v is not None:
                    w.value = ALL if v == "all" else v
        finally:
            self._busy = False
        self.refresh()
        return self

    # -- data behind the filters

    def period(self) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, pd.Timestamp]:
        """(start, end, previous start, previous end): whole months, the end clipped to as_of."""
        first, last = sorted([pd.Period(self.start.value, "M"), pd.Period(self.end.value, "M")])
        n = last.ordinal - first.ordinal + 1
        end = min(last.end_time.normalize(), self.data.as_of)
        return first.start_time, end, (first - n).start_time, (first - 1).end_time.normalize()

    def selection(self) -> Selection:
        d = self.data
        ids = None
        if d.contacts is not None:
            for col, value in ((S.CHANNEL, self.channel.value), (S.STAFF, self.staff.value)):
                if value != ALL:
                    picked = d.contacts.loc[d.contacts[col].astype("str") == value, S.CUSTOMER_ID]
                    ids = set(picked) if ids is None else ids & set(picked)
        if self.layer.value != ALL:
            picked = d.layers.loc[d.layers[S.LAYER] == self.layer.value, S.CUSTOMER_ID]
            ids = set(picked) if ids is None else ids & set(picked)
        if ids is None:
            known = d.layers[S.CUSTOMER_ID]
            return Selection(len(known), d.orders, d.contacts, d.layers, d.layers_previous, d.scores, d.targets,
                             dict(d.extras))
        keep = pd.Index(sorted(ids), dtype="object")

        def pick(df):
            return None if df is None else df[df[S.CUSTOMER_ID].isin(keep)]

        extras = dict(d.extras)
        for key in ("members", "activity", "deletions"):
            extras[key] = pick(extras.get(key))
        if extras.get("costs") is not None:
            # Spend is known per channel only: with a channel picked, that channel's spend;
            # with staff or layer picked, no spend can be attributed.
            costs = extras["costs"]
            if self.staff.value != ALL or self.layer.value != ALL:
                extras["costs"] = None
            elif self.channel.value != ALL:
                extras["costs"] = costs[costs[S.CHANNEL].astype("str") == self.channel.value]
        return Selection(len(keep), pick(d.orders), pick(d.contacts), pick(d.layers), pick(d.layers_previous),
                         pick(d.scores), pick(d.targets), extras)

    def _metric(self, metric_id: str, sel: Selection, start, end, by=None):
        """A registry metric for the selection: its table, or the reason it cannot be computed."""
        from .metrics import REGISTRY, compute

        given = {"as_of": self.data.as_of, **sel.extras}
        params = {k: v for k, v in given.items() if k in REGISTRY[metric_id].params and v is not None}
        try:
            return compute(metric_id, sel.orders, sel.contacts, start=start, end=end, by=by, **params), None
        except SikitInputError as exc:
            return None, str(exc)

    def kpis(self, sel: Selection | None = None) -> pd.DataFrame:
        """The Overview's numbers: this period, the previous one, the change, names and definitions."""
        from .metrics import REGISTRY

        sel = self.selection() if sel is None else sel
        start, end, pstart, pend = self.period()
        rows = []
        for metric_id in KPIS:
            m = REGISTRY[metric_id]
            now, why = self._metric(metric_id, sel, start, end)
            then, _ = self._metric(metric_id, sel, pstart, pend)
            value = np.nan if now is None else float(now["value"].iloc[0])
            previous = np.nan if then is None else float(then["value"].iloc[0])
            rows.append({"id": metric_id, "name": m.name_zh if self.lang == "zh" else m.name_en,
                         "value": value, "previous": previous,
                         "change": format_change(metric_id, value, previous, self.lang),
                         "definition": m.definition_zh if self.lang == "zh" else m.definition_en,
                         "note": why})
        return pd.DataFrame(rows)

    # -- drawing

    def refresh(self) -> None:
        """Redraw after a filter or language change: the visible tab now, the others when opened."""
        self._dirty = set(VIEWS)
        start, end, pstart, pend = self.period()
        self.header.value = (f"<h2>{self._t('title')}</h2><div class='sikit-note'>"
                             + _e(self._t("period").format(start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}",
                                                           pstart=f"{pstart:%Y-%m-%d}", pend=f"{pend:%Y-%m-%d}",
                                                           as_of=f"{self.data.as_of:%Y-%m-%d}"))
                             + "</div>")
        self._sel = self.selection()
        self._redraws += 1
        self._drawn = []
        self._render(self.visible_view())

    def _update_status(self) -> None:
        # For browsers and tests: data-redraw counts filter/language changes, data-drawn lists the
        # views drawn since; the status is sent after a view's content, so once it names a view,
        # the page shows that view's current state.
        self.status.value = (f"<span data-redraw='{self._redraws}' data-drawn='{' '.join(self._drawn)}'>"
                             f"{self._t('updated')} · " + self._t("selected").format(n=self._sel.customers)
                             + (" · PII" if self.show_pii else "") + "</span>")

    def _render(self, view: str) -> None:
        self.pages[view].children = getattr(self, f"_{view}")(self._sel)
        self._dirty.discard(view)
        self._drawn.append(view)
        self._update_status()

    def _html(self, text: str):
        return self._W.HTML(text)

    def _heading(self, key: str, **fmt):
        return self._html(f"<h3>{_e(self._t(key).format(**fmt))}</h3>")

    def _image(self, fig):
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        dpi = 96
        fig.savefig(buf, format="png", dpi=dpi)
        width = int(round(fig.get_size_inches()[0] * dpi))
        plt.close(fig)
        # At its own pixel width: stretched to the page, a chart turns blurry and heavy.
        return self._W.Image(value=buf.getvalue(), format="png",
                             layout=self._W.Layout(width=f"{width}px", max_width="100%", height="auto"))

    def _table(self, df: pd.DataFrame, stem: str, rows: int = TABLE_ROWS, index: bool = False) -> list:
        mask = not self.show_pii
        download = self._html(download_html(df.reset_index() if index else df, stem, self.lang, mask=mask))
        download.add_class("sikit-download")
        return [self._html(table_html(df, self.lang, rows, index=index, mask=mask)), download]

    def _unavailable(self, reason: str):
        return self._html(f"<p class='sikit-note'>{_e(self._t('unavailable').format(reason=reason))}</p>")

    def _overview(self, sel: Selection) -> list:
        W = self._W
        table = self.kpis(sel)
        cards = []
        for row in table.itertuples():
            delta = row.change
            hover = row.definition + (f"\n{row.note}" if isinstance(row.note, str) else "")
            cls = "sikit-up" if delta.startswith("+") else "sikit-down" if delta.startswith("-") else ""
            card = W.HTML(
                f"<div title='{_e(hover)}'><div class='sikit-kpi-label'>{_e(row.name)}</div>"
                f"<div class='sikit-kpi-value'>{_e(format_value(row.id, row.value))}</div>"
                f"<div class='sikit-kpi-delta {cls}'>{_e(self._t('vs_previous'))} {_e(delta)}</div></div>",
                tooltip=hover)
            card.add_class("sikit-kpi")
            cards.append(card)
        shown = pd.DataFrame({self._h("metric"): table["name"],
                              self._h("value"): [format_value(i, v) for i, v in zip(table["id"], table["value"])],
                              self._h("previous"): [format_value(i, v) for i, v in
                                                    zip(table["id"], table["previous"])],
                              self._t("vs_previous"): table["change"],
                              self._h("definition"): table["definition"]})
        return [W.HBox(cards, layout=W.Layout(flex_flow="row wrap")), *self._table(shown, "kpis")]

    def _acquisition(self, sel: Selection) -> list:
        from . import _plot
        from .metrics import acquisition

        start, end, _, _ = self.period()
        out = [self._heading("acquisition")]
        if sel.contacts is None:
            out.append(self._unavailable("no contacts"))
        else:
            out.append(self._image(_plot.plot_acquisition(acquisition(sel.contacts, start, end), lang=self.lang)))
        out.append(self._heading("funnel"))
        funnel, why = self._metric("conversion_rate", sel, start, end, by="channel")
        out.append(self._unavailable(why) if funnel is None else
                   self._image(_plot.plot_funnel(funnel, lang=self.lang)))
        return out

    def _fission(self, sel: Selection) -> list:
        from .metrics import top_referrers

        start, end, _, _ = self.period()
        out = [self._heading("fission")]
        k, why_k = self._metric("k_factor", sel, start, end)
        inv, _ = self._metric("invitations_per_referrer", sel, start, end)
        if k is None:
            return out + [self._unavailable(why_k)]
        out.append(self._html("<p>" + _e(self._t("fission_line").format(
            k=format_value("k_factor", float(k["value"].iloc[0])),
            inv=format_value("invitations_per_referrer", float(inv["value"].iloc[0])))) + "</p>"))
        top = top_referrers(sel.contacts, start, end, n=10).reset_index()
        return out + self._table(self._people(top, "referrer_id")[
            [self._h("customer"), self._h("name"), self._h("invitations"), self._h("channel"),
             self._h("staff")]], "top_referrers")

    def _cohort(self, sel: Selection) -> list:
        from . import _plot
        from .metrics import cohort_retention

        _, end, _, _ = self.period()
        out = [self._heading("cohort")]
        # The last 12 first-purchase months: the cohorts a manager acts on, and a chart that draws fast.
        matrix = cohort_retention(sel.orders, as_of=end, max_periods=12).tail(COHORTS)
        if matrix.empty:
            return out + [self._html(f"<p class='sikit-note'>{self._t('empty')}</p>")]
        out.append(self._image(_plot.plot_cohort(matrix, lang=self.lang)))
        shown = matrix.reset_index()
        first = shown.columns[0]
        shown = shown.astype({first: "str"}).rename(columns={first: self._h("cohort")})
        return out + self._table(shown, "cohort_retention", rows=COHORTS)

    def _groups(self, sel: Selection) -> list:
        from . import _plot
        from .metrics import group_lifecycle

        _, end, _, _ = self.period()
        lang = self.lang
        out = [self._heading("groups")]
        members, activity = sel.extras.get("members"), sel.extras.get("activity")
        if members is None or activity is None:
            return out + [self._html(f"<p class='sikit-note'>{self._t('no_groups')}</p>")]
        life = group_lifecycle(members, activity, as_of=end)
        if life.empty:
            return out + [self._html(f"<p class='sikit-note'>{self._t('empty')}</p>")]
        out.append(self._image(_plot.plot_group_health(life, lang=lang)))
        life = life.reset_index()
        shown = pd.DataFrame({self._h(col): life[src] for col, src in (
            ("group_name", S.GROUP_NAME), ("stage", "stage_zh" if lang == "zh" else "stage_en"),
            ("members_now", "members_now"), ("member_growth", "member_growth"), ("joins", "joins"),
            ("exits", "exits"), ("message_change", "message_change"))})
        return out + self._table(shown, "group_lifecycle")

    def _people(self, df: pd.DataFrame, id_col: str) -> pd.DataFrame:
        """Customer id, name and phone columns as a person may see them (pseudonymous, masked)."""
        out = df.copy()
        ids = out[id_col].astype("str")
        names = phones = pd.Series(pd.NA, index=out.index, dtype="object")
        if self.data.contacts is not None:
            if self._contact_by_id is None:  # once per page view, not on every redraw
                self._contact_by_id = self.data.contacts.drop_duplicates(S.CUSTOMER_ID).set_index(S.CUSTOMER_ID)
            first = self._contact_by_id
            if S.NAME in first.columns:
                names = ids.map(first[S.NAME])
            if S.PHONE in first.columns:
                phones = ids.map(first[S.PHONE])
        if self.show_pii:
            out[self._h("customer")], out[self._h("name")], out[self._h("phone")] = ids, names, phones
        else:
            out[self._h("customer")] = display_id(ids)
            out[self._h("name")] = mask_name(names.astype("str").where(names.notna()))
            out[self._h("phone")] = mask_phone(phones.astype("str").where(phones.notna()))
        for col in ("channel", "staff"):  # unknown without contacts
            out[self._h(col)] = out[col] if col in out.columns else pd.NA
        if "invitations" in out.columns:
            out[self._h("invitations")] = out["invitations"]
        return out

    def _layers(self, sel: Selection) -> list:
        from . import _plot
        from ._layers import layer_profile
        from ._rfm import migration, migration_summary, rfm_class_table

        zh = self.lang == "zh"
        lang = self.lang
        out = [self._html("<p class='sikit-note'>" + _e(self._t("layers_as_of").format(
            as_of=f"{self.data.as_of:%Y-%m-%d}")) + "</p>")]
        layers = sel.layers
        if layers.empty:
            return out + [self._html(f"<p class='sikit-note'>{self._t('empty')}</p>")]
        frame = layers[[S.LAYER, S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY]]
        profile = layer_profile(frame, self._layer_names)
        out += [self._heading("layer_sizes"), self._image(_plot.plot_layers(profile, lang=lang))]
        name_col = S.LAYER_NAME_ZH if zh else S.LAYER_NAME_EN
        shown = pd.DataFrame({
            self._h("layer"): profile.index, self._h("layer_name"): profile[name_col].to_numpy(),
            self._h("customers"): profile["customers"].to_numpy(),
            self._h("customer_share"): [format_value("referral_share", v) for v in profile["customer_share"]],
            self._h("spend_share"): [format_value("referral_share", v) for v in profile["spend_share"]],
            self._h("description"): profile["description_zh" if zh else "description_en"].to_numpy()})
        out += [self._heading("layer_profile"), *self._table(shown, "layer_profile")]
        buyers = layers[layers[S.FREQUENCY] > 0]
        classes = rfm_class_table(buyers)
        shown = pd.DataFrame({self._h("rfm_class"): classes[S.RFM_CLASS_ZH if zh else S.RFM_CLASS_EN],
                              self._h("customers"): classes["customers"],
                              self._h("share"): [format_value("referral_share", v) for v in classes["share"]]})
        out += [self._heading("rfm8"), *self._table(shown, "rfm_classes")]
        then = sel.layers_previous
        out.append(self._heading("migration", then=f"{self.data.previous_as_of:%Y-%m-%d}",
                                 now=f"{self.data.as_of:%Y-%m-%d}"))
        if then.empty:
            out.append(self._html(f"<p class='sikit-note'>{self._t('empty')}</p>"))
        else:
            table = migration(then, layers, by=name_col)
            out.append(self._image(_plot.plot_migration(table, lang=lang)))
            summary = migration_summary(table)
            summary.index.name = self._h("then")
            out += self._table(summary.rename(columns={c: self._h(c) for c in summary.columns}), "migration",
                               index=True)
        return out

    def _repurchase(self, sel: Selection) -> list:
        from . import _plot
        from ._propensity import BANDS_EN, TARGET_RULES

        zh = self.lang == "zh"
        bt = self.data.backtest
        chosen = bt["models"][bt["chosen"]]
        window = bt["cutoffs"]["backtest_window"]
        lift, base = chosen["top_decile_lift"], chosen["base_rate"]
        sentence = self._t("backtest").format(start=window[0], end=window[1], h=bt["horizon_days"], lift=lift,
                                              top=min(1.0, lift * base), base=base, auc=chosen["roc_auc"])
        out = [self._html(f"<p><b>{_e(sentence)}</b></p>"), self._heading("p_dist")]
        if sel.scores.empty:
            out.append(self._html(f"<p class='sikit-note'>{self._t('empty')}</p>"))
        else:
            out.append(self._image(_plot.plot_propensity(sel.scores, lang=self.lang)))
        targets = sel.targets
        rules = "; ".join(f"{(targets['rule'] == rule).sum():,} × "
                          + (zh_text.format(d=30) if zh else en_text.format(d=30))
                          for rule, (zh_text, en_text) in TARGET_RULES.items())
        out += [self._heading("targets"),
                self._html("<p>" + _e(self._t("targets_line").format(n=len(targets), rules=rules)) + "</p>")]
        people = self._people(targets.rename(columns={S.STAFF: "staff"}), S.CUSTOMER_ID)
        if not self.show_pii and "phone_masked" in targets.columns:
            people[self._h("phone")] = targets["phone_masked"].to_numpy()
        people[self._h("reason")] = targets["reason_zh" if zh else "reason_en"].to_numpy()
        people[self._h("p_repurchase")] = targets["p_repurchase"].round(3).to_numpy()
        people[self._h("band")] = targets["band"].map(lambda b: b if zh else BANDS_EN.get(b, b)).to_numpy()
        for col in ("recency_days", "frequency"):
            people[self._h(col)] = targets[col].astype("Int64").to_numpy()
        people[self._h("monetary")] = targets["monetary"].to_numpy()
        people[self._h("top_reasons")] = targets["top_reasons" if zh else "top_reasons_en"].to_numpy()
        cols = [self._h(c) for c in ("customer", "name", "phone", "staff", "reason", "p_repurchase", "band",
                                     "recency_days", "frequency", "monetary", "top_reasons")]
        out += self._table(people[cols], "targets", rows=TARGET_ROWS)
        # Who has how many to contact: the manager's view of the same list.
        per_staff = (people[self._h("staff")].fillna("—").value_counts().rename_axis(self._h("staff"))
                     .rename(self._h("targets")).reset_index())
        out += [self._heading("per_staff"), *self._table(per_staff, "targets_by_staff")]
        return out

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def app(data=None, *, lang: str | None = None, show_pii: bool | None = None) -> Dashboard:
    """The dashboard over a prepared folder; defaults come from ``sikit dashboard``'s environment.

    ``data`` defaults to ``$SIKIT_DATA``, ``lang`` to ``$SIKIT_LANG`` (else
    zh) and ``show_pii`` to ``$SIKIT_SHOW_PII == "1"``.
    """
    data = data if data is not None else os.environ.get(DATA_ENV)
    if not data:
        raise SikitInputError(f"no data folder: pass one or set {DATA_ENV} (sikit dashboard --data DIR does)")
    lang = lang or os.environ.get(LANG_ENV) or "zh"
    show_pii = os.environ.get(PII_ENV) == "1" if show_pii is None else show_pii
    return Dashboard(load(data), lang=lang, show_pii=show_pii)
