"""Tests for sikit._rfm: RFM classes, value concentration and layer migration.

Expected values are worked out by hand in the comments, not copied from runs.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
import pytest

from sikit._errors import SikitInputError
from sikit._features import rfm
from sikit._rfm import (
    migration,
    migration_flows,
    migration_summary,
    rfm_class_table,
    rfm_classes,
    rfm_split_points,
    value_concentration,
)

THRESHOLDS = {"recency_days": 90, "frequency": 1, "monetary": 500}

# The classic eight classes written out independently of the module's table.
EXPECTED_ZH = {
    (True, True, True): "重要价值客户",
    (True, False, True): "重要发展客户",
    (False, True, True): "重要保持客户",
    (False, False, True): "重要挽留客户",
    (True, True, False): "一般价值客户",
    (True, False, False): "一般发展客户",
    (False, True, False): "一般保持客户",
    (False, False, False): "一般挽留客户",
}


def features(recency, frequency, monetary, ids=None) -> pd.DataFrame:
    ids = ids or [f"c{i}" for i in range(len(frequency))]
    return pd.DataFrame(
        {
            "recency_days": pd.array(recency, dtype="Int64"),
            "frequency": np.asarray(frequency, dtype=np.int64),
            "monetary": np.asarray(monetary, dtype=np.float64),
        },
        index=pd.Index(ids, name="customer_id"),
    )


# --- RFM classes ---------------------------------------------------------------------------------
def test_recent_frequent_big_spender_is_important_value_and_stale_is_retain():
    f = features([10, 400], [5, 5], [2000.0, 2000.0], ids=["fresh", "stale"])
    c = rfm_classes(f, split=THRESHOLDS)
    assert c.loc["fresh", "rfm_class_zh"] == "重要价值客户"
    # same frequency and spend, but 400 days since the last purchase: not recent
    assert c.loc["stale", "rfm_class_zh"] == "重要保持客户"
    assert bool(c.loc["fresh", "r_high"]) and not bool(c.loc["stale", "r_high"])
    assert c.loc["fresh", "rfm_code"] == "R↑F↑M↑"
    assert c.loc["stale", "rfm_code"] == "R↓F↑M↑"


@pytest.mark.parametrize(("r", "f", "m"), list(itertools.product([True, False], repeat=3)))
def test_each_of_the_eight_combinations(r, f, m):
    # thresholds 90 days / 1 purchase / 500: recent = fewer days than 90
    one = features([30 if r else 120], [3 if f else 1], [800.0 if m else 200.0])
    c = rfm_classes(one, split=THRESHOLDS).iloc[0]
    assert (bool(c["r_high"]), bool(c["f_high"]), bool(c["m_high"])) == (r, f, m)
    assert c["rfm_class_zh"] == EXPECTED_ZH[(r, f, m)]
    assert c["rfm_code"] == f"R{'↑' if r else '↓'}F{'↑' if f else '↓'}M{'↑' if m else '↓'}"
    assert isinstance(c["rfm_class_en"], str) and c["rfm_class_en"]


def test_all_eight_english_names_are_distinct():
    rows = list(itertools.product([True, False], repeat=3))
    f = features([30 if r else 120 for r, _, _ in rows], [3 if f else 1 for _, f, _ in rows],
                 [800.0 if m else 200.0 for _, _, m in rows])
    c = rfm_classes(f, split=THRESHOLDS)
    assert c["rfm_class_en"].nunique() == 8
    assert c["rfm_class_zh"].nunique() == 8


def test_value_equal_to_threshold_is_low():
    f = features([90, 89], [1, 2], [500.0, 500.01], ids=["at", "beyond"])
    c = rfm_classes(f, split=THRESHOLDS)
    assert c.loc["at", "rfm_code"] == "R↓F↓M↓"
    assert c.loc["at", "rfm_class_zh"] == "一般挽留客户"
    assert c.loc["beyond", "rfm_code"] == "R↑F↑M↑"


def test_split_points_mean_median_dict_over_buyers_only():
    # buyers: recency 10, 20, 60, 200; frequency 1, 1, 2, 8; spend 50, 100, 300, 1550
    # plus a contact who never bought (would pull the means down if counted)
    f = features([10, 20, 60, 200, None], [1, 1, 2, 8, 0], [50.0, 100.0, 300.0, 1550.0, 0.0])
    assert rfm_split_points(f, "mean") == {"recency_days": 72.5, "frequency": 3.0, "monetary": 500.0}
    assert rfm_split_points(f, "median") == {"recency_days": 40.0, "frequency": 1.5, "monetary": 200.0}
    assert rfm_split_points(f, THRESHOLDS) == {"recency_days": 90.0, "frequency": 1.0, "monetary": 500.0}
    assert rfm_split_points(f) == rfm_split_points(f, "mean")


def test_classes_follow_the_median_split_points():
    # median points 40 days, 1.5 purchases, 200: c1 (20 days, 1, 100) is recent,
    # infrequent, low spend; c3 (200 days, 8, 1550) is stale, frequent, high spend
    f = features([10, 20, 60, 200, None], [1, 1, 2, 8, 0], [50.0, 100.0, 300.0, 1550.0, 0.0])
    c = rfm_classes(f, split="median")
    assert c["rfm_code"].tolist()[:4] == ["R↑F↓M↓", "R↑F↓M↓", "R↓F↑M↑", "R↓F↑M↑"]
    # with the mean (72.5 days, 3 purchases, 500) c2 is recent, infrequent, low spend
    assert rfm_classes(f, split="mean").loc["c2", "rfm_code"] == "R↑F↓M↓"


def test_non_buyers_are_not_classified():
    f = features([5, None, None], [2, 0, 0], [100.0, 0.0, 0.0], ids=["buyer", "lead1", "lead2"])
    c = rfm_classes(f, split="mean")
    assert list(c.columns) == ["r_high", "f_high", "m_high", "rfm_code", "rfm_class_zh", "rfm_class_en"]
    assert c.index.equals(f.index)
    assert c.loc[["lead1", "lead2"]].isna().all().all()
    assert c.loc["buyer"].notna().all()
    assert str(c["r_high"].dtype) == "boolean"


def test_input_not_mutated():
    f = features([5, 50, None], [2, 1, 0], [100.0, 20.0, 0.0])
    before = f.copy()
    rfm_classes(f)
    rfm_split_points(f, "median")
    value_concentration(f)
    pd.testing.assert_frame_equal(f, before)


def test_missing_column_is_named():
    f = features([5], [2], [100.0]).drop(columns="monetary")
    with pytest.raises(SikitInputError, match="monetary"):
        rfm_classes(f)


def test_missing_threshold_key_is_named():
    with pytest.raises(SikitInputError, match="lack frequency"):
        rfm_classes(features([5], [2], [100.0]), split={"recency_days": 90, "monetary": 500})


@pytest.mark.parametrize("split", ["average", {"recency_days": 90, "frequency": 1, "monetary": 500, "recency": 3},
                                   {"recency_days": float("nan"), "frequency": 1, "monetary": 500}])
def test_bad_split_is_refused(split):
    with pytest.raises(SikitInputError):
        rfm_split_points(features([5], [2], [100.0]), split)


def test_mean_split_without_buyers_is_refused():
    with pytest.raises(SikitInputError, match="no customer has bought"):
        rfm_classes(features([None], [0], [0.0]))


def test_buyer_without_recency_is_refused():
    with pytest.raises(SikitInputError, match="recency_days"):
        rfm_classes(features([None], [2], [10.0]), split=THRESHOLDS)


def test_class_table_lists_all_eight_in_canonical_order():
    f = features([10, 10, 400, None], [5, 5, 1, 0], [900.0, 900.0, 100.0, 0.0])
    table = rfm_class_table(rfm_classes(f, split=THRESHOLDS))
    assert table["rfm_class_zh"].tolist() == list(EXPECTED_ZH.values())
    # two 重要价值客户, one 一般挽留客户; the non-buyer is not counted
    assert table["customers"].tolist() == [2, 0, 0, 0, 0, 0, 0, 1]
    assert table["share"].tolist() == pytest.approx([2 / 3, 0, 0, 0, 0, 0, 0, 1 / 3])
    assert table["rfm_code"].iloc[0] == "R↑F↑M↑" and table["rfm_code"].iloc[-1] == "R↓F↓M↓"


def test_classes_from_real_features():
    # two orders for a in January, one for b long before; c is a contact who never bought
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "b"],
        "order_time": pd.to_datetime(["2026-01-05", "2026-01-25", "2025-06-01"]),
        "net_amount": [600.0, 400.0, 80.0],
        "status": "paid",
    })
    contacts = pd.DataFrame({"customer_id": ["c"], "added_at": pd.to_datetime(["2026-01-02"])})
    f = rfm(orders, "2026-01-31", contacts=contacts)
    c = rfm_classes(f, split=THRESHOLDS)
    assert c.loc["a", "rfm_class_zh"] == "重要价值客户"  # 6 days, 2 orders, 1000
    assert c.loc["b", "rfm_class_zh"] == "一般挽留客户"  # 244 days, 1 order, 80
    assert pd.isna(c.loc["c", "rfm_class_zh"])


# --- value concentration ---------------------------------------------------------------------------
def spend(values) -> pd.DataFrame:
    return pd.DataFrame({"monetary": np.asarray(values, dtype=np.float64)})


def test_one_customer_brings_everything():
    c = value_concentration(spend([100, 0, 0, 0, 0]))
    assert c.top == 0.2
    assert c.top_share == pytest.approx(1.0)
    # ascending 0,0,0,0,100: sum((2i-6) x_i) = 4*100 = 400; / (5*100) = 0.8
    assert c.gini == pytest.approx(0.8)
    assert c.customers == 5


def test_hand_computed_share_gini_and_curve():
    c = value_concentration(spend([10, 40, 20, 30]), top=0.5)
    # top 2 of 4 customers: 40 + 30 = 70 of 100
    assert c.top_share == pytest.approx(0.7)
    # ascending 10,20,30,40 with weights -3,-1,1,3: -30-20+30+120 = 100; / (4*100)
    assert c.gini == pytest.approx(0.25)
    assert c.curve["customer_share"].tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    assert c.curve["spend_share"].tolist() == pytest.approx([0, 0.4, 0.7, 0.9, 1])


def test_top_share_between_customers_is_interpolated():
    # 20% of 4 customers is 0.8 of the biggest spender (40 of 100)
    assert value_concentration(spend([10, 40, 20, 30])).top_share == pytest.approx(0.32)


def test_equal_spend_has_no_concentration():
    c = value_concentration(spend([50] * 10), top=0.3)
    assert c.gini == pytest.approx(0.0, abs=1e-12)
    assert c.top_share == pytest.approx(0.3)


def test_ties_and_row_order_do_not_matter():
    values = [5, 50, 50, 0, 5, 50, 20]
    a = value_concentration(spend(values), top=0.4)
    b = value_concentration(spend(values[::-1]), top=0.4)
    assert (a.top_share, a.gini) == (b.top_share, b.gini)
    pd.testing.assert_frame_equal(a.curve, b.curve)
    # 0.4 * 7 = 2.8 customers: 50 + 50 + 0.8 * 50 = 140 of 180
    assert a.top_share == pytest.approx(140 / 180)


def test_non_buyers_count_as_customers():
    buyers = value_concentration(spend([60, 40]), top=0.5)
    everyone = value_concentration(spend([60, 40, 0, 0]), top=0.5)
    assert buyers.top_share == pytest.approx(0.6)
    assert everyone.top_share == pytest.approx(1.0)
    assert everyone.customers == 4


def test_curve_on_a_million_customers_is_small_fast_and_well_formed():
    rng = np.random.default_rng(7)
    x = rng.lognormal(5, 1.3, 1_000_000)
    df = pd.DataFrame({"monetary": x})
    start = time.perf_counter()
    c = value_concentration(df)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0
    curve = c.curve
    assert 2 <= len(curve) <= 1001
    assert (curve["customer_share"].iloc[0], curve["spend_share"].iloc[0]) == (0.0, 0.0)
    assert (curve["customer_share"].iloc[-1], curve["spend_share"].iloc[-1]) == (1.0, 1.0)
    assert (np.diff(curve["customer_share"]) > 0).all()
    assert (np.diff(curve["spend_share"]) >= 0).all()
    # concave: each step adds no more spend per customer than the one before
    slopes = np.diff(curve["spend_share"]) / np.diff(curve["customer_share"])
    assert (np.diff(slopes) <= 1e-9).all()
    # 20% of a million is exactly 200,000 customers: no interpolation needed
    top = np.partition(x, len(x) - 200_000)[-200_000:].sum()
    assert c.top_share == pytest.approx(top / x.sum(), rel=1e-9)
    assert 0 < c.gini < 1


@pytest.mark.parametrize(
    ("values", "message"),
    [([10, -1], "negative"), ([10, np.nan], "missing"), ([0, 0], "total monetary is 0"), ([], "no customers")],
)
def test_bad_spend_is_refused(values, message):
    with pytest.raises(SikitInputError, match=message):
        value_concentration(spend(values))


@pytest.mark.parametrize("top", [0, -0.1, 1.5, True])
def test_bad_top_is_refused(top):
    with pytest.raises(SikitInputError, match="top"):
        value_concentration(spend([1, 2]), top=top)


def test_concentration_of_another_column():
    df = pd.DataFrame({"gmv": [3.0, 1.0]})
    assert value_concentration(df, top=0.5, column="gmv").top_share == pytest.approx(0.75)
    with pytest.raises(SikitInputError, match="monetary"):
        value_concentration(df)


# --- migration -----------------------------------------------------------------------------------
def layers(rows, by="layer_name_zh") -> pd.DataFrame:
    """rows: (customer_id, layer, label)"""
    return pd.DataFrame(rows, columns=["customer_id", "layer", by])


# Labels chosen so that their alphabetical order differs from the layer order.
THEN = layers([("a", 1, "重要价值客户"), ("b", 1, "重要价值客户"), ("c", 2, "一般发展客户"),
               ("d", 3, "未购"), ("f", 2, "一般发展客户")])
NOW = layers([("a", 2, "一般发展客户"), ("b", 1, "重要价值客户"), ("c", 1, "重要价值客户"),
              ("e", 3, "未购"), ("g", 2, "一般发展客户")])


def test_migration_table_by_hand():
    t = migration(THEN, NOW)
    assert t.index.tolist() == ["重要价值客户", "一般发展客户", "未购", "新客户"]
    assert t.columns.tolist() == ["重要价值客户", "一般发展客户", "未购", "已流失"]
    assert (t.index.name, t.columns.name) == ("then", "now")
    expected = [
        # 重要价值 一般发展 未购 已流失
        [1, 1, 0, 0],  # a down, b stays
        [1, 0, 0, 1],  # c up, f lost
        [0, 0, 0, 1],  # d lost
        [0, 1, 1, 0],  # g and e new
    ]
    assert t.to_numpy().tolist() == expected


def test_migration_total_is_union_of_customers():
    assert migration(THEN, NOW).to_numpy().sum() == len(set(THEN.customer_id) | set(NOW.customer_id))


def test_migration_random_tables_count_everyone_once():
    rng = np.random.default_rng(3)
    names = {1: "甲", 2: "乙", 3: "丙", 4: "丁"}
    then_ids = rng.choice(5000, 3000, replace=False)
    now_ids = rng.choice(5000, 3500, replace=False)
    lt, ln = rng.integers(1, 5, then_ids.size), rng.integers(1, 5, now_ids.size)
    t = migration(
        layers(list(zip(then_ids.astype(str), lt, [names[i] for i in lt]))),
        layers(list(zip(now_ids.astype(str), ln, [names[i] for i in ln]))),
    )
    both = np.intersect1d(then_ids, now_ids).size
    assert t.to_numpy().sum() == np.union1d(then_ids, now_ids).size
    assert t.loc["新客户"].sum() == now_ids.size - both
    assert t["已流失"].sum() == then_ids.size - both
    assert t.loc["新客户", "已流失"] == 0
    assert t.drop(index="新客户").sum(axis=1).sum() == then_ids.size
    assert t.drop(columns="已流失").sum().sum() == now_ids.size


def test_migration_rows_and_columns_follow_layer_numbers_not_input_order():
    shuffled_then = THEN.iloc[::-1]
    shuffled_now = NOW.sample(frac=1, random_state=0)
    t = migration(shuffled_then, shuffled_now)
    pd.testing.assert_frame_equal(t, migration(THEN, NOW))
    assert t.index[-1] == "新客户" and t.columns[-1] == "已流失"


def test_migration_layer_present_at_one_date_only_shows_as_zeros():
    then = layers([("a", 1, "高"), ("b", 2, "中")])
    now = layers([("a", 3, "低"), ("b", 2, "中")])
    t = migration(then, now)
    assert t.index.tolist() == ["高", "中", "低", "新客户"]
    assert t.columns.tolist() == ["高", "中", "低", "已流失"]
    assert t.loc["低"].sum() == 0 and t["高"].sum() == 0
    assert t.loc["高", "低"] == 1 and t.loc["中", "中"] == 1


def test_migration_accepts_customer_id_as_index():
    t = migration(THEN.set_index("customer_id"), NOW.set_index("customer_id"))
    pd.testing.assert_frame_equal(t, migration(THEN, NOW))


def test_migration_english_words():
    then = layers([("a", 1, "top"), ("b", 2, "rest")], by="layer_name_en")
    now = layers([("a", 2, "rest"), ("c", 1, "top")], by="layer_name_en")
    t = migration(then, now, by="layer_name_en")
    assert t.index.tolist() == ["top", "rest", "new"]
    assert t.columns.tolist() == ["top", "rest", "lost"]
    assert t.loc["new", "top"] == 1 and t.loc["rest", "lost"] == 1 and t.loc["top", "rest"] == 1


@pytest.mark.parametrize("which", ["then", "now"])
def test_migration_duplicated_customer_is_refused(which):
    dup = layers([("a", 1, "高"), ("a", 2, "中")])
    one = layers([("a", 1, "高")])
    args = (dup, one) if which == "then" else (one, dup)
    with pytest.raises(SikitInputError, match=f"layers_{which}.*more than once"):
        migration(*args)


def test_migration_missing_columns_are_named():
    with pytest.raises(SikitInputError, match="layer_name_en"):
        migration(THEN, NOW, by="layer_name_en")
    with pytest.raises(SikitInputError, match="customer_id"):
        migration(THEN.drop(columns="customer_id"), NOW)


def test_migration_label_clashing_with_new_word_is_refused():
    with pytest.raises(SikitInputError, match="新客户"):
        migration(layers([("a", 1, "新客户")]), layers([("a", 1, "新客户")]))


def test_migration_inputs_not_mutated():
    then, now = THEN.copy(), NOW.copy()
    migration(then, now)
    pd.testing.assert_frame_equal(then, THEN)
    pd.testing.assert_frame_equal(now, NOW)


def test_flows_directions():
    flows = migration_flows(migration(THEN, NOW))
    got = {(r["from"], r["to"]): (r["customers"], r["direction"]) for _, r in flows.iterrows()}
    assert got == {
        ("重要价值客户", "重要价值客户"): (1, "same"),
        ("重要价值客户", "一般发展客户"): (1, "down"),
        ("一般发展客户", "重要价值客户"): (1, "up"),
        ("一般发展客户", "已流失"): (1, "lost"),
        ("未购", "已流失"): (1, "lost"),
        ("新客户", "一般发展客户"): (1, "new"),
        ("新客户", "未购"): (1, "new"),
    }
    assert flows["customers"].sum() == 7


def test_summary_answers_how_many_moved_down():
    s = migration_summary(migration(THEN, NOW))
    assert s.loc["重要价值客户", "down"] == 1
    assert s.loc["重要价值客户", "same"] == 1
    assert s.loc["一般发展客户", "up"] == 1
    assert s.loc["新客户", "new"] == 2
    parts = s[["up", "same", "down", "lost", "new"]].sum(axis=1)
    assert (parts == s["customers"]).all()
    assert s["customers"].sum() == 7
