"""Every code of the domain with its Chinese and English label, in one place."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Final

import msgspec


class Term(msgspec.Struct, frozen=True, kw_only=True):
    """One code of a vocabulary with its labels."""

    code: str
    zh: str
    en: str


class Role(StrEnum):
    GRID_WORKER = "grid_worker"
    CHILD_DIRECTOR = "child_director"
    SUPERVISOR = "supervisor"
    DEPARTMENT_HANDLER = "department_handler"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Department(StrEnum):
    POLICE = "police"
    CIVIL_AFFAIRS = "civil_affairs"
    EDUCATION = "education"
    JUDICIAL = "judicial"
    WOMENS_FEDERATION = "womens_federation"
    YOUTH_LEAGUE = "youth_league"
    HEALTH = "health"
    DISABLED_FEDERATION = "disabled_federation"
    PROCURATORATE = "procuratorate"
    COURT = "court"
    CULTURE = "culture"


class Category(StrEnum):
    LEFT_BEHIND = "left_behind"
    IN_DISTRESS = "in_distress"
    DE_FACTO_UNSUPPORTED = "de_facto_unsupported"
    ORPHAN = "orphan"
    DISABLED = "disabled"
    IDLE_MINOR = "idle_minor"
    CHILD_OF_INCARCERATED = "child_of_incarcerated"
    SERIOUS_MISCONDUCT = "serious_misconduct"
    DIVORCED_FAMILY = "divorced_family"
    CRIME_VICTIM = "crime_victim"
    EARLY_MARRIAGE_RISK = "early_marriage_risk"
    UNREGISTERED = "unregistered"


class RiskLevel(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class VisitType(StrEnum):
    HOME = "home"
    SCHOOL = "school"
    PHONE = "phone"
    OTHER = "other"


class ReportSource(StrEnum):
    HOTLINE = "hotline"
    MANDATORY = "mandatory"
    SENTINEL = "sentinel"
    WALK_IN = "walk_in"


class ReporterInstitution(StrEnum):
    """Where a mandatory reporter or sentinel place (监测哨点) stands: the five kinds of sentinel place and more."""

    SCHOOL = "school"
    KINDERGARTEN = "kindergarten"
    HOSPITAL = "hospital"
    HOTEL = "hotel"
    INTERNET_CAFE = "internet_cafe"
    COMMUNITY = "community"
    POLICE_STATION = "police_station"
    SOCIAL_ORG = "social_org"
    OTHER = "other"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class TriageDecision(StrEnum):
    REFER = "refer"
    MONITOR = "monitor"
    NO_ACTION = "no_action"


class InterventionType(StrEnum):
    PSYCHOLOGICAL = "psychological"
    LIVING_ASSISTANCE = "living_assistance"
    MEDICAL_ASSISTANCE = "medical_assistance"
    EDUCATION_SUPPORT = "education_support"
    LEGAL_AID = "legal_aid"
    TEMPORARY_GUARDIANSHIP = "temporary_guardianship"
    FAMILY_EDUCATION_GUIDANCE = "family_education_guidance"
    GUARDIAN_ADMONITION = "guardian_admonition"
    ONE_TO_ONE_PAIRING = "one_to_one_pairing"


class ReferralStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"


class InterventionStatus(StrEnum):
    PLANNED = "planned"
    STARTED = "started"
    ENDED = "ended"


class ClosureReason(StrEnum):
    AGED_OUT = "aged_out"
    MOVED_AWAY = "moved_away"
    RISK_RESOLVED = "risk_resolved"
    DECEASED = "deceased"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Crs(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


LABELS: Final[dict[type[StrEnum], dict[str, tuple[str, str]]]] = {
    Role: {
        "grid_worker": ("网格员", "Grid worker"),
        "child_director": ("儿童主任", "Village child director"),
        "supervisor": ("儿童督导员", "Child-protection supervisor"),
        "department_handler": ("部门经办人", "Department handler"),
        "auditor": ("未成年人权益督查专员", "Minor-rights auditor"),
        "admin": ("系统管理员", "Administrator"),
    },
    Department: {
        "police": ("派出所", "Police station"),
        "civil_affairs": ("民政/社事办", "Civil affairs"),
        "education": ("学校/教育", "School / education"),
        "judicial": ("司法所", "Judicial office"),
        "womens_federation": ("妇联", "Women's federation"),
        "youth_league": ("团委", "Youth league"),
        "health": ("卫生院/卫健", "Health centre"),
        "disabled_federation": ("残联", "Disabled persons' federation"),
        "procuratorate": ("检察院", "Procuratorate"),
        "court": ("法院", "Court"),
        "culture": ("文化服务中心", "Cultural service centre"),
    },
    Category: {
        "left_behind": ("农村留守儿童", "Rural left-behind child"),
        "in_distress": ("困境儿童", "Child in distress"),
        "de_facto_unsupported": ("事实无人抚养儿童", "De facto unsupported child"),
        "orphan": ("孤儿(含散居孤儿)", "Orphan (incl. scattered orphans)"),
        "disabled": ("残疾儿童", "Child with a disability"),
        "idle_minor": ("闲散未成年人", "Idle minor"),
        "child_of_incarcerated": ("服刑在戒人员未成年子女", "Child of an incarcerated parent"),
        "serious_misconduct": ("有严重不良行为未成年人", "Minor with serious misconduct"),
        "divorced_family": ("离婚家庭未成年人", "Minor of a divorced family"),
        "crime_victim": ("未成年刑事案件受害人", "Minor victim of crime"),
        "early_marriage_risk": ("早婚早育风险", "Early marriage risk"),
        "unregistered": ("无户籍", "Unregistered (no hukou)"),
    },
    RiskLevel: {
        "red": ("红", "Red: immediate danger"),
        "orange": ("橙", "Orange: serious risk, one-to-one pairing"),
        "yellow": ("黄", "Yellow: needs watching"),
        "blue": ("蓝", "Blue: routine follow-up"),
    },
    Sex: {"male": ("男", "Male"), "female": ("女", "Female")},
    VisitType: {
        "home": ("入户走访", "Home visit"),
        "school": ("校园走访", "School visit"),
        "phone": ("电话随访", "Phone follow-up"),
        "other": ("其他", "Other"),
    },
    ReportSource: {
        "hotline": ("热线(12345/12355/12338)", "Hotline"),
        "mandatory": ("强制报告", "Mandatory report"),
        "sentinel": ("监测哨点", "Sentinel report"),
        "walk_in": ("来访", "Walk-in"),
    },
    ReporterInstitution: {
        "school": ("学校", "School"),
        "kindergarten": ("幼儿园", "Kindergarten"),
        "hospital": ("医疗机构", "Hospital or clinic"),
        "hotel": ("旅馆/宾馆", "Hotel"),
        "internet_cafe": ("网吧", "Internet cafe"),
        "community": ("村(社区)", "Village or community"),
        "police_station": ("派出所", "Police station"),
        "social_org": ("社会组织", "Social organisation"),
        "other": ("其他", "Other"),
    },
    Urgency: {"normal": ("一般", "Normal"), "urgent": ("紧急", "Urgent")},
    TriageDecision: {
        "refer": ("转介", "Refer"),
        "monitor": ("持续关注", "Monitor"),
        "no_action": ("无需处置", "No action"),
    },
    InterventionType: {
        "psychological": ("心理干预", "Psychological intervention"),
        "living_assistance": ("生活救助", "Living assistance"),
        "medical_assistance": ("医疗救助", "Medical assistance"),
        "education_support": ("教育资助/转学安置", "Education support"),
        "legal_aid": ("法律援助", "Legal aid"),
        "temporary_guardianship": ("临时监护", "Temporary guardianship"),
        "family_education_guidance": ("家庭教育指导", "Family education guidance"),
        "guardian_admonition": ("训诫", "Guardian admonition"),
        "one_to_one_pairing": ("结对帮扶", "One-to-one pairing"),
    },
    ReferralStatus: {
        "sent": ("已转介", "Sent"),
        "accepted": ("已受理", "Accepted"),
        "declined": ("已退回", "Declined"),
        "completed": ("已办结", "Completed"),
    },
    InterventionStatus: {
        "planned": ("已计划", "Planned"),
        "started": ("进行中", "Started"),
        "ended": ("已结束", "Ended"),
    },
    ClosureReason: {
        "aged_out": ("年满十八周岁", "Turned 18"),
        "moved_away": ("迁出", "Moved away"),
        "risk_resolved": ("风险消除", "Risk resolved"),
        "deceased": ("死亡", "Deceased"),
        "duplicate": ("重复登记", "Duplicate record"),
        "other": ("其他", "Other"),
    },
    Crs: {
        "wgs84": ("WGS-84", "WGS-84 (GPS)"),
        "gcj02": ("GCJ-02", "GCJ-02 (Chinese map SDKs)"),
        "bd09": ("BD-09", "BD-09 (Baidu)"),
    },
}

DEFAULT_VISIT_INTERVALS: Final[dict[RiskLevel, timedelta]] = {
    RiskLevel.RED: timedelta(days=3),
    RiskLevel.ORANGE: timedelta(days=7),
    RiskLevel.YELLOW: timedelta(days=30),
    RiskLevel.BLUE: timedelta(days=90),
}

RISK_ORDER: Final[dict[RiskLevel, int]] = {
    RiskLevel.BLUE: 0,
    RiskLevel.YELLOW: 1,
    RiskLevel.ORANGE: 2,
    RiskLevel.RED: 3,
}


def terms(vocabulary: type[StrEnum]) -> list[Term]:
    """The codes of one vocabulary with their labels, in declaration order."""
    labels = LABELS[vocabulary]
    return [Term(code=m.value, zh=labels[m.value][0], en=labels[m.value][1]) for m in vocabulary]


def label_zh(vocabulary: type[StrEnum], code: str) -> str:
    """The Chinese label of a code."""
    return LABELS[vocabulary][code][0]
