"""Photo decoding is bounded per process: past the budget an upload is answered 503 with Retry-After."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import TestClient
from PIL import Image

from backend.identity import SYSTEM
from backend.settings import Settings
from media.budget import DecodeBudget, DecodeBusy, decoded_bytes
from mobile_api.app import create_app
from mobile_api.services import Services
from tests.conftest import Clock
from tests.media.images import jpeg

PASSWORD = "budget-password-1"


def png(side: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (side, side)).save(out, "PNG")
    return out.getvalue()


def test_decoded_bytes_counts_four_bytes_a_pixel_and_a_copy_for_alpha() -> None:
    assert decoded_bytes(Image.open(io.BytesIO(png(100)))) == 100 * 100 * 4
    assert decoded_bytes(Image.open(io.BytesIO(png(100, "RGBA")))) == 100 * 100 * 4 * 2


def test_a_jpeg_is_counted_at_its_draft_size() -> None:
    image = Image.open(io.BytesIO(jpeg(2560, 1920)))
    image.draft("RGB", (320, 320))
    # JPEG scales by 1/2, 1/4 or 1/8, at most min(2560/320, 1920/320) = 6: a quarter, 640 × 480.
    assert decoded_bytes(image) == 640 * 480 * 4


def test_the_budget_refuses_past_its_bytes_and_its_count_and_runs_an_oversized_decode_alone() -> None:
    budget = DecodeBudget(max_bytes=100, concurrency=2, wait=0)
    with budget.reserve(60):
        with pytest.raises(DecodeBusy), budget.reserve(60):
            pass
        with budget.reserve(40), pytest.raises(DecodeBusy), budget.reserve(1):
            pass
    with budget.reserve(1000):  # larger than the whole budget: alone
        with pytest.raises(DecodeBusy):
            with budget.reserve(1):
                pass
    assert budget.used == 0 and budget.running == 0


@pytest.fixture
def services(tmp_path: Path, clock: Clock) -> Iterator[Services]:
    warnings.simplefilter("ignore")
    settings = Settings(data_dir=tmp_path, decode_budget_bytes=1024 * 1024, decode_concurrency=1,
                        decode_wait=timedelta(0))
    built = Services(settings, clock)
    built.app.users.add(SYSTEM, "director", "child_director", "520302/001", PASSWORD)
    yield built


def signed_in(client: TestClient[Any]) -> str:
    answer = client.post("/api/v1/auth/login", json={"username": "director", "password": PASSWORD, "device_id": "d"})
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    body = {"submission_id": str(uuid4()), "name": "李娜", "sex": "female", "birth_date": "2014-06-01",
            "jurisdiction": "520302/001/003/01/01", "address": "x", "categories": ["left_behind"]}
    return str(client.post("/api/v1/children", json=body).json()["child_id"])


def test_an_upload_past_the_decode_budget_is_503_with_retry_after_and_stores_nothing(services: Services) -> None:
    with TestClient(create_app(services.settings, services)) as client:
        child = signed_in(client)
        photo = png(600)  # 600 × 600 × 4 bytes: over the 1 MiB budget, so it needs the budget to itself
        head = services.app.store.recorder.max_notification_id()
        with services.decode_budget.reserve(1):  # another upload is being decoded
            busy = client.post("/api/v1/media", files={"file": ("p.png", photo, "image/png")}, data={"child_id": child})
        assert busy.status_code == 503, busy.text
        assert busy.json()["code"] == "decode_busy"
        assert busy.headers["Retry-After"] == "5"
        assert services.app.store.recorder.max_notification_id() == head
        later = client.post("/api/v1/media", files={"file": ("p.png", photo, "image/png")}, data={"child_id": child})
        assert later.status_code == 201, later.text
