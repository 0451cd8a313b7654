"""Property tests: on any input, every row ends kept, merged or rejected, exactly once."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sikit

maybe = lambda values: st.one_of(st.none(), st.sampled_from(values), st.text(max_size=6))  # noqa: E731

IDS = ["wm1", "wm2", "wm3", "1001", "1001.0", " wm1 ", "13800138000"]
UNIONIDS = ["u1", "u2", "u3"]
PHONES = ["13800138000", "+86 138-0013-8000", "１３９００１３９０００", "13900139000.0", "138****8000",
          "1.38001E+10", "021-61234567", "1380013800"]
TIMES = ["2024-01-05 15:04:05", "2024/1/5 15:04", "2024年1月5日 15:04", "20240105", "2024-01-05T07:04:05Z",
         "45296.5", "--", "2024-02-30"]
NAMES = ["小王", "测试", "test01", "May ", "内部员工", "Contest"]
AMOUNTS = ["¥1,299.00", "1299元", "1.2万", "-299", "99", "待定", "０.５"]
STATUSES = ["交易成功", "已退款", "已关闭", "待付款", "已发货", "???"]

contact_rows = st.fixed_dictionaries({
    "外部联系人ID": maybe(IDS), "unionid": maybe(UNIONIDS), "手机号": maybe(PHONES),
    "客户昵称": maybe(NAMES), "添加时间": maybe(TIMES), "备注": maybe(["内部", "VIP"]),
})
order_rows = st.fixed_dictionaries({
    "订单号": maybe(["E1", "E2", "E3", "E1 "]), "客户ID": maybe(IDS), "手机号": maybe(PHONES),
    "下单时间": maybe(TIMES), "实付金额": maybe(AMOUNTS), "退款金额": maybe(["", "50", "5000"]),
    "订单状态": maybe(STATUSES),
})


def _rows(frame):
    return set(map(tuple, frame[["source_file", "source_row"]].itertuples(index=False)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(contact_rows, min_size=1, max_size=25), st.lists(order_rows, min_size=1, max_size=25))
def test_every_row_accounted_for(contacts, orders):
    c, o = pd.DataFrame(contacts, dtype="str"), pd.DataFrame(orders, dtype="str")
    r = sikit.clean(contacts=c, orders=o)
    tables = r.report["tables"]
    for name, frame, n in (("contacts", r.contacts, len(c)), ("orders", r.orders, len(o))):
        t = tables[name]
        assert t["rows_in"] == n == t["kept"] + t["merged"] + t["rejected"]
        assert len(frame) == t["kept"]
        parts = [frame[["source_file", "source_row"]],
                 r.merged.loc[r.merged["table"] == name, ["source_file", "source_row"]],
                 r.rejected.loc[r.rejected["table"] == name, ["source_file", "source_row"]]]
        everything = pd.concat(parts)
        assert not everything.duplicated().any()
        assert _rows(everything) == {(f"<{name} DataFrame>", i) for i in range(1, n + 1)}
    # merged rows name a row that was kept
    for name, frame in (("contacts", r.contacts), ("orders", r.orders)):
        m = r.merged[r.merged["table"] == name]
        assert set(zip(m["into_source_file"], m["into_source_row"])) <= _rows(frame)
    assert r.contacts["customer_id"].is_unique and r.orders["order_id"].is_unique
    assert r.orders["customer_id"].notna().all()
