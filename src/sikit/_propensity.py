"""Repurchase propensity: P(at least one paid order in the next ``horizon`` days), honestly backtested.

Time runs one way. For a model at ``as_of`` with horizon h, the windows are
the cutoffs ``c_k = as_of - k*h`` (k = 1, 2, ...): features at ``c_k``,
label = bought in ``(c_k, c_k + h]``, which ends at or before ``as_of``.

- Backtest: train on windows k >= 3, calibrate on k = 2, judge on k = 1
  (the last full window before ``as_of``), every candidate on the same
  customers.
- Scoring: the chosen candidate is refitted one window later (train on
  k >= 2, calibrate on k = 1) and scores the customers at ``as_of``.

Candidates: gradient boosting on the point-in-time features plus BG/NBD
outputs, a regularised logistic regression on log-RFM, their blend (the
mean of the two probabilities), and the baselines
recency-only, the RFM score (R+F+M quintiles) and BG/NBD alone (ranked by
the probability of at least one purchase in the horizon). Every candidate's
score is calibrated the same way (isotonic regression on the calibration
window). The candidate with the best backtest ROC AUC scores; when that is a
baseline, sikit says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from . import _schema as S
from ._backtest import gains_table, reliability_curve, score_metrics
from ._bgnbd import BetaGeoModel
from ._errors import SikitInputError
from ._features import _micro, _money, as_of_day, paid_orders
from ._progress import progress
from ._text import spelled

__all__ = ["RepurchaseModel", "repurchase_labels", "propensity_features", "stratified_sample", "target_list",
           "write_scores",
           "band_of", "BANDS", "BANDS_EN", "CANDIDATES", "TARGET_RULES"]

#: Candidates compared in the backtest, as (zh, en) names; the first two learn.
CANDIDATES: dict[str, tuple[str, str]] = {
    "gradient_boosting": ("梯度提升模型", "gradient boosting"),
    "logistic": ("逻辑回归", "logistic regression"),
    "blend": ("混合模型", "blend (mean of both)"),
    "bgnbd": ("BG/NBD 模型", "BG/NBD alone"),
    "rfm_score": ("RFM 评分", "RFM score"),
    "recency": ("仅看最近购买", "recency only"),
}
_LEARNED = ("gradient_boosting", "logistic", "blend")
_BLENDED = ("gradient_boosting", "logistic")
#: Scores are kept within [P_FLOOR, 1 - P_FLOOR].
P_FLOOR = 0.01
# (zh, en) labels of the propensity features that are not in sikit._features.FEATURE_NAMES;
# ``{h}`` is the model's horizon in days.
PROPENSITY_FEATURE_NAMES: dict[str, tuple[str, str]] = {
    "repeat_days": ("复购天数(有购买的天数 - 1)", "repeat purchase days"),
    "mean_gap_days": ("平均购买间隔天数", "mean days between purchases"),
    "overdue_ratio": ("距上次购买 ÷ 平均间隔", "days since last purchase ÷ mean gap"),
    "orders_last_horizon": ("近 {h} 天下单数", "orders in the last {h} days"),
    "orders_previous_horizon": ("再往前 {h} 天下单数", "orders in the {h} days before that"),
    "spend_last_horizon": ("近 {h} 天消费", "spend in the last {h} days"),
    "spend_previous_horizon": ("再往前 {h} 天消费", "spend in the {h} days before that"),
    "p_alive": ("BG/NBD 仍活跃的概率", "BG/NBD P(alive)"),
    "expected_purchases": ("BG/NBD {h} 天预计购买次数", "BG/NBD expected purchases in {h} days"),
    "p_any_bgnbd": ("BG/NBD {h} 天内购买的概率", "BG/NBD P(buy within {h} days)"),
    "channel": ("添加渠道", "channel"),
    "staff": ("跟进员工", "staff"),
    "member_tier": ("会员等级", "member tier"),
    "referred": ("是否老客推荐", "referred by a customer"),
}

# Contact attributes used as categories when present; rarer values pool as "其他".
_CATEGORIES = (S.CHANNEL, S.STAFF, S.MEMBER_TIER)
_MAX_CATEGORIES = 30


def repurchase_labels(orders: pd.DataFrame, as_of, horizon: int) -> pd.Series:
    """Customers with at least one paid order in ``(as_of, as_of + horizon]`` (local days).

    Returns a boolean Series indexed by the customer ids that bought in the
    window (all True); reindex it on the customers of interest.
    """
    start = as_of_day(as_of)
    end = start + pd.Timedelta(days=horizon)
    paid = paid_orders(orders, end)
    bought = paid.loc[paid["order_day"] > start, S.CUSTOMER_ID].unique()
    return pd.Series(True, index=pd.Index(sorted(bought), name=S.CUSTOMER_ID), name="bought")


def _is_frame(orders) -> bool:
    """pandas orders, or a file or Ibis table that an engine scans (``sikit[scale]``)."""
    return isinstance(orders, pd.DataFrame)


def _window_frame(paid: pd.DataFrame, day: pd.Timestamp, horizon: int, label: bool = False) -> pd.DataFrame:
    """The order counts of a window at ``day`` from paid orders, as :func:`sikit.features.windows_ibis` gives them.

    ``paid`` is :func:`~sikit.features.paid_orders`' output; with ``label``,
    it must reach ``day + horizon`` and ``bought`` says who bought in
    ``(day, day + horizon]``.
    """
    h = pd.Timedelta(days=horizon)
    upto = paid_orders(paid, day + h if label else day)
    seen = _micro(upto[(upto["order_day"] <= day).to_numpy()])
    g = seen.groupby(S.CUSTOMER_ID, sort=True)
    out = pd.DataFrame({
        S.FIRST_PURCHASE: g["order_day"].min(),
        S.LAST_PURCHASE: g["order_day"].max(),
        S.FREQUENCY: g.size().astype("int64"),
        "purchase_days": g["order_day"].nunique().astype("int64"),
        S.MONETARY: _money(g["_micro"].sum()),
    })
    for name, lo, hi in (("last", day - h, day), ("previous", day - 2 * h, day - h)):
        part = seen[((seen["order_day"] > lo) & (seen["order_day"] <= hi)).to_numpy()].groupby(S.CUSTOMER_ID)
        out[f"orders_{name}_horizon"] = part.size().reindex(out.index, fill_value=0).astype("int64")
        out[f"spend_{name}_horizon"] = _money(part["_micro"].sum().reindex(out.index, fill_value=0))
    if label:
        later = upto.loc[(upto["order_day"] > day).to_numpy(), S.CUSTOMER_ID].unique()
        out["bought"] = out.index.isin(later)
    return out


def _windows_of(orders, cutoffs, horizon, *, customers=None, label=False) -> list[pd.DataFrame]:
    """Window frames at each cutoff: pandas on a DataFrame, an engine (Ibis) on a file or table."""
    if not _is_frame(orders):
        from ._features_ibis import windows_ibis

        return windows_ibis(orders, cutoffs, horizon, customers=customers, label=label)
    days = [as_of_day(c) for c in cutoffs]
    paid = paid_orders(orders, max(days) + pd.Timedelta(days=horizon) if label else max(days))
    if customers is not None:
        paid = paid[paid[S.CUSTOMER_ID].isin(customers).to_numpy()]
    return [_window_frame(paid, day, horizon, label=label) for day in days]


def stratified_sample(first_purchase: pd.Series, n: int, random_state=0) -> pd.Index | None:
    """At most ``n`` customer ids, stratified by month of first purchase; None when all fit.

    Each first-purchase month (cohort) keeps its share of the customers
    (largest remainders round the quotas), so every window before ``as_of``
    sees its cohorts in proportion. The ids come back sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> first = pd.Series(pd.to_datetime(["2026-01-05"] * 6 + ["2026-02-01"] * 2), index=list("abcdefgh"))
    >>> ids = stratified_sample(first, 4)
    >>> len(ids), int(ids.isin(["g", "h"]).sum())
    (4, 1)
    """
    if len(first_purchase) <= n:
        return None
    rng = np.random.default_rng(random_state)
    month = (first_purchase.dt.year * 12 + first_purchase.dt.month).to_numpy()
    months, counts = np.unique(month, return_counts=True)
    quota = counts * (n / len(month))
    take = np.floor(quota).astype("int64")
    extra = np.argsort(-(quota - take), kind="stable")[: n - take.sum()]
    take[extra] += 1
    order = np.argsort(month, kind="stable")
    bounds = np.r_[0, np.cumsum(counts)]
    picks = [rng.choice(order[bounds[i]:bounds[i + 1]], take[i], replace=False) for i in range(len(months))]
    return first_purchase.index[np.sort(np.concatenate(picks))]


def propensity_features(orders, as_of, horizon: int, contacts: pd.DataFrame | None = None,
                        bgnbd: BetaGeoModel | None = None, *, max_bgnbd_customers: int = 100_000,
                        random_state=0) -> pd.DataFrame:
    """Point-in-time features of every customer who bought at or before ``as_of``.

    RFM and tenure, the BTYD summary in days, the mean gap between purchase
    days and how overdue the customer is against it, purchases and spend in
    the last horizon and the one before, contact attributes (channel, staff,
    membership tier, referred or not) when contacts are given, and the
    BG/NBD outputs (P(alive), expected purchases and P(any purchase) in the
    horizon) from a BG/NBD fitted on this same cutoff (on at most
    ``max_bgnbd_customers`` of its customers, a fixed random sample) or the
    one given.

    ``orders`` is a DataFrame (pandas does the work) or, with
    ``sikit[scale]``, a Parquet/CSV path or an Ibis table: an engine
    (DuckDB by default) then scans the orders and only one row per
    customer reaches pandas.
    """
    day = as_of_day(as_of)
    window, = _windows_of(orders, [day], horizon)
    return _features(window, day, horizon, contacts, bgnbd, max_bgnbd_customers, random_state)


def _features(w: pd.DataFrame, day, horizon, contacts, bgnbd, max_bgnbd_customers, random_state) -> pd.DataFrame:
    """The model's features from a window frame (:func:`_window_frame`)."""
    out = pd.DataFrame(index=w.index)
    out[S.RECENCY_DAYS] = ((day - w[S.LAST_PURCHASE]) / pd.Timedelta(days=1)).round()
    out[S.FREQUENCY] = w[S.FREQUENCY].astype("float64")
    out[S.MONETARY] = w[S.MONETARY].astype("float64")
    out[S.MONETARY_MEAN] = out[S.MONETARY] / out[S.FREQUENCY]
    out[S.DAYS_SINCE_FIRST] = ((day - w[S.FIRST_PURCHASE]) / pd.Timedelta(days=1)).round()
    # The BTYD summary in days: repeat purchase days, first to last purchase day, first purchase to as_of.
    summary = pd.DataFrame({
        "frequency": w["purchase_days"].astype("int64") - 1,
        "recency": ((w[S.LAST_PURCHASE] - w[S.FIRST_PURCHASE]) / pd.Timedelta(days=1)).round(),
        "T": out[S.DAYS_SINCE_FIRST],
    }, index=w.index)
    out["repeat_days"] = summary["frequency"].astype("float64")
    gap = summary["recency"] / summary["frequency"].where(summary["frequency"] > 0)
    out["mean_gap_days"] = gap
    out["overdue_ratio"] = out[S.RECENCY_DAYS] / gap
    for col in ("orders_last_horizon", "spend_last_horizon", "orders_previous_horizon", "spend_previous_horizon"):
        out[col] = w[col].astype("float64")
    contacts = _Contacts.of(contacts)
    if contacts is not None:
        c = contacts.lookup(out.index, (*_CATEGORIES, S.REFERRER_ID), day)
        for col in _CATEGORIES:
            if col in c.columns:
                out[col] = c[col].astype("object")
        if S.REFERRER_ID in c.columns:
            out["referred"] = c[S.REFERRER_ID].notna().astype("float64")
    model = bgnbd if bgnbd is not None else _fit_bgnbd(summary, max_bgnbd_customers, random_state)
    if model is not None:
        # A first purchase on as_of itself has T = 0, where BG/NBD's formulas take
        # their limit (a brand-new customer); a millionth of a day gets that limit.
        seen = summary.assign(T=summary["T"].clip(lower=1e-6))
        out["p_alive"] = model.p_alive(seen)
        out["expected_purchases"] = model.expected_purchases(horizon, seen)
        out["p_any_bgnbd"] = model.p_any_purchase(horizon, seen)
    return out


class _Contacts:
    """Contacts by customer id (the first row of each), prepared once for many lookups.

    A fit looks contacts up for every window, and scoring and the target
    list once more: the id index (and its hash table) is built once here.
    """

    def __init__(self, contacts: pd.DataFrame):
        index = pd.Index(contacts[S.CUSTOMER_ID])
        if not index.is_unique:
            first = ~index.duplicated()
            contacts, index = contacts[first], index[first]
        self.index = index
        self.columns = {col: contacts[col].array for col in contacts.columns if col != S.CUSTOMER_ID}
        self.added = None
        if S.ADDED_AT in contacts.columns:
            added = contacts[S.ADDED_AT]
            if isinstance(added.dtype, pd.DatetimeTZDtype):
                added = added.dt.tz_convert(S.TIMEZONE).dt.tz_localize(None)
            self.added = added.dt.normalize().to_numpy()

    @classmethod
    def of(cls, contacts) -> _Contacts | None:
        if contacts is None or isinstance(contacts, cls):
            return contacts
        return cls(contacts) if S.CUSTOMER_ID in contacts.columns else None

    def lookup(self, index: pd.Index, columns, day=None) -> pd.DataFrame:
        """``columns`` (those the contacts have) for the customers in ``index``; missing where unknown.

        With ``day``, a contact added after it is not known yet.
        """
        pos = self.index.get_indexer(index)
        if day is not None and self.added is not None:
            # NaT (no date) compares False: such a contact is not known at any day
            pos = np.where((pos >= 0) & (self.added[np.maximum(pos, 0)] <= day.to_datetime64()), pos, -1)
        return pd.DataFrame({col: pd.api.extensions.take(self.columns[col], pos, allow_fill=True)
                             for col in columns if col in self.columns}, index=index)


def _fit_bgnbd(summary: pd.DataFrame, max_customers: int = 100_000, random_state=0) -> BetaGeoModel | None:
    """BG/NBD on this cutoff's summary, or None when it cannot be fitted (the gates say why).

    Customers with T = 0 add exactly 0 to the log-likelihood, so leaving them
    out changes nothing. Four parameters need no more than ``max_customers``
    (a fixed random sample): the fit's cost then stays flat as the base grows.
    """
    summary = summary[summary["T"] > 0]
    if len(summary) > max_customers:
        rows = np.random.default_rng(random_state).choice(len(summary), max_customers, replace=False)
        summary = summary.iloc[np.sort(rows)]
    try:
        return BetaGeoModel().fit(summary)
    except SikitInputError:
        return None


@dataclass(frozen=True)
class _Window:
    cutoff: pd.Timestamp
    X: pd.DataFrame
    y: np.ndarray


class RepurchaseModel:
    """Probability that each customer buys again within ``horizon`` days of ``as_of``.

    Parameters
    ----------
    horizon : int, default 90
        Days after ``as_of`` in which a paid order counts as a repurchase.
    max_train_windows : int, default 4
        Earlier windows stacked for training (at least one is needed).
    min_customers : int, default 200
        Fewest buyers a window needs.
    min_repeaters : int, default 30
        Fewest customers who bought again in a window.
    max_customers : int, default 100_000
        Customers whose windows train, calibrate and backtest the model: all
        buyers at ``as_of`` or, when there are more, a sample of this many
        stratified by first-purchase month (:func:`stratified_sample`). The
        BG/NBD inside the features fits on at most this many too. Scoring
        covers every buyer, in batches of ``batch_size``.
    batch_size : int, default 500_000
        Customers scored at a time, so memory stays flat as the base grows.
    random_state : int, default 0

    Attributes
    ----------
    as_of_ : Timestamp
    n_customers_, n_sampled_ : int
        Buyers at ``as_of``, and how many of them the windows used.
    chosen_ : str
        The candidate that scores (a key of :data:`CANDIDATES`).
    backtest_ : DataFrame
        One row per candidate: ROC AUC, PR AUC, Brier, ECE, top-decile
        lift, on the last full window before ``as_of``.
    message_ : dict
        Why this candidate, ``{"zh": ..., "en": ...}``.
    cutoffs_ : dict
        The dates used: backtest, calibration and training cutoffs.
    reliability_, gains_ : dict of DataFrame
        Per candidate, on the backtest window: the reliability curve and the
        gains table (:mod:`sikit._backtest`).
    importance_ : DataFrame
        Permutation importance of the scoring model (drop in ROC AUC when a
        feature is shuffled), on a sample of at most 20,000 customers of the
        latest window: the one its calibrator was fitted on, which its
        learner did not train on.
    """

    def __init__(self, horizon: int = 90, *, max_train_windows: int = 4, min_customers: int = 200,
                 min_repeaters: int = 30, max_customers: int = 100_000, batch_size: int = 500_000,
                 random_state: int = 0):
        self.horizon = horizon
        self.max_train_windows = max_train_windows
        self.min_customers = min_customers
        self.min_repeaters = min_repeaters
        self.max_customers = max_customers
        self.batch_size = batch_size
        self.random_state = random_state

    # --- windows -------------------------------------------------------------------------

    def _usable(self, w: _Window) -> str | None:
        """Why a window cannot be used, or None."""
        if len(w.X) < self.min_customers:
            return f"{len(w.X)} buyers at {w.cutoff:%Y-%m-%d}, need {self.min_customers}"
        if w.y.sum() < self.min_repeaters:
            return (f"{int(w.y.sum())} customers bought again in the {self.horizon} days after "
                    f"{w.cutoff:%Y-%m-%d}, need {self.min_repeaters}")
        return None

    def _windows(self, orders, contacts, day, customers):
        h = pd.Timedelta(days=self.horizon)
        cutoffs = [day - k * h for k in range(1, self.max_train_windows + 3)]
        frames = _windows_of(orders, cutoffs, self.horizon, customers=customers, label=True)
        windows, why = [], None
        for cutoff, frame in progress(list(zip(cutoffs, frames)), desc="特征窗口 / feature windows"):
            X = _features(frame, cutoff, self.horizon, contacts, None, self.max_customers, self.random_state)
            w = _Window(cutoff, X, frame["bought"].to_numpy().astype(np.int64))
            why = self._usable(w)
            if why:
                break
            windows.append(w)
        if len(windows) < 3:
            raise SikitInputError(
                f"not enough history for a {self.horizon}-day propensity at {day:%Y-%m-%d}: it needs three "
                f"usable {self.horizon}-day windows before as_of (backtest, calibration, training), found "
                f"{len(windows)} ({why}); use a shorter --horizon, a later --as-of or more data"
            )
        return windows

    # --- candidates ----------------------------------------------------------------------

    def _learner(self, name):
        if name == "gradient_boosting":
            # Small, regularised trees: a few thousand customers per window is typical.
            return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_leaf_nodes=7,
                                                  min_samples_leaf=80, l2_regularization=1.0,
                                                  categorical_features="from_dtype",
                                                  random_state=self.random_state)
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000))

    def _design(self, name, X: pd.DataFrame) -> pd.DataFrame:
        if name == "logistic":
            cols = [S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY, S.DAYS_SINCE_FIRST, "orders_last_horizon"]
            return np.log1p(X[cols].clip(lower=0))
        D = X.copy()
        for col in _CATEGORIES:
            if col in D.columns:
                D[col] = self._categories[col].pool(D[col])
        return D

    def _fit_categories(self, X):
        self._categories = {col: _Pool.fit(X[col]) for col in _CATEGORIES if col in X.columns}

    def _raw_scores(self, name, fitted, X: pd.DataFrame) -> np.ndarray:
        if name == "blend":  # the mean of the two learners' probabilities
            return np.mean([self._raw_scores(n, f, X) for n, f in zip(_BLENDED, fitted)], axis=0)
        if name in _LEARNED:
            return fitted.predict_proba(self._design(name, X))[:, 1]
        if name == "bgnbd":
            if "p_any_bgnbd" not in X.columns:
                return np.full(len(X), np.nan)
            return X["p_any_bgnbd"].to_numpy()
        if name == "recency":
            return -X[S.RECENCY_DAYS].to_numpy()
        # RFM score: quintile scores 1..5, recency reversed; ranks break ties by order.
        r = _quintile(-X[S.RECENCY_DAYS])
        f = _quintile(X[S.FREQUENCY])
        m = _quintile(X[S.MONETARY])
        return (r + f + m).astype("float64")

    def _fit_candidate(self, name, train: list[_Window]):
        if name not in _LEARNED:
            return None
        if name == "blend":
            return tuple(self._fitted_learners.get(n) or self._fit_candidate(n, train) for n in _BLENDED)
        X = pd.concat([w.X for w in train])
        y = np.concatenate([w.y for w in train])
        return self._learner(name).fit(self._design(name, X), y)

    def _calibrate(self, name, fitted, calib: _Window):
        raw = self._raw_scores(name, fitted, calib.X)
        if np.isnan(raw).any():
            return None
        return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, calib.y)

    def _run(self, names, train, calib):
        """Fit, then calibrate, each candidate: {name: (fitted, calibrator)}."""
        self._fit_categories(pd.concat([w.X for w in train]))
        out, self._fitted_learners = {}, {}
        for name in progress(names, desc="候选模型 / candidates"):
            fitted = self._fit_candidate(name, train)
            if name in _BLENDED:
                self._fitted_learners[name] = fitted  # the blend reuses them
            calibrator = self._calibrate(name, fitted, calib)
            if calibrator is not None:
                out[name] = (fitted, calibrator)
        return out

    # --- public ----------------------------------------------------------------------------

    def fit(self, orders: pd.DataFrame, contacts: pd.DataFrame | None = None, *, as_of) -> RepurchaseModel:
        """Backtest every candidate, choose, and refit the chosen one up to ``as_of``."""
        # One thread, as in Layering: identical results on any machine, and no
        # OpenMP oversubscription when the box is busy (it slowed fits 3-fold here).
        with threadpool_limits(limits=1):
            return self._fit(orders, contacts, as_of)

    def _fit(self, orders, contacts, as_of):
        day = as_of_day(as_of)
        if not (isinstance(self.horizon, int | np.integer) and self.horizon >= 1):
            raise SikitInputError(f"horizon must be a whole number of days >= 1, got {self.horizon!r}")
        self._at_as_of = None
        if _is_frame(orders):
            # Filter and date the paid orders once: every window below only cuts them
            # (and nothing after as_of can reach a feature or a label).
            orders = paid_orders(orders, day)
            # Only first purchases here: the full features at as_of are built when scoring.
            first = orders.groupby(S.CUSTOMER_ID, sort=True)["order_day"].min()
        else:
            # An engine scan costs about the same for first purchases as for the whole window
            # at as_of, which scoring needs next: keep it for score() on the same orders.
            at_as_of, = _windows_of(orders, [day], self.horizon)
            first = at_as_of[S.FIRST_PURCHASE]
            self._at_as_of = (orders, day, at_as_of)
        buyers = len(first)
        if buyers < self.min_customers:
            raise SikitInputError(
                f"too few customers for a propensity: {buyers} bought at or before {day:%Y-%m-%d}, "
                f"need {self.min_customers}"
            )
        # Every window uses the same customers: all buyers at as_of, or a bounded sample of them.
        self.n_customers_, sample = buyers, stratified_sample(first, self.max_customers, self.random_state)
        self.n_sampled_ = buyers if sample is None else len(sample)
        windows = self._windows(orders, self._contacts_for(contacts), day, sample)
        test, calib, train = windows[0], windows[1], windows[2:]
        runs = self._run(CANDIDATES, train, calib)
        rows, self.reliability_, self.gains_ = [], {}, {}
        for name, (fitted, calibrator) in runs.items():
            p = calibrator.predict(self._raw_scores(name, fitted, test.X))
            rows.append({"model": name, **score_metrics(test.y, p)})
            self.reliability_[name] = reliability_curve(test.y, p)
            self.gains_[name] = gains_table(test.y, p)
        self.backtest_ = pd.DataFrame(rows).set_index("model")
        self.chosen_, self.message_ = self._choose(self.backtest_)

        # Refit the chosen candidate one window later and keep it for scoring.
        (fitted, calibrator), = self._run([self.chosen_], windows[1:], windows[0]).values()
        self._fitted, self._calibrator = fitted, calibrator
        self.importance_ = self._importance(windows[0])
        self.as_of_ = day
        self.cutoffs_ = {
            "as_of": f"{day:%Y-%m-%d}",
            "backtest_window": [f"{test.cutoff:%Y-%m-%d}", f"{day:%Y-%m-%d}"],
            "backtest_calibration_cutoff": f"{calib.cutoff:%Y-%m-%d}",
            "backtest_training_cutoffs": [f"{w.cutoff:%Y-%m-%d}" for w in train],
            "scoring_calibration_cutoff": f"{windows[0].cutoff:%Y-%m-%d}",
            "scoring_training_cutoffs": [f"{w.cutoff:%Y-%m-%d}" for w in windows[1:]],
        }
        return self

    def _choose(self, table: pd.DataFrame):
        best = table["roc_auc"].idxmax()
        learned = table.loc[[n for n in _LEARNED if n in table.index], "roc_auc"]
        baselines = table.loc[[n for n in table.index if n not in _LEARNED], "roc_auc"]
        zh_name, en_name = CANDIDATES[best]
        auc = table.at[best, "roc_auc"]
        if best in _LEARNED:
            base = baselines.idxmax()
            return best, {
                "zh": f"采用 {zh_name}:回测 AUC {auc:.3f},优于最好的基线 {CANDIDATES[base][0]}"
                      f"({baselines.max():.3f})",
                "en": f"using {en_name}: backtest AUC {auc:.3f}, above the best baseline, "
                      f"{CANDIDATES[base][1]} ({baselines.max():.3f})",
            }
        return best, {
            "zh": f"模型没有胜过基线:回测中 {zh_name} 的 AUC 最高({auc:.3f},模型最高 {learned.max():.3f}),"
                  f"因此用 {zh_name} 打分",
            "en": f"the model did not beat the baselines: {en_name} had the best backtest AUC ({auc:.3f}, "
                  f"best model {learned.max():.3f}), so {en_name} scores",
        }

    def _importance(self, window: _Window, n_repeats: int = 3) -> pd.DataFrame:
        """Permutation importance of the scoring model: how much ROC AUC drops when a feature is shuffled.

        Computed on the latest window (its calibrator's, not its learner's),
        for whichever candidate was chosen.
        """
        from sklearn.metrics import roc_auc_score

        rng = np.random.default_rng(self.random_state)
        # A fixed sample bounds the cost (features x repeats predictions) on big bases.
        rows_used = np.sort(rng.choice(len(window.y), min(len(window.y), 20_000), replace=False))
        data, y = window.X.iloc[rows_used], window.y[rows_used]

        def auc(X):
            return roc_auc_score(y, self._proba(X))

        base = auc(data)
        rows = []
        for col in data.columns:
            drops = []
            for _ in range(n_repeats):
                X = data.copy()
                X[col] = X[col].to_numpy()[rng.permutation(len(X))]
                drops.append(base - auc(X))
            rows.append({"feature": col, "importance": float(np.mean(drops)), "std": float(np.std(drops))})
        return pd.DataFrame(rows).sort_values(["importance", "feature"], ascending=[False, True], ignore_index=True)

    def _proba(self, X: pd.DataFrame) -> np.ndarray:
        step = max(int(self.batch_size), 1)
        with threadpool_limits(limits=1):
            p = np.concatenate([self._calibrator.predict(self._raw_scores(self.chosen_, self._fitted,
                                                                           X.iloc[i:i + step]))
                                for i in range(0, max(len(X), 1), step)])
        # One calibration window cannot justify certainty either way.
        return np.clip(p, P_FLOOR, 1 - P_FLOOR)

    def predict_proba(self, orders: pd.DataFrame, contacts: pd.DataFrame | None = None, as_of=None) -> pd.Series:
        """``p_repurchase`` of every customer who bought at or before ``as_of`` (default: the fit's)."""
        day, X = self._features_at(orders, contacts, as_of)
        return pd.Series(self._proba(X), index=X.index, name="p_repurchase")

    def _features_at(self, orders, contacts, as_of):
        if not hasattr(self, "as_of_"):
            raise SikitInputError("this RepurchaseModel is not fitted yet: call fit(orders, as_of=...) first")
        day = self.as_of_ if as_of is None else as_of_day(as_of)
        if day < self.as_of_:
            raise SikitInputError(
                f"as_of {day:%Y-%m-%d} is before the model's as_of {self.as_of_:%Y-%m-%d}: the model has seen "
                f"later data; fit a model at that date instead"
            )
        kept, self._at_as_of = getattr(self, "_at_as_of", None), None
        if kept is not None and kept[0] is orders and kept[1] == day:
            window = kept[2]
        else:
            window, = _windows_of(orders, [day], self.horizon)
        return day, _features(window, day, self.horizon, self._contacts_for(contacts), None, self.max_customers,
                              self.random_state)

    def _contacts_for(self, contacts) -> _Contacts | None:
        """Contacts prepared for lookups, kept while the same frame is passed again (fit, score, targets)."""
        kept = getattr(self, "_contacts", None)
        if kept is None or kept[0] is not contacts:
            kept = (contacts, _Contacts.of(contacts))
            self._contacts = kept
        return kept[1]

    def __getstate__(self):
        # What is kept between fit and score (the contacts, the as_of window) is not part of the model.
        return {k: v for k, v in self.__dict__.items() if k not in ("_contacts", "_at_as_of")}

    def score(self, orders: pd.DataFrame, contacts: pd.DataFrame | None = None, as_of=None) -> pd.DataFrame:
        """The scores table: one row per customer who bought at or before ``as_of``.

        ``p_repurchase``, ``band`` (高 / 中 / 低 at :data:`BANDS`),
        ``expected_purchases`` and ``p_alive`` (BG/NBD), the
        ``expected_next_purchase`` date (last purchase plus the customer's mean
        gap between purchase days, for repeat buyers not yet overdue) and
        ``top_reasons`` / ``top_reasons_en``: the customer's values of the
        three most important features, in plain words.
        """
        day, X = self._features_at(orders, contacts, as_of)
        p = pd.Series(self._proba(X), index=X.index, name="p_repurchase")
        out = pd.DataFrame({"p_repurchase": p})
        out["band"] = band_of(p)
        for col in ("expected_purchases", "p_alive"):
            out[col] = X[col] if col in X.columns else np.nan
        due = X["mean_gap_days"] - X[S.RECENCY_DAYS]
        nxt = day + pd.to_timedelta(due.round(), unit="D")
        out["expected_next_purchase"] = nxt.where(due >= 0).dt.strftime("%Y-%m-%d")
        out["top_reasons"], out["top_reasons_en"] = self._reasons(X)
        for col in (S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY, "overdue_ratio"):
            out[col] = X[col]  # for target_list; dropped from scores.csv
        return out.reset_index()

    def _reasons(self, X: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        imp = self.importance_
        top = [f for f in imp.loc[imp["importance"] > 0, "feature"] if f in _REASONS and f in X.columns][:3]
        # Baselines use one or two features: the RFM facts fill the remaining places.
        top += [f for f in (S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY) if f not in top][:3 - len(top)]
        h = self.horizon

        def join(lang, sep):
            parts = [pa.array(_words(_REASONS[f][lang], X[f], h), type=pa.string()) for f in top]
            joined = pc.binary_join_element_wise(*parts, sep)
            return pd.Series(pd.array(joined, dtype="str"), index=X.index)

        return join(0, ";"), join(1, "; ")

    def backtest(self) -> pd.DataFrame:
        """The backtest table: every candidate on the last full window before ``as_of``."""
        if not hasattr(self, "backtest_"):
            raise SikitInputError("this RepurchaseModel is not fitted yet: call fit(orders, as_of=...) first")
        table = self.backtest_.copy()
        table.insert(0, "name_en", [CANDIDATES[n][1] for n in table.index])
        table.insert(0, "name_zh", [CANDIDATES[n][0] for n in table.index])
        table["chosen"] = table.index == self.chosen_
        return table


#: Band cut-offs on the calibrated probability: 高 from 0.6, 中 from 0.3, else 低.
BANDS = {"高": 0.6, "中": 0.3, "低": 0.0}
#: The bands' English names.
BANDS_EN = {"高": "high", "中": "medium", "低": "low"}


def band_of(p: pd.Series) -> pd.Series:
    """高 / 中 / 低 by :data:`BANDS`."""
    codes = np.where(p >= BANDS["高"], 0, np.where(p >= BANDS["中"], 1, 2))
    return spelled(["高", "中", "低"], codes, index=p.index)


class _Say:
    """Words for a number: ``fmt`` (with ``{v}`` and ``{h}``), or ``missing``; knows how many decimals it shows."""

    def __init__(self, fmt: str, missing: str):
        self.fmt, self.missing = fmt, missing
        shown = re.search(r"\{v:[^}]*?\.(\d+)([f%])\}", fmt)
        self.decimals = None if shown is None else int(shown[1]) + (2 if shown[2] == "%" else 0)

    def __call__(self, v, h) -> str:
        return self.missing if pd.isna(v) else self.fmt.format(v=v, h=h)


def _num(fmt_zh, fmt_en, missing=("无", "none")):
    return _Say(fmt_zh, missing[0]), _Say(fmt_en, missing[1])


def _words(say, values: pd.Series, h) -> np.ndarray:
    """``say`` of every value, each distinct wording built once (millions of customers, few wordings)."""
    decimals = getattr(say, "decimals", None)
    if decimals is None or not pd.api.types.is_numeric_dtype(values):
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return np.array([say(v, h) for v in uniques], dtype=object)[codes]
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    scaled = v * 10.0 ** decimals
    # Values whose shown digits are certain (far from a rounding tie, within float precision)
    # share their wording with every value rounding to the same digits; the rest are worded one by one.
    with np.errstate(invalid="ignore"):
        sure = (np.abs(scaled) < 1e9) & (np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6)
    out = np.empty(len(v), dtype=object)
    codes, _ = pd.factorize(np.round(scaled[sure]))
    first = np.unique(codes, return_index=True)[1]
    out[sure] = np.array([say(x, h) for x in v[sure][first]], dtype=object)[codes]
    rest = np.flatnonzero(~sure)
    out[rest] = [say(x, h) for x in v[rest]]
    return out


# Plain words for a customer's value of each feature: (zh, en) formatters.
_REASONS = {
    S.RECENCY_DAYS: _num("最近一次购买在 {v:.0f} 天前", "last bought {v:.0f} days ago"),
    S.FREQUENCY: _num("共购买 {v:.0f} 次", "{v:.0f} purchases"),
    S.MONETARY: _num("累计消费 ¥{v:,.0f}", "¥{v:,.0f} spent"),
    S.MONETARY_MEAN: _num("平均每次 ¥{v:,.0f}", "¥{v:,.0f} per purchase"),
    S.DAYS_SINCE_FIRST: _num("{v:.0f} 天前首次购买", "first bought {v:.0f} days ago"),
    "repeat_days": _num("{v:.0f} 个复购日", "{v:.0f} repeat purchase days"),
    "mean_gap_days": _num("平均 {v:.0f} 天买一次", "buys every {v:.0f} days", ("尚未复购", "no repeat yet")),
    "overdue_ratio": _num("已过平时购买间隔的 {v:.1f} 倍", "{v:.1f}x the usual gap since the last purchase",
                          ("尚未复购", "no repeat yet")),
    "orders_last_horizon": _num("近 {h} 天下单 {v:.0f} 次", "{v:.0f} orders in the last {h} days"),
    "orders_previous_horizon": _num("上一个 {h} 天下单 {v:.0f} 次", "{v:.0f} orders in the {h} days before"),
    "spend_last_horizon": _num("近 {h} 天消费 ¥{v:,.0f}", "¥{v:,.0f} spent in the last {h} days"),
    "spend_previous_horizon": _num("上一个 {h} 天消费 ¥{v:,.0f}", "¥{v:,.0f} spent in the {h} days before"),
    "p_alive": _num("BG/NBD 活跃概率 {v:.0%}", "BG/NBD P(alive) {v:.0%}"),
    "expected_purchases": _num("BG/NBD 预计 {h} 天内购买 {v:.1f} 次", "BG/NBD expects {v:.1f} purchases in {h} days"),
    "p_any_bgnbd": _num("BG/NBD 预计 {h} 天内购买的概率 {v:.0%}", "BG/NBD P(buy within {h} days) {v:.0%}"),
}
_REASONS["referred"] = (lambda v, h: "老客推荐" if v == 1 else "非推荐", lambda v, h: "referred" if v == 1 else "not referred")
for _col, (_zh, _en) in {S.CHANNEL: ("渠道", "channel"), S.STAFF: ("跟进员工", "staff"),
                         S.MEMBER_TIER: ("会员等级", "member tier")}.items():
    _REASONS[_col] = (lambda v, h, n=_zh: f"{n}:{'无' if pd.isna(v) else v}",
                      lambda v, h, n=_en: f"{n}: {'none' if pd.isna(v) else v}")


#: Why a customer is on the target list, as (zh, en); ``{d}`` is ``quiet_days``.
TARGET_RULES: dict[str, tuple[str, str]] = {
    "likely_but_quiet": ("复购倾向高,但已 {d} 天以上未购买", "likely to buy again, but no purchase for {d}+ days"),
    "valuable_slipping": ("高价值客户,已超过平时的购买间隔,复购倾向不高",
                          "high-value customer past their usual gap, no longer likely to buy"),
}


def target_list(model: RepurchaseModel, orders: pd.DataFrame, contacts: pd.DataFrame | None = None, *,
                quiet_days: int = 30, top_value: float = 0.2, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customers worth a touch now, with the reason, their staff and a masked phone.

    Two rules (:data:`TARGET_RULES`), checked in this order:

    - ``likely_but_quiet``: band 高 and no purchase in the last
      ``quiet_days`` days: a nudge is likely to land;
    - ``valuable_slipping``: in the top ``top_value`` share of buyers by total
      spend, band 中 or 低, and past their own mean gap between purchases.

    Phones appear masked only (``138****8000``). Sorted by rule, then by
    ``p_repurchase`` (rule 1) or spend (rule 2), highest first.
    """
    from ._privacy import mask_phone

    scores = model.score(orders, contacts) if scores is None else scores
    # Positions, not labels: a base of millions makes every label lookup a hash-table build.
    high = (scores["band"] == "高").to_numpy()
    recency = scores[S.RECENCY_DAYS].to_numpy(dtype="float64", na_value=np.nan)
    quiet = high & (recency >= quiet_days)
    valuable = (scores[S.MONETARY] >= scores[S.MONETARY].quantile(1 - top_value)).to_numpy()
    slipping = valuable & ~high & (scores["overdue_ratio"].to_numpy(dtype="float64", na_value=np.nan) > 1) & ~quiet
    rows = np.flatnonzero(quiet | slipping)
    rule = np.where(quiet[rows], "likely_but_quiet", "valuable_slipping")
    picked = scores.iloc[rows]
    out = pd.DataFrame({
        "rule": rule,
        "reason_zh": [TARGET_RULES[r][0].format(d=quiet_days) for r in rule],
        "reason_en": [TARGET_RULES[r][1].format(d=quiet_days) for r in rule],
        **{col: picked[col].to_numpy() for col in ("p_repurchase", "band", S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY,
                                                   "top_reasons", "top_reasons_en")},
    }, index=pd.Index(picked[S.CUSTOMER_ID], name=S.CUSTOMER_ID))
    prepared = model._contacts_for(contacts)
    if prepared is not None:
        c = prepared.lookup(out.index, (S.STAFF, S.PHONE))
        if S.STAFF in c.columns:
            out.insert(1, S.STAFF, c[S.STAFF])
        if S.PHONE in c.columns:
            out.insert(1, "phone_masked", mask_phone(c[S.PHONE]))
    out = pd.concat([
        out[out["rule"] == "likely_but_quiet"].sort_values("p_repurchase", ascending=False, kind="stable"),
        out[out["rule"] == "valuable_slipping"].sort_values(S.MONETARY, ascending=False, kind="stable"),
    ])
    return out.reset_index()


def write_scores(model: RepurchaseModel, scores: pd.DataFrame, out, targets: pd.DataFrame | None = None) -> dict:
    """``scores.csv``, ``targets.csv`` (UTF-8 with BOM, formula-safe) and ``backtest.json`` into ``out``."""
    import json
    from pathlib import Path

    from ._privacy import write_csv

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = model.backtest()
    chosen = model.chosen_
    report = {
        "horizon_days": int(model.horizon),
        "cutoffs": model.cutoffs_,
        "chosen": chosen,
        "message": model.message_,
        "bands": BANDS,
        "models": {name: {k: (None if pd.isna(v) else round(float(v), 6)) for k, v in row.items()
                          if k not in ("name_zh", "name_en", "chosen")}
                   for name, row in table.iterrows()},
        "reliability": model.reliability_[chosen].round(6).to_dict(orient="list"),
        "gains": model.gains_[chosen].round(6).to_dict(orient="list"),
        "importance": model.importance_.round(6).to_dict(orient="list"),
    }
    shown = scores.drop(columns=[S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY, "overdue_ratio"], errors="ignore")
    paths = {"scores": write_csv(shown.round({"p_repurchase": 4, "expected_purchases": 4, "p_alive": 4}),
                                 out / "scores.csv")}
    if targets is not None:
        paths["targets"] = write_csv(targets.round({"p_repurchase": 4, S.MONETARY: 2}), out / "targets.csv")
    paths["backtest"] = out / "backtest.json"
    paths["backtest"].write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return paths


def _quintile(values: pd.Series) -> np.ndarray:
    ranks = values.rank(method="first").to_numpy()
    return np.ceil(ranks / len(ranks) * 5).clip(1, 5)


class _Pool:
    """Keep the most common category values seen in training; pool the rest as 其他."""

    def __init__(self, keep):
        self.keep = keep
        self.dtype = pd.CategoricalDtype([*keep, "其他"])

    @classmethod
    def fit(cls, values: pd.Series) -> _Pool:
        counts = values.dropna().astype("str").value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        return cls(list(counts.index[:_MAX_CATEGORIES]))

    def pool(self, values: pd.Series) -> pd.Series:
        v = values.astype("object")
        pooled = v.where(v.isna() | v.isin(self.keep), "其他")
        return pooled.astype(self.dtype)
