"""The personal file (一人一档) of a child as a PDF in Chinese, with what the reader may see of it.

The content comes from the same views as every read (child status, visits, referrals, conferences), each through
`backend.disclosure`; only the layout is here. The CJK font is a TrueType collection the set-up installs
(Debian's fonts-wqy-microhei); fpdf2 embeds only the glyphs used, so a file stays small.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from fpdf import FPDF

from backend.errors import DependencyUnavailable
from events.vocabulary import (
    Category,
    Department,
    InterventionStatus,
    InterventionType,
    ReferralStatus,
    RiskLevel,
    Sex,
    VisitType,
    label_zh,
)

FONT_PATHS: Final = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
"""Where the set-up (`make test`, `make run`) installs a CJK font; the first found is used."""
FONT: Final = "cjk"
VISITS_WITH_THUMBNAILS: Final = 20
"""The most recent visits show their photos; older ones list their count, so a file stays bounded."""
THUMBNAILS_PER_VISIT: Final = 3
THUMB_MM: Final = 30


class FileContent:
    """What goes in one child's file, already disclosed for the reader."""

    def __init__(self, status: dict[str, Any], risk_history: list[dict[str, Any]], visits: list[dict[str, Any]],
                 referrals: list[dict[str, Any]], interventions: list[dict[str, Any]],
                 conferences: list[dict[str, Any]], printed_at: datetime, reader: str) -> None:
        self.status = status
        self.risk_history = risk_history
        self.visits = visits
        self.referrals = referrals
        self.interventions = interventions
        self.conferences = conferences
        self.printed_at = printed_at
        self.reader = reader


def font_path() -> Path:
    """The installed CJK font; without one the file cannot be made (503, the set-up installs it)."""
    for path in FONT_PATHS:
        if path.exists():
            return path
    raise DependencyUnavailable("no CJK font is installed for the personal file (fonts-wqy-microhei)")


def render(content: FileContent, thumbnail: Callable[[str], bytes | None]) -> bytes:
    """The PDF of one child's file; `thumbnail(sha256)` gives a stored photo's thumbnail, or None."""
    pdf = FPDF(format="A4")
    pdf.set_compression(True)
    pdf.add_font(FONT, fname=str(font_path()))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_title(f"一人一档 {content.status['name']}")
    _identity(pdf, content)
    _risk_history(pdf, content.risk_history)
    _visits(pdf, content.visits, thumbnail)
    _referrals(pdf, content.referrals)
    _interventions(pdf, content.interventions)
    _conferences(pdf, content.conferences)
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, size=13)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)


def _line(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")


def _withheld(items: Iterable[str]) -> str:
    found = sorted(set(items))
    return f"(已隐去: {', '.join(found)})" if found else ""


def _identity(pdf: FPDF, content: FileContent) -> None:
    s = content.status
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 10, f"儿童个人档案(一人一档) {s['name']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    _line(pdf, f"打印时间 {content.printed_at:%Y-%m-%d %H:%M} UTC · 查阅人 {content.reader}")
    _heading(pdf, "基本信息")
    _line(pdf, f"姓名 {s['name']}  性别 {label_zh(Sex, s['sex'])}  出生日期 {s['birth_date']}")
    _line(pdf, f"身份证号 {s['id_number'] or '无'}")
    _line(pdf, f"辖区 {s['jurisdiction']}  住址 {s['address']}")
    level = s["risk_level"]
    _line(pdf, f"风险等级 {label_zh(RiskLevel, level) if level else '未分级'}  下次走访 {s['next_visit_due'] or '—'}")
    categories = "、".join(label_zh(Category, c) for c in s["categories"]) or "无"
    withheld = [w for w in s["withheld"] if w.startswith("categories:")]
    _line(pdf, f"类别 {categories} {_withheld(withheld)}")
    _heading(pdf, "监护人")
    for g in s["guardians"] or [{"relation": "无", "name": "", "phone": None, "able_to_care": None}]:
        care = {True: "能履行监护", False: "不能履行监护", None: ""}[g.get("able_to_care")]
        _line(pdf, f"{g['relation']} {g['name']} {g.get('phone') or ''} {care}")


def _risk_history(pdf: FPDF, history: list[dict[str, Any]]) -> None:
    _heading(pdf, "风险等级记录")
    if not history:
        _line(pdf, "无")
    for h in history:
        reasons = "; ".join(h["reasons"])
        _line(pdf, f"{h['at'][:16]}  {label_zh(RiskLevel, h['level'])}  {reasons} {_withheld(h['withheld'])}")


def _visits(pdf: FPDF, visits: list[dict[str, Any]], thumbnail: Callable[[str], bytes | None]) -> None:
    _heading(pdf, f"走访记录(共 {len(visits)} 次)")
    recent = len(visits) - VISITS_WITH_THUMBNAILS
    for n, v in enumerate(visits):
        seen = "见到儿童" if v["child_seen"] else "未见到儿童"
        _line(pdf, f"{v['occurred_at'][:16]}  {label_zh(VisitType, v['visit_type'])}  {seen}  照片 {len(v['photos'])} 张")
        words = [t for t in (*v["observations"].values(), v["notes"]) if t]
        if words:
            _line(pdf, "  " + " / ".join(words))
        if v["withheld"]:
            _line(pdf, "  " + _withheld(v["withheld"]))
        if n >= recent:
            _thumbnails(pdf, v["photos"][:THUMBNAILS_PER_VISIT], thumbnail)


def _thumbnails(pdf: FPDF, photos: list[str], thumbnail: Callable[[str], bytes | None]) -> None:
    images = [b for b in (thumbnail(sha) for sha in photos) if b]
    if not images:
        return
    if pdf.get_y() + THUMB_MM > pdf.h - pdf.b_margin:
        pdf.add_page()
    y = pdf.get_y()
    for i, image in enumerate(images):
        pdf.image(io.BytesIO(image), x=pdf.l_margin + i * (THUMB_MM + 3), y=y, h=THUMB_MM)
    pdf.set_y(y + THUMB_MM + 2)


def _referrals(pdf: FPDF, referrals: list[dict[str, Any]]) -> None:
    _heading(pdf, "转介记录")
    if not referrals:
        _line(pdf, "无")
    for r in referrals:
        _line(pdf, f"{r['sent_at'][:16]}  {label_zh(Department, r['department'])}  "
                   f"{label_zh(ReferralStatus, r['status'])}  {r['reason'] or ''} {r['outcome'] or ''}")


def _interventions(pdf: FPDF, interventions: list[dict[str, Any]]) -> None:
    _heading(pdf, "干预救助")
    if not interventions:
        _line(pdf, "无")
    for i in interventions:
        _line(pdf, f"{i['planned_at'][:16]}  {label_zh(InterventionType, i['type'])}  "
                   f"{label_zh(Department, i['department'])}  {label_zh(InterventionStatus, i['status'])}  "
                   f"{i['plan'] or ''} {i['outcome'] or ''}")


def _conferences(pdf: FPDF, conferences: list[dict[str, Any]]) -> None:
    _heading(pdf, "个案会商")
    if not conferences:
        _line(pdf, "无")
    for c in conferences:
        _line(pdf, f"{c['held_at'][:16]}  参加: {'、'.join(c['participants'])}")
        for d in c["decisions"]:
            _line(pdf, f"  决定: {d}")
        for f in c["follow_ups"]:
            if f["text"] is not None:
                done = "已完成" if f["done_at"] else f"限 {f['due_date'] or '—'}"
                _line(pdf, f"  跟进: {f['text']} {f['owner'] or ''} {done}")
        if c["withheld"]:
            _line(pdf, "  " + _withheld(c["withheld"]))
