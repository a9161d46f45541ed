"""The console's server-drawn charts and its content security policy, with values worked out by hand."""

from __future__ import annotations

import re

import pytest

from mobile_api.console.charts import Position, bars, fit, nice_step, positions_plot, tile_corner, zoom_for
from mobile_api.console.render import content_security_policy, county_time

HOME = (26.5783, 106.7135)


@pytest.mark.parametrize(("extent", "step"), [(50, 20), (57.5, 20), (300, 100), (1000, 500), (4000, 2000), (7, 5)])
def test_grid_steps_are_round_and_give_three_to_six_lines(extent: float, step: float) -> None:
    assert nice_step(extent) == pytest.approx(step)


def test_a_visit_north_of_the_home_is_drawn_above_it_and_a_flagged_one_as_a_square() -> None:
    """The farthest visit is drawn at 150/1.15 = 130.43 px from the centre (180, 180), whatever its distance."""
    north = positions_plot("t", "家", HOME, [Position(label="v", lat=HOME[0] + 0.001, lon=HOME[1], flagged=False)])
    assert 'cx="180.0" cy="49.6"' in str(north)
    east = positions_plot("t", "家", HOME, [Position(label="v", lat=HOME[0], lon=HOME[1] + 0.002, flagged=True)])
    assert '<rect x="305.4" y="175.0" width="10" height="10"' in str(east)  # centre 310.43 - 5, 180 - 5


def test_the_plot_names_distances_in_metres_and_escapes_labels() -> None:
    plot = str(positions_plot("<b>", "家", HOME, [Position(label="<i>", lat=HOME[0] + 0.001, lon=HOME[1], flagged=False)]))
    assert "<b>" not in plot and "<i>" not in plot and "&lt;i&gt; · 111 m" in plot
    assert "<image" not in plot  # no tiles unless a tile service is configured


def test_a_configured_tile_service_draws_the_three_by_three_tiles_around_the_home() -> None:
    plot = str(positions_plot("t", "家", HOME, [], "https://tiles.example.cn/{z}/{x}/{y}.png"))
    images = re.findall(r'href="https://tiles\.example\.cn/(\d+)/(\d+)/(\d+)\.png"', plot)
    # the plot spans 50 m around the home; at 26.58° a zoom-19 tile is 40 075 016.686 × cos 26.58° / 2^19 = 68.4 m
    assert len(images) == 9 and {z for z, _, _ in images} == {"19"}
    # the home's tile by the slippy-map formula (x = ⌊(lon+180)/360·2^z⌋, y = ⌊(1 − ln(tan φ + sec φ)/π)/2·2^z⌋)
    assert {(int(x), int(y)) for _, x, y in images} == {(x, y) for x in (417555, 417556, 417557)
                                                         for y in (221967, 221968, 221969)}


def test_tile_geometry() -> None:
    assert tile_corner(0, 0, 0) == pytest.approx((85.0511287798, -180.0))
    assert tile_corner(1, 1, 1) == pytest.approx((0.0, 0.0), abs=1e-12)
    assert zoom_for(100, 0.0) == 18  # 40 075 016.686 m / 2^18 = 152.9 m ≥ 100 m; 2^19 gives 76.4 m
    assert zoom_for(50, 60.0) == 18  # at 60° a tile is half as wide: 76.4 m at 18


def test_bars_write_each_value_and_a_cell_shown_as_under_five_has_no_bar() -> None:
    chart = str(bars("类别", [("留守", 3), ("受害", "<5")]))
    assert 'width="130.0"' in chart and ">3</text>" in chart
    assert 'width="0.0"' in chart and ">&lt;5</text>" in chart


def test_the_policy_allows_nothing_but_the_server_and_a_configured_tile_origin() -> None:
    assert content_security_policy(None) == (
        "default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    with_tiles = content_security_policy("https://tiles.example.cn:8443/{z}/{x}/{y}.png")
    assert "img-src 'self' https://tiles.example.cn:8443;" in with_tiles
    assert with_tiles.replace(" https://tiles.example.cn:8443", "") == content_security_policy(None)


def test_times_are_shown_in_china_standard_time() -> None:
    assert county_time("2026-11-24T04:14:00+00:00") == "2026-11-24 12:14"
    assert county_time("2026-11-23T20:00:00Z") == "2026-11-24 04:00"
    assert county_time(None) == "—"


def test_the_tile_service_is_read_from_the_environment_and_unset_by_default() -> None:
    from backend.settings import Settings

    assert Settings.from_env({}).console_tile_url is None
    url = "https://tiles.example.cn/{z}/{x}/{y}.png"
    assert Settings.from_env({"HUHANG_CONSOLE_TILE_URL": url}).console_tile_url == url


def test_a_long_label_is_shortened_to_fit_and_kept_whole_in_its_title() -> None:
    assert fit("蓝") == "蓝"
    # 热线 24 px, then 7 px each: "(12345/12" ends at 87 px, "3" at 94, "5" at 101 > 100: the "3" gives way to "…"
    assert fit("热线(12345/12355/12338)", 100) == "热线(12345/12…"
    chart = str(bars("t", [("热线(12345/12355/12338)" * 3, 1)]))
    assert "<title>" + "热线(12345/12355/12338)" * 3 + "</title>" in chart
