"""Settings from the environment (HUHANG_*), read once at the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import msgspec

from events.vocabulary import DEFAULT_VISIT_INTERVALS, RiskLevel


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    """The numbers a region may change; the rules that use them stay."""

    visit_intervals: dict[RiskLevel, timedelta] = msgspec.field(
        default_factory=lambda: dict(DEFAULT_VISIT_INTERVALS)
    )
    accept_within: timedelta = timedelta(hours=24)
    accept_within_red: timedelta = timedelta(hours=2)
    complete_within: timedelta = timedelta(days=30)
    triage_within: timedelta = timedelta(hours=24)
    triage_within_urgent: timedelta = timedelta(hours=2)
    red_intervention_within: timedelta = timedelta(hours=24)
    closure_decision_within: timedelta = timedelta(days=7)
    """A closure request waits this long for a supervisor before its `closure_approval` task is overdue."""
    future_tolerance: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=90)
    late_after: timedelta = timedelta(hours=24)
    far_from_home_m: float = 500.0
    photo_distance_m: float = 500.0
    photo_time_window: timedelta = timedelta(hours=12)
    low_accuracy_m: float = 200.0


Positive = Annotated[float, msgspec.Meta(gt=0)]


class PolicyFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A county's own numbers (HUHANG_POLICY_FILE, JSON): any of them; the rest keep the defaults."""

    visit_interval_days: dict[RiskLevel, Positive] = {}
    accept_within_hours: Positive | None = None
    accept_within_red_hours: Positive | None = None
    complete_within_days: Positive | None = None
    triage_within_hours: Positive | None = None
    triage_within_urgent_hours: Positive | None = None
    late_after_hours: Positive | None = None
    max_age_days: Positive | None = None


class PolicyError(ValueError):
    """The policy file cannot be used: the server refuses to start, saying why."""


def policy_from_file(path: Path, base: Policy) -> Policy:
    """`base` with the file's numbers in place; refused whole (PolicyError) if the file is not a valid policy."""
    try:
        given = msgspec.json.decode(path.read_bytes(), type=PolicyFile)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PolicyError(f"the policy file {path} cannot be used: {exc}") from None
    hours, days = (lambda v: timedelta(hours=v)), (lambda v: timedelta(days=v))
    changes: dict[str, Any] = {
        name: convert(value)
        for name, value, convert in [
            ("accept_within", given.accept_within_hours, hours), ("accept_within_red", given.accept_within_red_hours, hours),
            ("complete_within", given.complete_within_days, days), ("triage_within", given.triage_within_hours, hours),
            ("triage_within_urgent", given.triage_within_urgent_hours, hours),
            ("late_after", given.late_after_hours, hours), ("max_age", given.max_age_days, days),
        ]
        if value is not None
    }
    intervals = dict(base.visit_intervals) | {level: days(v) for level, v in given.visit_interval_days.items()}
    ordered = [intervals[level] for level in (RiskLevel.RED, RiskLevel.ORANGE, RiskLevel.YELLOW, RiskLevel.BLUE)]
    if ordered != sorted(ordered):
        raise PolicyError(f"the policy file {path}: a higher risk level must be visited at least as often as a lower one")
    if changes.get("accept_within_red", base.accept_within_red) > changes.get("accept_within", base.accept_within):
        raise PolicyError(f"the policy file {path}: a red child's referral cannot wait longer than another's")
    return msgspec.structs.replace(base, visit_intervals=intervals, **changes)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Where data lives and which services to use."""

    data_dir: Path = Path("var")
    database_url: str | None = None
    cipher_key: str | None = None
    jwt_secret: str | None = None
    token_ttl: timedelta = timedelta(hours=12)
    aggregate_cache_size: int = 10_000
    s3_endpoint: str | None = None
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "huhang-photos"
    s3_secure: bool = False
    max_photo_bytes: int = 30 * 1024 * 1024
    max_photo_pixels: int = 50_000_000
    login_address_limit: int = 100
    """Failed logins one client address may make in 15 minutes before it waits."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of reverse proxies whose X-Forwarded-For is believed; none by default."""
    nats_url: str | None = None
    nats_stream: str = "HUHANG_EVENTS"
    nats_duplicate_window: timedelta = timedelta(hours=2)
    nats_max_age: timedelta | None = None
    nats_replicas: int = 1
    relay_stall_after: timedelta = timedelta(seconds=60)
    """Behind the log with no progress for this long, the relay counts as stalled (/ready says so)."""
    decode_budget_bytes: int = 400 * 1024 * 1024
    """Decoded image bytes one process may hold at once; an upload past it gets 503 and Retry-After."""
    decode_concurrency: int = 2
    """Photos decoded at once by one process (decoding is CPU-bound)."""
    decode_wait: timedelta = timedelta(seconds=20)
    """How long an upload waits for room in the decode budget before it is answered 503."""
    header_timeout: timedelta = timedelta(seconds=15)
    """A request's whole header must arrive within this; a slower client is disconnected."""
    body_timeout: timedelta = timedelta(seconds=20)
    """A request's body must arrive within this, extended by a second for every `body_min_rate` bytes received."""
    body_min_rate: int = 500
    """Bytes a second that keep a slow upload going (a 30 MB photo at 3G speeds finishes; a trickle does not)."""
    console_tile_url: str | None = None
    """A map tile service (`https://host/{z}/{x}/{y}.png`) drawn behind the console's visit plot; its origin is
    the only one outside the server the console's pages may load from. Unset: no tiles, nothing from outside."""
    policy: Policy = msgspec.field(default_factory=Policy)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "huhang.sqlite3"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from HUHANG_* variables; anything unset keeps its default."""
        env = os.environ if environ is None else environ
        hours = env.get("HUHANG_LATE_AFTER_HOURS")
        max_age_days = env.get("HUHANG_MAX_AGE_DAYS")
        policy = Policy(
            late_after=timedelta(hours=float(hours)) if hours else timedelta(hours=24),
            max_age=timedelta(days=float(max_age_days)) if max_age_days else timedelta(days=90),
        )
        if env.get("HUHANG_POLICY_FILE"):
            policy = policy_from_file(Path(env["HUHANG_POLICY_FILE"]), policy)
        return cls(
            data_dir=Path(env.get("HUHANG_DATA_DIR", "var")),
            database_url=env.get("HUHANG_DATABASE_URL") or None,
            cipher_key=env.get("HUHANG_CIPHER_KEY") or None,
            jwt_secret=env.get("HUHANG_JWT_SECRET") or None,
            s3_endpoint=env.get("HUHANG_S3_ENDPOINT") or None,
            s3_access_key=env.get("HUHANG_S3_ACCESS_KEY", ""),
            s3_secret_key=env.get("HUHANG_S3_SECRET_KEY", ""),
            s3_bucket=env.get("HUHANG_S3_BUCKET", "huhang-photos"),
            s3_secure=env.get("HUHANG_S3_SECURE", "").lower() in ("1", "true", "yes"),
            login_address_limit=int(env.get("HUHANG_LOGIN_ADDRESS_LIMIT") or 100),
            trusted_proxies=tuple(p.strip() for p in env.get("HUHANG_TRUSTED_PROXIES", "").split(",") if p.strip()),
            nats_url=env.get("HUHANG_NATS_URL") or None,
            nats_replicas=int(env.get("HUHANG_NATS_REPLICAS", "1")),
            console_tile_url=env.get("HUHANG_CONSOLE_TILE_URL") or None,
            **_limits(env),
            policy=policy,
        )


def _limits(env: Mapping[str, str]) -> dict[str, Any]:
    """Per-process limits (HUHANG_RELAY_STALL_SECONDS, HUHANG_DECODE_BUDGET_MB, HUHANG_DECODE_CONCURRENCY,
    HUHANG_DECODE_WAIT_SECONDS, HUHANG_HEADER_TIMEOUT_SECONDS, HUHANG_BODY_TIMEOUT_SECONDS, HUHANG_BODY_MIN_RATE) that are set; the rest keep their defaults."""
    seconds = {"relay_stall_after": "HUHANG_RELAY_STALL_SECONDS", "header_timeout": "HUHANG_HEADER_TIMEOUT_SECONDS",
               "body_timeout": "HUHANG_BODY_TIMEOUT_SECONDS", "decode_wait": "HUHANG_DECODE_WAIT_SECONDS"}
    out: dict[str, Any] = {name: timedelta(seconds=float(env[key])) for name, key in seconds.items() if env.get(key)}
    if env.get("HUHANG_DECODE_BUDGET_MB"):
        out["decode_budget_bytes"] = int(float(env["HUHANG_DECODE_BUDGET_MB"]) * 1024 * 1024)
    if env.get("HUHANG_BODY_MIN_RATE"):
        out["body_min_rate"] = int(env["HUHANG_BODY_MIN_RATE"])
    if env.get("HUHANG_DECODE_CONCURRENCY"):
        out["decode_concurrency"] = int(env["HUHANG_DECODE_CONCURRENCY"])
    return out
