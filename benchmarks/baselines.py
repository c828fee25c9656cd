"""The other ways of doing the same job, run on the same display in the same run.

- reference: how Kernel's reference server works, one `xdotool` process per
  action and one `ffmpeg -f x11grab` process per screenshot;
- pyautogui, in this process (PAUSE=0, so it is not held back by its default
  0.1 s sleep after every call; screenshots through its own scrot path);
- mss + Pillow with default settings, for capture.
"""

import io
import os
import shutil
import subprocess
import time

from PIL import Image

FFMPEG_CODECS = {"png": ["-c:v", "png"], "jpeg": ["-c:v", "mjpeg", "-q:v", "3"], "webp": ["-c:v", "libwebp"]}


class Reference:
    """One process per action, as the reference server does."""

    def __init__(self, display: str, env: dict):
        self.display = display
        self.env = env
        self.xdotool_bin = shutil.which("xdotool")
        self.ffmpeg_bin = shutil.which("ffmpeg")

    def xdotool(self, *args: str) -> None:
        subprocess.run([self.xdotool_bin, *args], env=self.env, check=True, stdout=subprocess.DEVNULL)

    def click(self, x: int, y: int) -> None:
        self.xdotool("mousemove", str(x), str(y), "click", "1")

    def move(self, x: int, y: int) -> None:
        self.xdotool("mousemove", str(x), str(y))

    def key(self, combo: str) -> None:
        self.xdotool("key", combo)

    def smooth_move(self, x: int, y: int, duration_ms: int) -> None:
        """The reference's smooth move: read the position, then one `xdotool mousemove_relative`
        process per trajectory step, sleeping duration / steps between them (20 ms steps)."""
        out = subprocess.run([self.xdotool_bin, "getmouselocation", "--shell"], env=self.env, check=True,
                             capture_output=True, text=True).stdout
        fields = dict(line.split("=", 1) for line in out.split() if "=" in line)
        x0, y0 = int(fields["X"]), int(fields["Y"])
        steps = max(1, duration_ms // 20)
        step_s = duration_ms / steps / 1000
        px, py = x0, y0
        for index in range(1, steps + 1):
            nx, ny = round(x0 + (x - x0) * index / steps), round(y0 + (y - y0) * index / steps)
            if (nx, ny) != (px, py):
                self.xdotool("mousemove_relative", "--", str(nx - px), str(ny - py))
            px, py = nx, ny
            time.sleep(step_s)

    def type(self, text: str, delay_ms: int | None) -> None:
        delay = [] if delay_ms is None else ["--delay", str(delay_ms)]
        self.xdotool("type", *delay, "--", text)

    def screenshot(self, fmt: str, size: tuple[int, int] | None, screen: tuple[int, int]) -> bytes:
        scale = ["-vf", f"scale={size[0]}:{size[1]}"] if size else []
        command = [
            self.ffmpeg_bin, "-hide_banner", "-loglevel", "error", "-f", "x11grab",
            "-video_size", f"{screen[0]}x{screen[1]}", "-i", f"{self.display}+0,0", "-frames:v", "1",
            *scale, *FFMPEG_CODECS[fmt], "-f", "image2pipe", "-",
        ]
        result = subprocess.run(command, env=self.env, check=True, capture_output=True)
        return result.stdout

    def versions(self) -> dict:
        xdotool = subprocess.run([self.xdotool_bin, "version"], capture_output=True, text=True).stdout.strip()
        ffmpeg = subprocess.run([self.ffmpeg_bin, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
        return {"xdotool": xdotool, "ffmpeg": ffmpeg}


class PyAutoGUI:
    def __init__(self):
        os.environ.setdefault("XDG_SESSION_TYPE", "x11")  # pyscreeze only uses scrot when it knows it is on X11
        import pyautogui

        pyautogui.PAUSE = 0
        pyautogui.FAILSAFE = False
        pyautogui.MINIMUM_DURATION = 0
        self.gui = pyautogui
        self.version = pyautogui.__version__
        self.can_screenshot = bool(shutil.which("scrot") or shutil.which("gnome-screenshot"))

    def click(self, x: int, y: int) -> None:
        self.gui.click(x, y)

    def move(self, x: int, y: int) -> None:
        self.gui.moveTo(x, y)

    def key(self, combo: str) -> None:
        self.gui.hotkey(*combo.split("+"))

    def type(self, text: str) -> None:
        self.gui.write(text)

    def smooth_move(self, x: int, y: int, duration_s: float) -> None:
        self.gui.moveTo(x, y, duration=duration_s)

    def screenshot_png(self) -> bytes:
        out = io.BytesIO()
        self.gui.screenshot().save(out, "PNG")
        return out.getvalue()


class MssPillow:
    """mss grab, then Pillow with its defaults: PNG level 6, JPEG quality 75, WebP quality 80 method 4, BICUBIC resize."""

    PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}

    def __init__(self, display: str):
        import mss

        self.mss = mss.MSS(display=display)
        self.version = f"mss {mss.__version__}, Pillow {Image.__version__}"

    def screenshot(self, fmt: str, size: tuple[int, int] | None) -> bytes:
        shot = self.mss.grab(self.mss.monitors[1])
        image = Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")
        if size:
            image = image.resize(size)
        out = io.BytesIO()
        image.save(out, self.PIL_FORMATS[fmt])
        return out.getvalue()

    def close(self):
        self.mss.close()


def tool_available(name: str) -> bool:
    return shutil.which(name) is not None and os.access(shutil.which(name), os.X_OK)
