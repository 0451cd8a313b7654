"""sikit.segment and `sikit segment`: every customer once, point in time, identical files."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import sikit
from sikit import _schema as S
from sikit._cli import main
from sikit._segment import NOT_CONVERTED, segment

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    data = sikit.clean(contacts=ROOT / "data/sample/contacts.csv", orders=ROOT / "data/sample/orders.xlsx")
    folder = tmp_path_factory.mktemp("clean")
    data.write(folder)
    return data, folder


@pytest.fixture(scope="module")
def seg(cleaned):
    data, _ = cleaned
    return segment(data.orders, data.contacts, as_of=AS_OF)


def test_every_customer_known_at_as_of_appears_once(cleaned, seg):
    data, _ = cleaned
    end = pd.Timestamp(AS_OF).tz_localize(S.TIMEZONE) + pd.Timedelta(days=1)
    added = set(data.contacts.loc[data.contacts[S.ADDED_AT] < end, S.CUSTOMER_ID])
    o = data.orders
    bought = set(o.loc[(o[S.STATUS] == S.PAID) & (o[S.ORDER_TIME] < end), S.CUSTOMER_ID])
    layers = seg.layers
    assert layers[S.CUSTOMER_ID].is_unique
    assert set(layers[S.CUSTOMER_ID]) == added | bought
    not_converted = layers[S.LAYER_NAME_ZH] == NOT_CONVERTED[0]
    assert set(layers.loc[not_converted, S.CUSTOMER_ID]) == added - bought
    assert (layers.loc[not_converted, S.LAYER] == seg.layering.n_layers_ + 1).all()
    assert (layers.loc[not_converted, S.RFM_CLASS_EN] == NOT_CONVERTED[1]).all()
    assert layers.loc[~not_converted, S.LAYER].between(1, seg.layering.n_layers_).all()


def test_profile_matches_the_layers_table(seg):
    p, layers = seg.profile, seg.layers
    assert p["customers"].sum() == len(layers)
    assert p["spend_share"].sum() == pytest.approx(1.0)
    counts = layers.groupby(S.LAYER).size()
    assert p["customers"].to_dict() == counts.to_dict()
    spend = layers.groupby(S.LAYER)[S.MONETARY].sum() / layers[S.MONETARY].sum()
    pd.testing.assert_series_equal(p["spend_share"], spend, check_names=False)
    # layer 1 is the most valuable buyer layer: highest spend per customer
    per_customer = p["monetary_mean"].iloc[:-1]
    assert per_customer.idxmax() == 1


def test_later_data_change_nothing(cleaned, seg):
    """Point in time: orders and contacts after as_of, however wild, do not move any layer."""
    data, _ = cleaned
    later = pd.Timestamp(AS_OF).tz_localize(S.TIMEZONE) + pd.Timedelta(days=1, minutes=1)
    some = data.orders.sample(300, random_state=1)
    extra_orders = some.assign(order_id=some[S.ORDER_ID] + "-late", order_time=later,
                               net_amount=99_999.0, amount=99_999.0, status=S.PAID)
    newcomer = data.contacts.head(5).assign(customer_id=lambda d: d[S.CUSTOMER_ID] + "-new", added_at=later)
    # and drop every order placed after as_of
    trimmed = data.orders[data.orders[S.ORDER_TIME] < later - pd.Timedelta(minutes=1)]
    for orders, contacts in ((pd.concat([data.orders, extra_orders]), pd.concat([data.contacts, newcomer])),
                             (trimmed, data.contacts)):
        again = segment(orders, contacts, as_of=AS_OF)
        pd.testing.assert_frame_equal(again.layers, seg.layers)
        pd.testing.assert_frame_equal(again.profile, seg.profile)


def test_row_order_of_the_input_does_not_matter(cleaned, seg):
    data, _ = cleaned
    shuffled = segment(data.orders.sample(frac=1, random_state=2), data.contacts.sample(frac=1, random_state=3),
                       as_of=AS_OF)
    pd.testing.assert_frame_equal(shuffled.layers, seg.layers)


def test_inputs_not_mutated(cleaned):
    data, _ = cleaned
    orders, contacts = data.orders.copy(deep=True), data.contacts.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sikit.LayeringStabilityWarning)  # k=3 is unstable here
        segment(data.orders, data.contacts, as_of=AS_OF, n_layers=3)
    pd.testing.assert_frame_equal(orders, data.orders)
    pd.testing.assert_frame_equal(contacts, data.contacts)


def test_reusing_a_layering_keeps_its_names(cleaned, seg):
    data, _ = cleaned
    earlier = segment(data.orders, data.contacts, as_of="2025-12-31", layering=seg.layering)
    assert earlier.layering is seg.layering
    pd.testing.assert_frame_equal(earlier.profile[[S.LAYER_NAME_ZH, S.LAYER_NAME_EN]],
                                  seg.profile[[S.LAYER_NAME_ZH, S.LAYER_NAME_EN]])
    table = sikit.migration(earlier.layers, seg.layers)
    assert table.to_numpy().sum() == len(set(earlier.layers[S.CUSTOMER_ID]) | set(seg.layers[S.CUSTOMER_ID]))


def test_cli_twice_gives_identical_files(cleaned, tmp_path, capsys):
    _, folder = cleaned
    for run in ("a", "b"):
        assert main(["segment", "--data", str(folder), "--as-of", AS_OF, "--out", str(tmp_path / run)]) == 0
    for name in ("layers.csv", "layers_profile.csv"):
        a, b = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
        assert a == b
        assert a.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel on Chinese Windows
    out = capsys.readouterr().out
    assert "k=" in out and "未购" in out


def test_cli_files_hold_the_documented_columns_and_no_phone(cleaned, tmp_path):
    _, folder = cleaned
    assert main(["segment", "--data", str(folder), "--as-of", AS_OF, "--out", str(tmp_path), "--n-layers", "5",
                 "--lang", "en"]) == 0
    layers = pd.read_csv(tmp_path / "layers.csv", encoding="utf-8-sig", dtype=str)
    assert list(layers.columns[:10]) == [S.CUSTOMER_ID, S.LAYER, S.LAYER_NAME_ZH, S.LAYER_NAME_EN, S.RFM_CLASS_ZH,
                                         S.RFM_CLASS_EN, S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY, S.MONETARY_MEAN]
    assert layers[S.LAYER].astype(int).max() == 6  # five buyer layers + 未购
    text = (tmp_path / "layers.csv").read_text(encoding="utf-8-sig") + \
        (tmp_path / "layers_profile.csv").read_text(encoding="utf-8-sig")
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)


@pytest.mark.parametrize("args, message", [
    (["--as-of", "2026-06-31"], "as_of must be a day"),
    (["--as-of", "2020-01-01"], "at least 2 customers with a paid order"),
])
def test_cli_bad_input_one_line_exit_2(cleaned, tmp_path, capsys, args, message):
    _, folder = cleaned
    code = main(["segment", "--data", str(folder), "--out", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_missing_data_folder_exit_2(tmp_path, capsys):
    code = main(["segment", "--data", str(tmp_path / "nope"), "--as-of", AS_OF, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "sikit clean" in err and err.count("\n") == 1


def test_cli_bad_n_layers_is_refused(cleaned, tmp_path, capsys):
    _, folder = cleaned
    with pytest.raises(SystemExit) as exc:
        main(["segment", "--data", str(folder), "--as-of", AS_OF, "--out", str(tmp_path), "--n-layers", "zero"])
    assert exc.value.code == 2
    assert "expected 'auto' or a positive whole number" in capsys.readouterr().err
