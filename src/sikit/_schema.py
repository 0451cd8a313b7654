"""Canonical column names, header aliases and code lists, defined once.

Every other module refers to these names; nothing else spells a column.
"""

from __future__ import annotations

TIMEZONE = "Asia/Shanghai"
# An 11-digit mainland mobile number, the one form a clean phone takes.
MOBILE_PATTERN = r"1[3-9][0-9]{9}"

# --- canonical columns -------------------------------------------------------
CUSTOMER_ID = "customer_id"
UNIONID = "unionid"
NAME = "name"
PHONE = "phone"
ADDED_AT = "added_at"
CHANNEL = "channel"
STAFF = "staff"
TAGS = "tags"
REFERRER_ID = "referrer_id"
REMARK = "remark"

ORDER_ID = "order_id"
ORDER_TIME = "order_time"
AMOUNT = "amount"
REFUND_AMOUNT = "refund_amount"
NET_AMOUNT = "net_amount"
STATUS = "status"
STORE = "store"

# Provenance columns added by the loader to every row.
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"

# Header aliases, matched after trimming, full-width -> half-width and
# lower-casing. Order matters only for documentation.
CONTACT_ALIASES: dict[str, tuple[str, ...]] = {
    CUSTOMER_ID: ("外部联系人ID", "客户ID", "会员ID", "external_userid", "customer_id", "member_id"),
    UNIONID: ("unionid", "UnionID"),
    NAME: ("客户名称", "客户昵称", "昵称", "姓名", "name", "nickname"),
    PHONE: ("手机号", "手机号码", "电话", "联系电话", "phone", "mobile"),
    ADDED_AT: ("添加时间", "添加好友时间", "创建时间", "added_at", "add_time", "created_at"),
    CHANNEL: ("添加渠道", "来源渠道", "渠道", "来源", "channel", "source"),
    STAFF: ("跟进员工", "添加人", "所属员工", "归属员工", "staff", "owner"),
    TAGS: ("标签", "企业标签", "客户标签", "tags"),
    REFERRER_ID: ("推荐人ID", "邀请人ID", "referrer_id", "inviter_id"),
    REMARK: ("备注", "描述", "remark", "description"),
}

ORDER_ALIASES: dict[str, tuple[str, ...]] = {
    ORDER_ID: ("订单号", "订单编号", "order_id"),
    CUSTOMER_ID: ("客户ID", "会员ID", "外部联系人ID", "customer_id", "member_id"),
    UNIONID: ("unionid", "UnionID"),
    PHONE: ("手机号", "手机号码", "买家手机号", "收货人手机号", "phone", "mobile"),
    ORDER_TIME: ("下单时间", "支付时间", "付款时间", "创建时间", "order_time", "paid_at", "created_at"),
    AMOUNT: ("实付金额", "支付金额", "实付款", "订单金额", "amount", "paid_amount"),
    REFUND_AMOUNT: ("退款金额", "refund_amount"),
    STATUS: ("订单状态", "状态", "status"),
    STORE: ("门店", "店铺", "store"),
    CHANNEL: ("渠道", "下单渠道", "channel"),
}

# A contacts file needs at least one identity column; an orders file needs
# these plus at least one customer key (CUSTOMER_KEYS).
CONTACT_ID_COLUMNS = (CUSTOMER_ID, UNIONID, PHONE)
ORDER_REQUIRED = (ORDER_ID, ORDER_TIME, AMOUNT)
CUSTOMER_KEYS = (CUSTOMER_ID, UNIONID, PHONE)

# --- order status ---------------------------------------------------------------
PAID, REFUNDED, CANCELLED, UNPAID = "paid", "refunded", "cancelled", "unpaid"
ORDER_STATUSES = (PAID, REFUNDED, CANCELLED, UNPAID)
STATUS_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ["已付款", "已支付", "已发货", "待发货", "已完成", "交易成功", "已收货", "待收货", "部分退款",
         "paid", "completed", "shipped", "trade_success", "wait_seller_send_goods",
         "wait_buyer_confirm_goods", "trade_finished"],
        PAID,
    ),
    **dict.fromkeys(["已退款", "退款成功", "全额退款", "refunded", "refund_success"], REFUNDED),
    **dict.fromkeys(
        ["已关闭", "已取消", "交易关闭", "cancelled", "canceled", "closed", "trade_closed",
         "trade_closed_by_taobao"],
        CANCELLED,
    ),
    **dict.fromkeys(["待付款", "未支付", "未付款", "unpaid", "wait_buyer_pay", "pending"], UNPAID),
}
# When one order id is seen more than once, the status furthest along this
# lifecycle wins (unpaid -> paid -> refunded/cancelled); ties go to the row
# seen last in the export.
STATUS_STAGE = {UNPAID: 0, PAID: 1, REFUNDED: 2, CANCELLED: 2}

# --- provenance and reasons -------------------------------------------------------
KEPT, MERGED, REJECTED = "kept", "merged", "rejected"

REJECT_REASONS: dict[str, tuple[str, str]] = {
    # code: (zh, en)
    "empty_row": ("空行", "empty row"),
    "no_id": ("联系人无任何ID(客户ID/unionid/手机号)", "contact has no id, unionid or phone"),
    "test_account": ("测试或内部账号", "test or internal account"),
    "no_order_id": ("缺少订单号", "order id missing"),
    "no_customer_key": ("缺少客户标识", "order has no customer key"),
    "bad_order_time": ("下单时间无法解析", "order time missing or unparseable"),
    "bad_amount": ("金额无法解析", "amount missing or unparseable"),
}

MERGE_REASONS: dict[str, tuple[str, str]] = {
    "same_customer_id": ("相同客户ID", "same customer id"),
    "same_unionid": ("相同unionid", "same unionid"),
    "same_phone": ("相同手机号", "same phone"),
    "linked_via_other_row": ("经由其他行关联", "linked through another row"),
    "duplicate_order": ("重复订单号(导出分页重叠)", "same order id seen again"),
}

# Columns the sample's exports carry beyond the minimum list.
MEMBER_TIER = "member_tier"
GROUPS = "groups"
CONTACT_ALIASES[MEMBER_TIER] = ("会员等级", "会员卡等级", "member_tier", "tier")
CONTACT_ALIASES[GROUPS] = ("所在群聊", "群聊", "groups")
# Written by the cleaner (contact rows merged into a customer); read back so
# cleaning sikit's own output changes nothing.
N_CONTACTS = "n_contacts"
CONTACT_ALIASES[N_CONTACTS] = ("n_contacts",)

# Fixes the cleaner makes to whole orders and contacts (value-level fixes are
# listed in sikit._values.FIX_CODES). code: (zh, en)
RECORD_FIXES: dict[str, tuple[str, str]] = {
    "customer_id_is_phone": ("客户ID是手机号,改用假名ID", "customer id was a phone number, replaced by a pseudonymous id"),
    "customer_id_made_from_unionid_or_phone": ("由unionid或手机号生成假名客户ID", "customer id made from unionid or phone (keyed hash)"),
    "negative_amount_as_refund": ("负金额记为退款", "negative amount taken as a refund"),
    "refund_clipped_to_amount": ("退款大于实付,截为实付", "refund above amount clipped to the amount"),
    "refund_amount_implied_by_status": ("状态为已退款但无退款金额,记为全额退款", "refunded without a refund amount: full refund"),
    "partial_refund_kept_paid": ("部分退款,订单仍计为已付款", "partial refund: order stays paid with a lower net"),
    "full_refund_set_refunded": ("全额退款,状态改为已退款", "full refund: status set to refunded"),
}

# --- customer features (sikit.features) -----------------------------------------
FIRST_PURCHASE = "first_purchase"
LAST_PURCHASE = "last_purchase"
RECENCY_DAYS = "recency_days"
FREQUENCY = "frequency"
MONETARY = "monetary"
MONETARY_MEAN = "monetary_mean"
DAYS_SINCE_FIRST = "days_since_first_purchase"
TENURE_DAYS = "tenure_days"

# --- layers ---------------------------------------------------------------------------
LAYER = "layer"
LAYER_NAME_ZH = "layer_name_zh"
LAYER_NAME_EN = "layer_name_en"
RFM_CLASS_ZH = "rfm_class_zh"
RFM_CLASS_EN = "rfm_class_en"

# --- channel costs (channel_costs.xlsx: one row per channel and month) ----------------
MONTH = "month"    # "YYYY-MM", the calendar month the spend was booked in
SPEND = "spend"    # yuan spent on the channel that month (for 朋友圈/老带新: referral rewards)
COST_ALIASES: dict[str, tuple[str, ...]] = {
    CHANNEL: ("渠道", "投放渠道", "获客渠道", "添加渠道", "channel"),
    MONTH: ("月份", "月", "投放月份", "month"),
    SPEND: ("投放费用", "费用", "花费", "消耗", "推荐奖励", "spend", "cost"),
}
COST_REQUIRED = (CHANNEL, MONTH, SPEND)

#: Header aliases of each table sikit reads.
TABLE_ALIASES = {"contacts": CONTACT_ALIASES, "orders": ORDER_ALIASES, "costs": COST_ALIASES}
REJECT_REASONS.update({
    "no_channel": ("缺少渠道", "channel missing"),
    "bad_month": ("月份无法解析", "month missing or unparseable (expected e.g. 2026-01 or 2026年1月)"),
    "negative_spend": ("费用为负数", "spend is negative"),
})

# --- WeCom customer groups (社群): members and daily activity ---------------------------
GROUP_NAME = "group_name"
JOINED_AT = "joined_at"
LEFT_AT = "left_at"          # empty while the customer is still in the group
ACTIVITY_DATE = "date"       # a local day
MESSAGES = "messages"        # messages the customer sent in the group that day
GROUP_MEMBER_ALIASES: dict[str, tuple[str, ...]] = {
    GROUP_NAME: ("群名称", "群聊名称", "群名", "group_name", "group"),
    CUSTOMER_ID: ("外部联系人ID", "群成员ID", "客户ID", "customer_id", "member_id"),
    JOINED_AT: ("入群时间", "加入时间", "joined_at", "join_time"),
    LEFT_AT: ("退群时间", "离开时间", "left_at", "leave_time"),
}
GROUP_ACTIVITY_ALIASES: dict[str, tuple[str, ...]] = {
    GROUP_NAME: GROUP_MEMBER_ALIASES[GROUP_NAME],
    CUSTOMER_ID: GROUP_MEMBER_ALIASES[CUSTOMER_ID],
    ACTIVITY_DATE: ("日期", "统计日期", "date"),
    MESSAGES: ("发言数", "发言次数", "消息数", "messages"),
}
GROUP_MEMBER_REQUIRED = (GROUP_NAME, CUSTOMER_ID, JOINED_AT)
GROUP_ACTIVITY_REQUIRED = (GROUP_NAME, CUSTOMER_ID, ACTIVITY_DATE, MESSAGES)
TABLE_ALIASES["group_members"] = GROUP_MEMBER_ALIASES
TABLE_ALIASES["group_activity"] = GROUP_ACTIVITY_ALIASES
REJECT_REASONS.update({
    "no_group": ("缺少群名称", "group name missing"),
    "no_customer_id": ("缺少客户ID(外部联系人ID)", "customer (external contact) id missing"),
    "bad_joined_at": ("入群时间无法解析", "joined_at missing or unparseable"),
    "bad_date": ("日期无法解析", "date missing or unparseable"),
    "bad_messages": ("发言数无法解析或不是非负整数", "messages missing, unparseable, negative or not a whole number"),
})
MERGE_REASONS.update({
    "duplicate_membership": ("同一群同一客户同一入群时间的重复行", "same group, customer and joined_at"),
    "duplicate_activity": ("同一天同一群同一ID的重复行(取最大发言数)",
                           "same day, group and id (overlapping exports): the largest count kept"),
    "same_customer_activity": ("同一客户多个联系人ID的发言,相加", "same day and group, another id of the same customer: added up"),
})
RECORD_FIXES.update({
    "left_at_unparseable": ("退群时间无法解析,置空(视为仍在群)", "left_at unparseable: set empty (member taken as still in)"),
    "left_before_joined": ("退群时间早于入群时间(重新入群),置空",
                           "left_at before joined_at (left, then rejoined): set empty"),
})

# --- WeCom deletion log (流失客户 / 删除记录): who was deleted and when ----------------------
DELETED_AT = "deleted_at"
DELETED_BY = "deleted_by"    # who removed whom: "customer" (客户删除员工) or "staff" (员工删除客户)
BY_CUSTOMER, BY_STAFF = "customer", "staff"
DELETED_BY_VALUES = (BY_CUSTOMER, BY_STAFF)
DELETED_BY_ALIASES: dict[str, str] = {
    **dict.fromkeys(["客户删除员工", "客户删除", "客户主动删除", "被客户删除", "customer", "by_customer",
                     "deleted_by_customer"], BY_CUSTOMER),
    **dict.fromkeys(["员工删除客户", "员工删除", "员工主动删除", "删除客户", "staff", "by_staff",
                     "deleted_by_staff"], BY_STAFF),
}
DELETION_ALIASES: dict[str, tuple[str, ...]] = {
    CUSTOMER_ID: ("外部联系人ID", "客户ID", "customer_id"),
    DELETED_AT: ("删除时间", "流失时间", "deleted_at"),
    DELETED_BY: ("删除方", "流失类型", "deleted_by"),
    STAFF: ("跟进员工", "所属员工", "staff"),
}
DELETION_REQUIRED = (CUSTOMER_ID, DELETED_AT)
TABLE_ALIASES["deletions"] = DELETION_ALIASES
REJECT_REASONS.update({
    "bad_deleted_at": ("删除时间无法解析", "deleted_at missing or unparseable"),
})
MERGE_REASONS.update({
    "duplicate_deletion": ("同一客户同一删除时间的重复行", "same customer and deleted_at seen again"),
})
RECORD_FIXES.update({
    "deleted_by_unknown": ("删除方无法识别,置空", "deleted_by not recognised (客户删除员工/员工删除客户): set empty"),
})
