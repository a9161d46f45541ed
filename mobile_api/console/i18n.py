"""The console's words in Chinese (first) and English, and the labels of the vocabulary's codes."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Final

from litestar import Request

from events.vocabulary import (
    LABELS,
    Category,
    Department,
    InterventionType,
    ReferralStatus,
    RiskLevel,
    Role,
    VisitType,
)

LANGUAGES: Final = ("zh", "en")
LANG_COOKIE: Final = "huhang_lang"

WORDS: Final[dict[str, tuple[str, str]]] = {
    "console": ("督导与督查控制台", "console for supervisors and auditors"),
    "times_note": ("时间均为北京时间（UTC+8）", "Times are China Standard Time (UTC+8)"),
    "sign_in": ("登录", "Sign in"), "sign_out": ("退出", "Sign out"),
    "console_roles": ("本控制台供儿童督导员和未成年人权益督查专员使用；网格员、儿童主任和部门经办人请使用手机应用。",
                      "This console is for supervisors and auditors; grid workers, child directors and department "
                      "handlers use the field app."),
    "sign_in_failed": ("用户名或密码错误", "Wrong username or password"),
    "username": ("用户名", "Username"), "password": ("密码", "Password"),
    "worklist": ("工作清单", "Worklist"), "referrals": ("转介", "Referrals"), "stats": ("统计", "Statistics"),
    "verify": ("链校验", "Verify chains"), "access_log": ("查阅记录", "Access log"),
    "jurisdiction": ("辖区", "Jurisdiction"), "filter": ("筛选", "Filter"), "show": ("显示", "Show"),
    "overdue_children": ("走访逾期的儿童", "Children overdue for a visit"),
    "red_without": ("红色等级且无干预的儿童", "Red children without an intervention"),
    "tasks": ("待办任务", "Tasks"), "late_referrals": ("超过期限的转介", "Referrals past their deadline"),
    "name": ("姓名", "Name"), "risk": ("风险等级", "Risk level"), "next_due": ("下次走访", "Next visit due"),
    "last_visit": ("上次走访", "Last visit"), "flags": ("提示", "Flags"), "none": ("无", "None"),
    "kind": ("类型", "Kind"), "due": ("期限", "Due"), "title": ("事项", "Item"),
    "department": ("部门", "Department"), "status": ("状态", "Status"), "child": ("儿童", "Child"),
    "sent": ("发出", "Sent"), "accept_by": ("接收期限", "Accept by"), "accepted": ("接收", "Accepted"),
    "complete_by": ("办结期限", "Complete by"), "completed": ("办结", "Completed"),
    "response": ("响应用时", "Response time"), "overdue": ("逾期", "Overdue"), "yes": ("是", "yes"), "no": ("否", "no"),
    "child_file": ("一人一档", "Child's file"), "categories": ("重点群体", "Categories"),
    "withheld": ("已隐去", "Withheld"), "id_number": ("身份证号", "ID number"), "address": ("住址", "Address"),
    "birth_date": ("出生日期", "Birth date"), "guardians": ("监护人", "Guardians"),
    "as_of": ("按时间查看", "As of a date"), "as_of_date": ("日期", "Date"),
    "basis": ("依据", "Basis"), "basis_recorded": ("当时系统所知", "What the system knew then"),
    "basis_occurred": ("截至当时已发生（按现知）", "What had happened by then (as known now)"),
    "as_of_now": ("当前状态", "Status now"), "status_at": ("状态，截至", "Status as of"),
    "not_registered": ("该日期尚未登记", "Not registered by that date"),
    "timeline": ("时间线", "Timeline"), "event": ("事件", "Event"), "actor": ("操作人", "Actor"),
    "device": ("设备", "Device"), "occurred": ("发生时间", "Occurred"), "recorded": ("记录时间", "Recorded"),
    "late": ("迟报", "Late"), "position": ("位置", "Position"),
    "photos": ("照片", "Photos"), "original": ("原图", "Original"), "evidence_ok": ("证据无异常", "No evidence flags"),
    "plot": ("走访位置（相对住址，米）", "Visit positions (metres from the home)"),
    "home": ("住址位置", "Home"), "visit": ("走访", "Visit"), "no_positions": ("没有可画的位置", "No positions to plot"),
    "from": ("自", "From"), "to": ("至", "To"), "download": ("下载", "Download"),
    "chain_ok": ("所有哈希链完整", "Every hash chain is intact"), "chain_broken": ("发现断链", "Broken links found"),
    "streams_checked": ("检查的流", "Streams checked"), "events_checked": ("检查的事件", "Events checked"),
    "child_id": ("儿童编号", "Child id"), "run": ("执行", "Run"), "who": ("查阅人", "Who"),
    "when": ("时间", "When"), "what": ("内容", "What"), "where": ("途径", "Where"),
    "refused": ("无权访问", "Not allowed"), "error": ("出错了", "Something went wrong"),
    "back": ("返回工作清单", "Back to the worklist"), "language": ("语言", "Language"),
    "skip": ("跳到正文", "Skip to the content"), "scope": ("范围", "Scope"), "nothing": ("没有记录", "Nothing here"),
    "reason": ("原因", "Reason"), "stream": ("流", "Stream"), "version": ("版本", "Version"),
    "data": ("内容", "Details"), "newest_first": ("最新在前。", "Newest first."),
    "older": ("更早的事件", "Older events"), "newer": ("较新的事件", "Newer events"), "chart": ("图表", "Chart"), "open": ("打开", "Open"),
}

VOCABULARIES: Final[dict[str, type[StrEnum]]] = {
    "risk": RiskLevel, "category": Category, "department": Department, "role": Role, "visit_type": VisitType,
    "referral_status": ReferralStatus, "intervention": InterventionType,
}


def language(request: Request[Any, Any, Any]) -> str:
    """`?lang=` when given (it is then kept in a cookie), else the cookie, else Chinese."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LANGUAGES else "zh"


def words(lang: str) -> Callable[[str], str]:
    """The translator a template calls: `t("worklist")`."""
    index = LANGUAGES.index(lang)
    return lambda key: WORDS[key][index] if key in WORDS else key


def labels(lang: str) -> Callable[[str, str | None], str]:
    """`label("risk", "red")` → 红 or Red; an unknown code is shown as it is."""
    index = LANGUAGES.index(lang)

    def label(vocabulary: str, code: str | None) -> str:
        if code is None:
            return "—"
        table = LABELS.get(VOCABULARIES[vocabulary], {})
        return table[code][index] if code in table else code

    return label
