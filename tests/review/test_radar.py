"""The radar chart (雷达图) as plain SVG: one axis per label, at most two series, every text escaped."""

import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from review.radar import CENTRE, RADIUS, RINGS, Series, radar_svg

SEVEN = ["领导", "战略", "顾客与市场", "资源", "过程管理", "测量、分析与改进", "结果"]
SVG = "{http://www.w3.org/2000/svg}"


def polygons(svg: str) -> list[list[tuple[float, float]]]:
    root = ET.fromstring(svg)  # noqa: S314 - our own markup
    return [
        [tuple(float(n) for n in point.split(",")) for point in polygon.get("points").split()]
        for polygon in root.iter(f"{SVG}polygon")
    ]


def test_radar_is_well_formed_svg_with_one_axis_and_label_per_category():
    svg = radar_svg(SEVEN, [Series("材料评审", tuple([Decimal("0.5")] * 7))])

    root = ET.fromstring(svg)  # noqa: S314 - our own markup
    assert root.tag == f"{SVG}svg"
    assert len(list(root.iter(f"{SVG}line"))) == 7
    assert [text.text for text in root.iter(f"{SVG}text")] == [*SEVEN, "材料评审"]


def test_rings_and_series_are_polygons_with_one_point_per_axis():
    svg = radar_svg(SEVEN, [Series("材料评审", (0.5,) * 7), Series("现场评审", (1,) * 7)])

    shapes = polygons(svg)
    assert len(shapes) == len(RINGS) + 2
    assert {len(shape) for shape in shapes} == {7}


def test_first_axis_points_up_and_shares_scale_the_radius():
    svg = radar_svg(["a", "b", "c"], [Series("s", (Decimal("0.5"), Decimal("0"), Decimal("1")))])

    series = polygons(svg)[-1]
    assert series[0] == (CENTRE, CENTRE - RADIUS * 0.5)
    assert series[1] == (CENTRE, CENTRE)
    x, y = series[2]
    assert math.hypot(x - CENTRE, y - CENTRE) == pytest.approx(RADIUS, abs=0.1)


@pytest.mark.parametrize(("share", "expected_radius"), [(-0.5, 0), (1.7, RADIUS), (float("nan"), 0)])
def test_shares_outside_zero_to_one_are_clamped(share, expected_radius):
    svg = radar_svg(["a", "b", "c"], [Series("s", (share, share, share))])

    x, y = polygons(svg)[-1][0]
    assert math.hypot(x - CENTRE, y - CENTRE) == pytest.approx(expected_radius, abs=0.1)


def test_labels_series_names_and_title_are_escaped():
    svg = radar_svg(['<script>alert("x")</script>', "b", "c"], [Series("<b>&", (0, 0, 0))], title='"><x')

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&lt;b&gt;&amp;" in svg
    assert 'aria-label="&quot;&gt;&lt;x"' in svg
    ET.fromstring(svg)  # noqa: S314 - still well formed


def test_second_series_is_dashed():
    svg = radar_svg(["a", "b", "c"], [Series("1", (1, 1, 1)), Series("2", (1, 1, 1))])

    assert len(re.findall(r"stroke-dasharray", svg)) == 1


@pytest.mark.parametrize(
    ("labels", "series"),
    [
        (["a", "b"], []),
        (["a", "b", "c"], [Series("1", (0, 0, 0))] * 3),
        (["a", "b", "c"], [Series("1", (0, 0))]),
    ],
)
def test_radar_refuses_too_few_axes_too_many_series_or_a_short_series(labels, series):
    with pytest.raises(ValueError):
        radar_svg(labels, series)
