"""The computer-use models' coordinate spaces and their scaling to the screen (pure, no X)."""

import pytest

from xhands.daemon.dialects.agents import Scaling, recommended_size
from xhands.daemon.errors import ApiError


@pytest.mark.parametrize("screen, model", [
    ((1920, 1080), (1366, 768)),  # 16:9: FWXGA
    ((2560, 1600), (1280, 800)),  # 16:10: WXGA
    ((1600, 1200), (1024, 768)),  # 4:3: XGA
    ((1280, 800), (1280, 800)),  # WXGA itself: not smaller, so the screen's own size
    ((1024, 768), (1024, 768)),
    ((2560, 1080), (2560, 1080)),  # 21:9: no size is near its aspect ratio
    ((1366, 768), (1366, 768)),
])
def test_recommended_size_is_the_largest_smaller_size_of_nearly_the_same_aspect(screen, model):
    assert recommended_size(screen) == model


def test_a_model_point_lands_where_it_means_on_the_screen():
    scaling = Scaling((1920, 1080), (1366, 768))
    assert scaling.to_screen(512, 384) == (720, 540)
    assert scaling.to_screen(0, 0) == (0, 0)
    assert scaling.to_screen(1365, 767) == (1919, 1079)  # the last model pixel stays on the screen


def test_screen_points_go_back_to_the_model_within_a_pixel():
    scaling = Scaling((1920, 1080), (1366, 768))
    for x, y in [(0, 0), (512, 384), (1000, 700), (1365, 767)]:
        back = scaling.to_model(*scaling.to_screen(x, y))
        assert abs(back[0] - x) <= 1 and abs(back[1] - y) <= 1


@pytest.mark.parametrize("point", [(1366, 10), (10, 768), (-1, 0), (0, -5)])
def test_a_point_outside_the_model_space_is_an_error_naming_the_range(point):
    with pytest.raises(ApiError) as raised:
        Scaling((1920, 1080), (1366, 768)).to_screen(*point)
    assert raised.value.status == 400
    assert "x must be 0..1365 and y 0..767" in raised.value.message


def test_screenshots_are_scaled_exactly_to_the_model_space_or_not_at_all():
    assert Scaling((1920, 1080), (1366, 768)).screenshot_params() == {
        "scale_to": {"width": 1366, "height": 768, "keep_aspect": False}}
    assert Scaling((1280, 800), (1280, 800)).screenshot_params() == {}
