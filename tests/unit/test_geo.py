"""Coordinate systems against published reference points, and the visit/photo evidence rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from backend.photo import PhotoEvidence, VisitEvidence, evidence_flags, home_flags, photo_flags
from backend.rules.geo import bd09_to_gcj02, distance_m, gcj02_to_wgs84, offset_m, to_wgs84, wgs84_to_gcj02
from backend.settings import Policy
from events.base import Geo
from events.cases import ExifPosition

# Tiananmen: WGS-84 (39.908720, 116.397480) is GCJ-02 (39.910123, 116.403724); BD-09 (39.915, 116.404)
# is GCJ-02 (39.908657, 116.397627) — values published with the standard conversion formulas.


def test_wgs84_to_gcj02_matches_the_published_point() -> None:
    lat, lon = wgs84_to_gcj02(39.908720, 116.397480)
    assert lat == pytest.approx(39.910123, abs=2e-6) and lon == pytest.approx(116.403724, abs=2e-6)


def test_gcj02_back_to_wgs84_is_within_a_metre() -> None:
    back = gcj02_to_wgs84(*wgs84_to_gcj02(26.5783, 106.7135))
    assert distance_m(back, (26.5783, 106.7135)) < 1.0


def test_bd09_to_gcj02_matches_the_published_point() -> None:
    lat, lon = bd09_to_gcj02(39.915, 116.404)
    assert lat == pytest.approx(39.908657, abs=2e-6) and lon == pytest.approx(116.397627, abs=2e-6)


def test_outside_china_no_offset_is_applied() -> None:
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


def test_distance_of_one_degree_of_latitude() -> None:
    assert distance_m((26.0, 106.0), (27.0, 106.0)) == pytest.approx(111_195, rel=1e-3)


def test_a_gcj02_position_at_the_home_is_not_far_from_home() -> None:
    home = Geo(lat=26.5783, lon=106.7135)
    lat, lon = wgs84_to_gcj02(26.5783, 106.7135)  # the same place, as a Chinese map SDK reports it
    assert home_flags(Policy(), Geo(lat=lat, lon=lon, crs="gcj02"), home) == []
    assert home_flags(Policy(), Geo(lat=lat, lon=lon), home) == ["far_from_home"]  # read as WGS-84 it is ~600 m off
    assert to_wgs84(Geo(lat=lat, lon=lon, crs="gcj02")) == pytest.approx((26.5783, 106.7135), abs=1e-5)


def test_photo_flags_for_place_and_time() -> None:
    at = datetime(2026, 11, 1, 10, tzinfo=UTC)
    visit = Geo(lat=26.5783, lon=106.7135)
    near, far = ExifPosition(lat=26.5785, lon=106.7136), ExifPosition(lat=26.60, lon=106.7135)
    assert photo_flags(Policy(), visit, at, at + timedelta(hours=1), near) == []
    assert photo_flags(Policy(), visit, at, at + timedelta(hours=13), far) == ["photo_position_mismatch", "photo_time_mismatch"]


def test_evidence_flags_of_a_visit_and_its_stored_photos() -> None:
    at = datetime(2026, 11, 1, 10, tzinfo=UTC)
    home = Geo(lat=26.5783, lon=106.7135)
    vague_and_far = Geo(lat=26.5883, lon=106.7135, accuracy_m=350)  # ~1.1 km north, 350 m accuracy
    visit = VisitEvidence(occurred_at=at, geo=vague_and_far, child_seen=False, late=True, home_geo=home)
    assert evidence_flags(Policy(), visit, []) == ["child_not_seen", "low_accuracy", "far_from_home", "late"]
    at_home = VisitEvidence(occurred_at=at, geo=home, child_seen=True, late=False, home_geo=home)
    near = ExifPosition(lat=26.5785, lon=106.7136)
    old_photo = PhotoEvidence(taken_at=at - timedelta(days=2), exif_geo=near)
    good_photo = PhotoEvidence(taken_at=at, exif_geo=near)
    assert evidence_flags(Policy(), at_home, [good_photo]) == []
    assert evidence_flags(Policy(), at_home, [good_photo, old_photo, old_photo]) == ["photo_time_mismatch"]
    late_at_home = VisitEvidence(occurred_at=at, geo=home, child_seen=True, late=True, home_geo=home)
    assert evidence_flags(Policy(), late_at_home, [old_photo]) == ["late", "photo_time_mismatch"]
    no_position = VisitEvidence(occurred_at=at, geo=None, child_seen=True, late=False, home_geo=home)
    assert evidence_flags(Policy(), no_position, [PhotoEvidence(taken_at=None, exif_geo=None)]) == ["no_position"]


def test_offset_in_metres_east_and_north_of_an_origin() -> None:
    """A thousandth of a degree of latitude is 111.195 m (Earth radius 6 371 008.8 m); of longitude, that times the
    cosine of the latitude: 111.195 m on the equator, 55.598 m at 60°."""
    assert offset_m((0.0, 0.0), (0.001, 0.0)) == pytest.approx((0.0, 111.195), abs=1e-3)
    assert offset_m((0.0, 0.0), (0.0, 0.001)) == pytest.approx((111.195, 0.0), abs=1e-3)
    assert offset_m((60.0, 106.0), (60.0, 106.001)) == pytest.approx((55.598, 0.0), abs=1e-3)
    assert offset_m((26.5783, 106.7135), (26.5773, 106.7125)) == pytest.approx((-99.444, -111.195), abs=1e-3)


def test_offsets_agree_with_the_great_circle_distance_near_a_home() -> None:
    home = (26.5783, 106.7135)
    for point in [(26.5803, 106.7155), (26.5700, 106.7300), (26.5783, 106.7135)]:
        assert math.hypot(*offset_m(home, point)) == pytest.approx(distance_m(home, point), rel=1e-3, abs=1e-6)
