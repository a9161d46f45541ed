"""Settings from the environment (HUHANG_*), read once at the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

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
    red_intervention_within: timedelta = timedelta(hours=24)
    future_tolerance: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=90)
    late_after: timedelta = timedelta(hours=24)
    far_from_home_m: float = 500.0
    photo_distance_m: float = 500.0
    photo_time_window: timedelta = timedelta(hours=12)
    low_accuracy_m: float = 200.0


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
            policy=policy,
        )
