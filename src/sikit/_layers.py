"""K-means customer layering with stable numbers and business names.

``Layering`` follows scikit-learn's estimator contract. What makes it a
layering rather than a bare ``KMeans``:

- layers are numbered by value, so layer 1 is always the most valuable;
- each layer is named from its profile (recent? frequent? big spender?)
  in Chinese and English, so the same data gives the same names;
- ``n_layers="auto"`` picks k by silhouette on a bounded sample and says why;
- a bootstrap measures how stable the layering is and warns when it is not;
- fitting uses a bounded sample and prediction runs in chunks, so a million
  customers fit in seconds and silhouette never sees the full set.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, pairwise_distances, silhouette_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from . import _schema as S
from ._progress import progress

__all__ = ["Layering", "LayeringStabilityWarning", "LAYER_NAMES", "RFM_FEATURES", "layer_profile"]

#: The features a layering uses by default when the input carries them.
RFM_FEATURES = (S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY)
# Features where a smaller value is better (a recent purchase is worth more).
_LOWER_IS_BETTER = frozenset({S.RECENCY_DAYS, "recency"})

#: Business names by profile (recent, frequent, high spend), as (zh, en).
LAYER_NAMES: dict[tuple[bool, bool, bool], tuple[str, str]] = {
    (True, True, True): ("高价值忠诚", "high-value loyal"),
    (True, True, False): ("活跃复购", "active repeat buyers"),
    (True, False, True): ("高潜新客", "promising big spenders"),
    (True, False, False): ("潜力新客", "promising new"),
    (False, True, True): ("流失风险", "at risk"),
    (False, True, False): ("需唤醒", "needs reactivation"),
    (False, False, True): ("沉睡大客", "dormant big spenders"),
    (False, False, False): ("低价值沉睡", "dormant low value"),
}
# Qualifiers that tell apart layers sharing a name, by the feature on which
# they differ most: (better, middle, worse) in zh and en.
_QUALIFIERS = {
    S.RECENCY_DAYS: (("较近", "居中", "较久"), ("more recent", "mid recency", "less recent")),
    S.FREQUENCY: (("频次较高", "频次居中", "频次较低"), ("more frequent", "mid frequency", "less frequent")),
    S.MONETARY: (("消费较高", "消费居中", "消费较低"), ("higher spend", "mid spend", "lower spend")),
}


class LayeringStabilityWarning(UserWarning):
    """The layering changes a lot under resampling: treat its layers with care."""


class Layering(ClusterMixin, TransformerMixin, BaseEstimator):
    """Layer customers with k-means: numbered by value, named, checked for stability.

    Parameters
    ----------
    n_layers : int or "auto", default="auto"
        Number of layers. ``"auto"`` tries every k in ``k_range`` and keeps
        the one with the best silhouette on a sample of ``sample_size``
        customers (ties go to the smaller k).
    features : sequence of str, optional
        Columns of a DataFrame input to layer on. By default the RFM
        columns ``recency_days``, ``frequency`` and ``monetary`` when the
        input has them, else every column.
    log_transform : "auto", bool, default="auto"
        Apply ``log1p`` before scaling: ``"auto"`` to non-negative features
        whose skewness exceeds 1 (spend and frequency, typically), ``True``
        to every non-negative feature, ``False`` to none.
    k_range : tuple of int, default=(3, 8)
        Smallest and largest k tried by ``n_layers="auto"``.
    max_fit_samples : int, default=200_000
        The k-means model is fitted on at most this many customers (a fixed
        random sample); everyone is then assigned with :meth:`predict`.
    sample_size : int, default=20_000
        Customers used to choose k and to measure stability; silhouette
        runs on at most 5,000 of them.
    n_bootstrap : int, default=10
        Bootstrap refits used to measure stability (0 turns it off).
    min_stability : float, default=0.75
        Warn with :class:`LayeringStabilityWarning` when the mean adjusted
        Rand index between the layering and its bootstrap refits is lower.
    n_init : int, default=10
        k-means restarts; the best is kept.
    chunk_size : int, default=200_000
        Customers assigned per chunk in :meth:`predict`.
    random_state : int, RandomState or None, default=0
        Seed of every sample and k-means run: the same data give the same
        layers, numbers and names.

    Attributes
    ----------
    n_layers_ : int
        Number of layers found.
    feature_names_in_ : ndarray of str
        The feature columns used (DataFrame input only).
    labels_ : ndarray of int
        Layer of every customer seen in :meth:`fit`, 1 being the most valuable.
    cluster_centers_ : ndarray of shape (n_layers_, n_features)
        Layer centres in the transformed (log, scaled) space, layer 1 first.
    centroids_ : DataFrame
        Layer centres back in the original units.
    names_ : DataFrame
        ``layer_name_zh`` and ``layer_name_en`` of every layer.
    profile_ : DataFrame
        Per layer: size, share of customers and of spend, mean and median of
        every feature, names and a one-line description in zh and en.
    selection_ : DataFrame
        Silhouette of every k tried (only with ``n_layers="auto"``).
    n_layers_reason_ : dict
        Why this k, as ``{"zh": ..., "en": ...}``.
    stability_ : float
        Mean adjusted Rand index of the bootstrap refits (NaN when off).
    stability_scores_ : ndarray
        The adjusted Rand index of every bootstrap refit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({
    ...     "recency_days": np.r_[rng.integers(0, 30, 200), rng.integers(300, 600, 200)],
    ...     "frequency": np.r_[rng.integers(4, 9, 200), rng.integers(1, 2, 200)],
    ...     "monetary": np.r_[rng.uniform(2000, 4000, 200), rng.uniform(50, 150, 200)],
    ... })
    >>> layering = Layering(n_layers=2).fit(X)
    >>> layering.names_["layer_name_en"].tolist()
    ['high-value loyal', 'dormant low value']
    >>> int(layering.predict(X.iloc[[0]])[0]), int(layering.predict(X.iloc[[-1]])[0])
    (1, 2)
    """

    def __init__(self, n_layers="auto", *, features=None, log_transform="auto", k_range=(3, 8),
                 max_fit_samples=200_000, sample_size=20_000, n_bootstrap=10, min_stability=0.75,
                 n_init=10, chunk_size=200_000, random_state=0):
        self.n_layers = n_layers
        self.features = features
        self.log_transform = log_transform
        self.k_range = k_range
        self.max_fit_samples = max_fit_samples
        self.sample_size = sample_size
        self.n_bootstrap = n_bootstrap
        self.min_stability = min_stability
        self.n_init = n_init
        self.chunk_size = chunk_size
        self.random_state = random_state

    # --- input ----------------------------------------------------------------

    def _select(self, X):
        """The feature columns of a DataFrame; anything else passes through."""
        if not hasattr(X, "columns"):
            if self.features is not None:
                raise ValueError("`features` names columns: pass a DataFrame")
            return X
        if self.features is not None:
            missing = [c for c in self.features if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks the feature column(s) {', '.join(map(str, missing))}")
            return X[list(self.features)]
        if all(c in X.columns for c in RFM_FEATURES):
            return X[list(RFM_FEATURES)]
        return X

    def _validate(self, X, reset: bool):
        return validate_data(self, self._select(X), reset=reset, dtype=np.float64,
                             ensure_min_samples=2 if reset else 1)

    def _check_params(self):
        if not (self.n_layers == "auto" or (isinstance(self.n_layers, Integral) and self.n_layers >= 1)):
            raise ValueError(f"n_layers must be 'auto' or a positive integer, got {self.n_layers!r}")
        lo, hi = self.k_range
        if not (isinstance(lo, Integral) and isinstance(hi, Integral) and 2 <= lo <= hi):
            raise ValueError(f"k_range must be two integers 2 <= low <= high, got {self.k_range!r}")
        if self.log_transform not in ("auto", True, False):
            raise ValueError(f"log_transform must be 'auto', True or False, got {self.log_transform!r}")
        for name in ("max_fit_samples", "sample_size", "n_init", "chunk_size"):
            if not (isinstance(getattr(self, name), Integral) and getattr(self, name) >= 1):
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not (isinstance(self.n_bootstrap, Integral) and self.n_bootstrap >= 0):
            raise ValueError(f"n_bootstrap must be a non-negative integer, got {self.n_bootstrap!r}")

    # --- the transformed space ---------------------------------------------------

    def _fit_space(self, X):
        nonneg = (X >= 0).all(axis=0)
        if self.log_transform == "auto":
            centred = X - X.mean(axis=0)
            sd = X.std(axis=0)
            skew = np.divide((centred**3).mean(axis=0), sd**3, out=np.zeros(X.shape[1]), where=sd > 0)
            self.log_features_ = nonneg & (skew > 1)
        else:
            self.log_features_ = nonneg & bool(self.log_transform)
        Z = self._logged(X)
        self.mean_ = Z.mean(axis=0)
        scale = Z.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)

    def _logged(self, X):
        Z = np.array(X, dtype=np.float64, copy=True)
        # Values below 0 in a logged feature (unseen in fit) are clipped there.
        Z[:, self.log_features_] = np.log1p(np.clip(Z[:, self.log_features_], 0, None))
        return Z

    def _space(self, X):
        return (self._logged(X) - self.mean_) / self.scale_

    def _from_space(self, Z):
        X = Z * self.scale_ + self.mean_
        X[:, self.log_features_] = np.expm1(X[:, self.log_features_])
        return X

    # --- fitting -------------------------------------------------------------------

    def _kmeans(self, k, seed):
        return KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)

    def _choose_k(self, Zs, rng):
        """k by silhouette on the selection sample; ties go to the smaller k."""
        distinct = len(np.unique(Zs, axis=0))
        lo, hi = self.k_range
        ks = [k for k in range(lo, hi + 1) if k < distinct]
        if not ks:
            k = max(1, min(distinct, lo))
            msg = (f"只有 {distinct} 种不同的客户特征,分为 {k} 层", f"only {distinct} distinct customer profiles: {k} layers")
            return k, pd.DataFrame(columns=["k", "silhouette"]), msg
        n_sil = min(len(Zs), 5_000)
        scores, distances = [], None
        for k in ks:
            labels = self._kmeans(k, rng.integers(2**31 - 1)).fit_predict(Zs)
            seed = int(rng.integers(2**31 - 1))
            if distances is None:
                # One silhouette sample for every k: the ks are compared on the same customers and
                # their distances, most of the cost, are computed once. The sample is the one
                # silhouette_score(sample_size=n_sil, random_state=seed) draws; a seed is still drawn
                # for every k so that the rest of the fit sees the same random numbers.
                rows = np.random.RandomState(seed).permutation(len(Zs))[:n_sil]
                distances = pairwise_distances(Zs[rows])
            scores.append(silhouette_score(distances, labels[rows], metric="precomputed"))
        sel = pd.DataFrame({"k": ks, "silhouette": scores})
        best = int(sel.loc[sel["silhouette"].round(6).idxmax(), "k"])
        top = sel.loc[sel["k"] == best, "silhouette"].iloc[0]
        runner = sel[sel["k"] != best].sort_values("silhouette", ascending=False).head(1)
        zh = f"k={best} 的轮廓系数最高({top:.3f},在 {len(Zs):,} 个客户的样本上比较 k={lo}..{ks[-1]})"
        en = f"k={best} has the best silhouette ({top:.3f}, comparing k={lo}..{ks[-1]} on a sample of {len(Zs):,} customers)"
        if len(runner):
            k2, s2 = int(runner["k"].iloc[0]), runner["silhouette"].iloc[0]
            zh += f";其次是 k={k2}({s2:.3f})"
            en += f"; next best k={k2} ({s2:.3f})"
        return best, sel, (zh, en)

    def _value_order(self, centers):
        """Layer order: by value (direction-weighted mean of the scaled centre), best first."""
        value = (centers * self._directions()).mean(axis=1)
        # lexsort's last key is primary; the centre coordinates break exact ties.
        keys = [centers[:, j] for j in reversed(range(centers.shape[1]))] + [-value]
        return np.lexsort(keys)

    def _directions(self):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return np.ones(self.n_features_in_)
        return np.array([-1.0 if n in _LOWER_IS_BETTER else 1.0 for n in names])

    def fit(self, X, y=None):
        """Fit the layering on customer features (one row per customer); returns ``self``."""
        # One thread: the same layers whatever the machine's core count, and no
        # OpenMP oversubscription (which slowed fits 30-fold on a busy 2-core box).
        with threadpool_limits(limits=1):
            return self._fit(X)

    def _fit(self, X):
        self._check_params()
        X = self._validate(X, reset=True)
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        n = len(X)
        fit_rows = np.sort(rng.choice(n, self.max_fit_samples, replace=False)) if n > self.max_fit_samples \
            else np.arange(n)
        sel_rows = np.sort(rng.choice(n, self.sample_size, replace=False)) if n > self.sample_size \
            else np.arange(n)
        self._fit_space(X[fit_rows])
        Zs = self._space(X[sel_rows])

        if self.n_layers == "auto":
            k, self.selection_, reason = self._choose_k(Zs, rng)
        else:
            k, self.selection_ = int(self.n_layers), None
            reason = (f"按设定分为 {k} 层", f"{k} layers as set")
        if k > n:
            raise ValueError(f"n_layers={k} needs at least {k} customers, got {n}")
        self.n_layers_reason_ = {"zh": reason[0], "en": reason[1]}

        km = self._kmeans(k, int(rng.integers(2**31 - 1))).fit(self._space(X[fit_rows]))
        order = self._value_order(km.cluster_centers_)
        self.kmeans_ = km
        self._layer_of_cluster = np.empty(k, dtype=np.int64)
        self._layer_of_cluster[order] = np.arange(1, k + 1)
        self.cluster_centers_ = km.cluster_centers_[order]
        self.n_layers_ = k
        self.labels_ = self._predict_validated(X)
        self._measure_stability(Zs, rng)
        self._describe(X)
        return self

    def _measure_stability(self, Zs, rng):
        scores = []
        if self.n_bootstrap and self.n_layers_ > 1:
            base = self._assign(Zs)
            for _ in progress(range(self.n_bootstrap), desc="分层稳定性 / layer stability"):
                rows = rng.integers(0, len(Zs), len(Zs))
                km = self._kmeans(self.n_layers_, int(rng.integers(2**31 - 1))).fit(Zs[rows])
                scores.append(adjusted_rand_score(base, km.predict(Zs)))
        self.stability_scores_ = np.array(scores)
        self.stability_ = float(np.mean(scores)) if scores else float("nan")
        if scores and self.stability_ < self.min_stability:
            warnings.warn(
                f"the layering is unstable: bootstrap refits agree with it at a mean adjusted Rand "
                f"index of {self.stability_:.2f} (below {self.min_stability:.2f}); consider fewer "
                f"layers or more data",
                LayeringStabilityWarning,
                stacklevel=4,  # the caller of fit()
            )

    # --- naming and profile ---------------------------------------------------

    def _describe(self, X):
        k = self.n_layers_
        names = list(self.feature_names_in_) if hasattr(self, "feature_names_in_") else \
            [f"x{j}" for j in range(self.n_features_in_)]
        index = pd.RangeIndex(1, k + 1, name=S.LAYER)
        self.centroids_ = pd.DataFrame(self._from_space(self.cluster_centers_.copy()), columns=names, index=index)
        frame = pd.DataFrame(X, columns=names)
        frame[S.LAYER] = self.labels_
        stats = layer_stats(frame, index)
        zh, en = self._names(frame, stats, names)
        self.names_ = pd.DataFrame({S.LAYER_NAME_ZH: zh, S.LAYER_NAME_EN: en}, index=index)
        self.profile_ = layer_profile(frame, self.names_)

    def _names(self, frame, prof, names):
        k = self.n_layers_
        if not all(c in names for c in RFM_FEATURES):
            return [f"第{i}层" for i in range(1, k + 1)], [f"layer {i}" for i in range(1, k + 1)]
        # A layer is recent / frequent / a big spender when its mean beats the
        # customers' mean: the same split as the classic 8-class RFM by mean.
        pop = frame[list(RFM_FEATURES)].mean()
        recent = prof[f"{S.RECENCY_DAYS}_mean"] < pop[S.RECENCY_DAYS]
        frequent = prof[f"{S.FREQUENCY}_mean"] > pop[S.FREQUENCY]
        big = prof[f"{S.MONETARY}_mean"] > pop[S.MONETARY]
        base = [LAYER_NAMES[(bool(r), bool(f), bool(m))] for r, f, m in zip(recent, frequent, big)]
        zh, en = [b[0] for b in base], [b[1] for b in base]
        idx = {c: names.index(c) for c in RFM_FEATURES}
        dirs = self._directions()
        for name in dict.fromkeys(zh):
            group = [i for i in range(k) if zh[i] == name]
            if len(group) < 2:
                continue
            centres = self.cluster_centers_[group]
            # Qualify by the feature on which the namesakes differ most.
            feat = max(RFM_FEATURES, key=lambda c: np.ptp(centres[:, idx[c]]))
            j = idx[feat]
            ranked = sorted(group, key=lambda i: -dirs[j] * self.cluster_centers_[i, j])
            words_zh, words_en = _QUALIFIERS[feat]
            for pos, i in enumerate(ranked):
                w = 0 if pos == 0 else 2 if pos == len(ranked) - 1 else 1
                suffix = f"{pos}" if 0 < pos < len(ranked) - 1 and len(ranked) > 3 else ""
                zh[i] = f"{name}·{words_zh[w]}{suffix}"
                en[i] = f"{en[i]} ({words_en[w]}{' ' + suffix if suffix else ''})"
        return zh, en

    # --- prediction ------------------------------------------------------------

    def _assign(self, Z):
        return self._layer_of_cluster[self.kmeans_.predict(Z)]

    def _predict_validated(self, X):
        out = np.empty(len(X), dtype=np.int64)
        for start in range(0, len(X), self.chunk_size):
            stop = start + self.chunk_size
            out[start:stop] = self._assign(self._space(X[start:stop]))
        return out

    def predict(self, X):
        """Layer number of every customer (1 = most valuable), assigned in chunks."""
        check_is_fitted(self)
        with threadpool_limits(limits=1):
            return self._predict_validated(self._validate(X, reset=False))

    def transform(self, X):
        """Distance of every customer to each layer's centre in the scaled space, layer 1 first."""
        check_is_fitted(self)
        Z = self._space(self._validate(X, reset=False))
        return np.sqrt(((Z[:, None, :] - self.cluster_centers_[None, :, :]) ** 2).sum(axis=2))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return np.array([f"layer_{i}_distance" for i in range(1, self.n_layers_ + 1)], dtype=object)

    def assign(self, X) -> pd.DataFrame:
        """Layer number and names of every customer, indexed like ``X``."""
        layer = self.predict(X)
        index = X.index if hasattr(X, "index") else pd.RangeIndex(len(layer))
        names = self.names_.reindex(layer)
        return pd.DataFrame({
            S.LAYER: layer,
            S.LAYER_NAME_ZH: names[S.LAYER_NAME_ZH].to_numpy(),
            S.LAYER_NAME_EN: names[S.LAYER_NAME_EN].to_numpy(),
        }, index=index)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Layers are numbered from 1, as managers count them; sklearn's generic
        # clustering check expects labels from 0 (see tests/test_layers.py).
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


def layer_stats(frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Size, shares and mean/median of every feature per layer (``frame`` has a ``layer`` column)."""
    g = frame.groupby(S.LAYER)
    prof = pd.DataFrame(index=index)
    prof["customers"] = g.size().reindex(index, fill_value=0)
    prof["customer_share"] = prof["customers"] / max(len(frame), 1)
    if S.MONETARY in frame.columns:
        total = frame[S.MONETARY].sum()
        spend = g[S.MONETARY].sum().reindex(index, fill_value=0.0)
        prof["spend_share"] = spend / total if total > 0 else np.nan
    for col in frame.columns.drop(S.LAYER):
        values = frame[col].astype("float64")
        prof[f"{col}_mean"] = values.groupby(frame[S.LAYER]).mean()
        prof[f"{col}_median"] = values.groupby(frame[S.LAYER]).median()
    return prof


def layer_profile(frame: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """Per layer: names, size, shares, mean and median features, one-line descriptions.

    ``frame`` holds one row per customer with a ``layer`` column and the
    features; ``names`` is indexed by layer with ``layer_name_zh/en``.
    """
    prof = pd.concat([names, layer_stats(frame, names.index)], axis=1)
    prof["description_zh"], prof["description_en"] = _descriptions(prof)
    return prof


def _descriptions(prof):
    zh, en = [], []
    has_rfm = all(f"{c}_mean" in prof.columns for c in RFM_FEATURES)
    for _, p in prof.iterrows():
        share = p["customer_share"]
        spend = p.get("spend_share", np.nan)
        head_zh = f"{int(p['customers']):,} 人(占 {share:.0%})"
        head_en = f"{int(p['customers']):,} customers ({share:.0%})"
        if not pd.isna(spend):
            head_zh += f",贡献 {spend:.0%} 的消费"
            head_en += f" bringing {spend:.0%} of spend"
        if has_rfm and pd.isna(p[f"{S.RECENCY_DAYS}_median"]):
            zh.append(f"{head_zh};尚未购买")
            en.append(f"{head_en}; no purchase yet")
        elif has_rfm:
            r, f, m = (p[f"{S.RECENCY_DAYS}_median"], p[f"{S.FREQUENCY}_mean"], p[f"{S.MONETARY}_mean"])
            zh.append(f"{head_zh};最近一次购买中位 {r:.0f} 天前,平均 {f:.1f} 次,人均累计消费 ¥{m:,.0f}")
            en.append(f"{head_en}; last purchase a median {r:.0f} days ago, {f:.1f} purchases and "
                      f"¥{m:,.0f} spent on average")
        else:
            zh.append(head_zh)
            en.append(head_en)
    return zh, en
