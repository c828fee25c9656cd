"""Changing the screen's size through RandR.

Measured: Xvnc (TigerVNC 1.12) accepts a new mode of any size on its one output; the sequence that leaves no
protocol error is to switch the CRTC off, size the screen, then switch it on with a mode of that size. Debian's
Xvfb cannot: its largest screen is its start size and its output refuses new modes.
"""

from Xlib.ext import randr

MM_PER_INCH = 25.4
DPI = 96  # the physical size RandR wants alongside the pixels; only the ratio matters to clients


class FixedScreenSize(RuntimeError):
    """The X server cannot change its screen size."""


def resize_screen(display, width: int, height: int) -> None:
    """Make the screen width x height, with one output showing all of it.

    python-xlib keeps the screen's size from when it connected; it is updated here, so everything that reads
    display.screen() (the daemon's size checks) follows at once."""
    root = display.screen().root
    current = root.get_geometry()
    limits = root.xrandr_get_screen_size_range()
    if (limits.max_width, limits.max_height) == (current.width, current.height):
        raise FixedScreenSize(f"this X server cannot change its screen size: RandR offers only its start size, "
                              f"{current.width}x{current.height}")
    if not (limits.min_width <= width <= limits.max_width and limits.min_height <= height <= limits.max_height):
        raise ValueError(f"the screen size must be {limits.min_width}x{limits.min_height} to "
                         f"{limits.max_width}x{limits.max_height}, not {width}x{height}")
    resources = root.xrandr_get_screen_resources()
    crtc = resources.crtcs[0]
    outputs = display.xrandr_get_crtc_info(crtc, resources.config_timestamp).outputs
    mode = _mode_of_size(display, resources, outputs[0], width, height)
    display.xrandr_set_crtc_config(crtc, resources.config_timestamp, 0, 0, 0, randr.Rotate_0, [])
    root.xrandr_set_screen_size(width, height, round(width * MM_PER_INCH / DPI), round(height * MM_PER_INCH / DPI))
    display.xrandr_set_crtc_config(crtc, resources.config_timestamp, 0, 0, mode, randr.Rotate_0, outputs)
    now = root.get_geometry()  # a round trip: the server has handled the resize
    screen = display.screen()
    screen.width_in_pixels, screen.height_in_pixels = now.width, now.height


def _mode_of_size(display, resources, output: int, width: int, height: int) -> int:
    """An existing mode of exactly this size, or a new one added to the output."""
    for mode in resources.modes:
        if (mode.width, mode.height) == (width, height):
            if mode.id not in display.xrandr_get_output_info(output, resources.config_timestamp).modes:
                display.xrandr_add_output_mode(output, mode.id)
            return mode.id
    name = f"{width}x{height}"
    info = {"id": 0, "width": width, "height": height, "dot_clock": 60 * width * height,
            "h_sync_start": width, "h_sync_end": width, "h_total": width, "h_skew": 0,
            "v_sync_start": height, "v_sync_end": height, "v_total": height, "name_length": len(name), "flags": 0}
    mode = display.screen().root.xrandr_create_mode(info, name).mode
    display.xrandr_add_output_mode(output, mode)
    return mode
