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

from dataclasses import dataclass

import numpy as np
import pandas as pd
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
from ._features import as_of_day, btyd_summary, paid_orders, rfm
from ._progress import progress

__all__ = ["RepurchaseModel", "repurchase_labels", "propensity_features", "target_list", "write_scores",
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


def propensity_features(orders: pd.DataFrame, as_of, horizon: int, contacts: pd.DataFrame | None = None,
                        bgnbd: BetaGeoModel | None = None) -> pd.DataFrame:
    """Point-in-time features of every customer who bought at or before ``as_of``.

    RFM and tenure, the BTYD summary in days, the mean gap between purchase
    days and how overdue the customer is against it, purchases and spend in
    the last horizon and the one before, contact attributes (channel, staff,
    membership tier, referred or not) when contacts are given, and the
    BG/NBD outputs (P(alive), expected purchases and P(any purchase) in the
    horizon) from a BG/NBD fitted on this same cutoff (or the one given).
    """
    day = as_of_day(as_of)
    f = rfm(orders, day)
    summary = btyd_summary(orders, day, unit="D").reindex(f.index)
    out = pd.DataFrame(index=f.index)
    for col in (S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY, S.MONETARY_MEAN, S.DAYS_SINCE_FIRST):
        out[col] = f[col].astype("float64")
    out["repeat_days"] = summary["frequency"].astype("float64")
    gap = summary["recency"] / summary["frequency"].where(summary["frequency"] > 0)
    out["mean_gap_days"] = gap
    out["overdue_ratio"] = f[S.RECENCY_DAYS].astype("float64") / gap
    paid = paid_orders(orders, day)
    for name, lo, hi in (("last", day - pd.Timedelta(days=horizon), day),
                         ("previous", day - pd.Timedelta(days=2 * horizon), day - pd.Timedelta(days=horizon))):
        part = paid[(paid["order_day"] > lo) & (paid["order_day"] <= hi)].groupby(S.CUSTOMER_ID)
        out[f"orders_{name}_horizon"] = part.size().reindex(out.index, fill_value=0).astype("float64")
        out[f"spend_{name}_horizon"] = part[S.NET_AMOUNT].sum().reindex(out.index, fill_value=0.0)
    if contacts is not None and S.CUSTOMER_ID in contacts.columns:
        c = contacts.drop_duplicates(S.CUSTOMER_ID).set_index(S.CUSTOMER_ID)
        if S.ADDED_AT in c.columns:  # a contact added after as_of is not known yet
            added = c[S.ADDED_AT]
            if isinstance(added.dtype, pd.DatetimeTZDtype):
                added = added.dt.tz_convert(S.TIMEZONE).dt.tz_localize(None)
            c = c[added.dt.normalize() <= day]
        c = c.reindex(out.index)
        for col in _CATEGORIES:
            if col in c.columns:
                out[col] = c[col].astype("object")
        if S.REFERRER_ID in c.columns:
            out["referred"] = c[S.REFERRER_ID].notna().astype("float64")
    model = bgnbd if bgnbd is not None else _fit_bgnbd(summary)
    if model is not None:
        # A first purchase on as_of itself has T = 0, where BG/NBD's formulas take
        # their limit (a brand-new customer); a millionth of a day gets that limit.
        seen = summary.assign(T=summary["T"].clip(lower=1e-6))
        out["p_alive"] = model.p_alive(seen)
        out["expected_purchases"] = model.expected_purchases(horizon, seen)
        out["p_any_bgnbd"] = model.p_any_purchase(horizon, seen)
    return out


def _fit_bgnbd(summary: pd.DataFrame) -> BetaGeoModel | None:
    """BG/NBD on this cutoff's summary, or None when it cannot be fitted (the gates say why).

    Customers with T = 0 add exactly 0 to the log-likelihood, so leaving them
    out changes nothing.
    """
    try:
        return BetaGeoModel().fit(summary[summary["T"] > 0])
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
    random_state : int, default 0

    Attributes
    ----------
    as_of_ : Timestamp
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
                 min_repeaters: int = 30, random_state: int = 0):
        self.horizon = horizon
        self.max_train_windows = max_train_windows
        self.min_customers = min_customers
        self.min_repeaters = min_repeaters
        self.random_state = random_state

    # --- windows -------------------------------------------------------------------------

    def _window(self, orders, contacts, cutoff) -> _Window:
        X = propensity_features(orders, cutoff, self.horizon, contacts)
        y = repurchase_labels(orders, cutoff, self.horizon).reindex(X.index, fill_value=False).to_numpy()
        return _Window(cutoff, X, y.astype(np.int64))

    def _usable(self, w: _Window) -> str | None:
        """Why a window cannot be used, or None."""
        if len(w.X) < self.min_customers:
            return f"{len(w.X)} buyers at {w.cutoff:%Y-%m-%d}, need {self.min_customers}"
        if w.y.sum() < self.min_repeaters:
            return (f"{int(w.y.sum())} customers bought again in the {self.horizon} days after "
                    f"{w.cutoff:%Y-%m-%d}, need {self.min_repeaters}")
        return None

    def _windows(self, orders, contacts, day):
        h = pd.Timedelta(days=self.horizon)
        windows, why = [], None
        for k in progress(range(1, self.max_train_windows + 3), desc="特征窗口 / feature windows"):
            w = self._window(orders, contacts, day - k * h)
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
        # Filter and date the paid orders once: every window below only cuts them
        # (and nothing after as_of can reach a feature or a label).
        orders = paid_orders(orders, day)
        # Only a head count here: the full features at as_of are built when scoring.
        buyers = orders[S.CUSTOMER_ID].nunique()
        if buyers < self.min_customers:
            raise SikitInputError(
                f"too few customers for a propensity: {buyers} bought at or before {day:%Y-%m-%d}, "
                f"need {self.min_customers}"
            )
        windows = self._windows(orders, contacts, day)
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
        with threadpool_limits(limits=1):
            p = self._calibrator.predict(self._raw_scores(self.chosen_, self._fitted, X))
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
        return day, propensity_features(paid_orders(orders, day), day, self.horizon, contacts)

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

    def _reasons(self, X: pd.DataFrame) -> tuple[list[str], list[str]]:
        imp = self.importance_
        top = [f for f in imp.loc[imp["importance"] > 0, "feature"] if f in _REASONS and f in X.columns][:3]
        # Baselines use one or two features: the RFM facts fill the remaining places.
        top += [f for f in (S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY) if f not in top][:3 - len(top)]
        h = self.horizon

        def words(f, lang):
            # Each distinct value is worded once: days and counts repeat across many customers.
            say, values = _REASONS[f][lang], X[f]
            codes, uniques = pd.factorize(values, use_na_sentinel=False)
            return np.array([say(v, h) for v in uniques], dtype=object)[codes]

        zh = [words(f, 0) for f in top]
        en = [words(f, 1) for f in top]
        return [";".join(parts) for parts in zip(*zh)], ["; ".join(parts) for parts in zip(*en)]

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
    return pd.Series(np.where(p >= BANDS["高"], "高", np.where(p >= BANDS["中"], "中", "低")),
                     index=p.index, dtype="str")


def _num(fmt_zh, fmt_en, missing=("无", "none")):
    def make(i):
        fmt, miss = (fmt_zh, missing[0]) if i == 0 else (fmt_en, missing[1])
        return lambda v, h: miss if pd.isna(v) else fmt.format(v=v, h=h)
    return make(0), make(1)


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

    scores = (model.score(orders, contacts) if scores is None else scores).set_index(S.CUSTOMER_ID)
    X = scores
    quiet = (scores["band"] == "高") & (X[S.RECENCY_DAYS] >= quiet_days)
    valuable = X[S.MONETARY] >= X[S.MONETARY].quantile(1 - top_value)
    slipping = valuable & (scores["band"] != "高") & (X["overdue_ratio"] > 1) & ~quiet
    rule = pd.Series(pd.NA, index=X.index, dtype="object")
    rule[slipping] = "valuable_slipping"
    rule[quiet] = "likely_but_quiet"
    picked = rule.dropna()
    out = pd.DataFrame({
        "rule": picked,
        "reason_zh": [TARGET_RULES[r][0].format(d=quiet_days) for r in picked],
        "reason_en": [TARGET_RULES[r][1].format(d=quiet_days) for r in picked],
        "p_repurchase": scores.loc[picked.index, "p_repurchase"],
        "band": scores.loc[picked.index, "band"],
        S.RECENCY_DAYS: X.loc[picked.index, S.RECENCY_DAYS],
        S.FREQUENCY: X.loc[picked.index, S.FREQUENCY],
        S.MONETARY: X.loc[picked.index, S.MONETARY],
        "top_reasons": scores.loc[picked.index, "top_reasons"],
        "top_reasons_en": scores.loc[picked.index, "top_reasons_en"],
    })
    if contacts is not None and S.CUSTOMER_ID in contacts.columns:
        c = contacts.drop_duplicates(S.CUSTOMER_ID).set_index(S.CUSTOMER_ID).reindex(out.index)
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
