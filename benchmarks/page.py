"""The page Chromium shows during the benchmarks: text, a coloured table, gradients,
photo-like pictures and the textarea the typing benchmark types into.

Everything is generated here (no network, no files shipped): pictures are
smooth random fields with detail and noise, so encoders see something close
to real photos rather than flat colour.
"""

import io

import numpy as np
from PIL import Image

TEXTAREA = {"x": 20, "y": 20, "width": 900, "height": 330}

PARAGRAPHS = [
    "The quick brown fox jumps over the lazy dog. Agents look at screenshots, decide, and act: "
    "every millisecond spent spawning processes or filtering PNG rows is a millisecond the model waits.",
    "Voix ambiguë d'un cœur qui, au zéphyr, préfère les jattes de kiwis. Falsches Üben von Xylophonmusik "
    "quält jeden größeren Zwerg. El pingüino Wenceslao hizo kilómetros bajo exhaustiva lluvia y frío.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю. Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
    "いろはにほへと ちりぬるを わかよたれそ つねならむ。我能吞下玻璃而不伤身体。키스의 고유조건은 입술끼리 만나야 하고.",
    "Performance budget: one action ≤ 1.5 ms, a 1080p PNG ≤ 25 ms, 1,000 characters typed exactly in ≤ 1.5 s. "
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
]


def picture(seed: int, width: int = 440, height: int = 300) -> bytes:
    """A photo-like JPEG: layered smooth noise (sky, hills, texture) plus grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    field = np.zeros((height, width, 3), np.float32)
    for octave in range(1, 6):
        freq = 2.0**octave / width
        for channel in range(3):
            phase = rng.random(2) * 6.28
            amp = 60.0 / octave * (0.6 + rng.random())
            field[:, :, channel] += amp * np.sin(x * freq * 6.28 + phase[0] + np.sin(y * freq * 3.1 + phase[1]))
    horizon = height * (0.45 + 0.1 * rng.random()) + 25 * np.sin(x / width * 6.28 * (1 + rng.random()))
    sky = y < horizon
    base = np.where(sky[..., None], np.array([110, 160, 230], np.float32), np.array([70, 120, 50], np.float32))
    image = base + field + rng.normal(0, 9, (height, width, 3))
    out = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def table_rows(count: int = 14) -> str:
    rows = []
    for index in range(count):
        hue = index * 360 // count
        rows.append(
            f'<tr style="background:hsl({hue},70%,85%)"><td>{index + 1}</td><td>Item {chr(65 + index)}</td>'
            f"<td>{(index * 37) % 101}.{index % 10}</td><td>{'▇' * (1 + index % 9)}</td></tr>"
        )
    return "\n".join(rows)


def html() -> str:
    ta = TEXTAREA
    paragraphs = "\n".join(f"<p>{text}</p>" for text in PARAGRAPHS * 2)
    images = "\n".join(f'<img src="/img/{index}.jpg" width="440" height="300">' for index in range(6))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>xhands benchmark page</title>
<style>
  html, body {{ margin: 0; padding: 0; overflow: hidden; font: 16px/1.45 "DejaVu Sans", sans-serif; color: #222;
               background: linear-gradient(135deg, #fdfbfb 0%, #ebedee 60%, #dfe9f3 100%); }}
  #ta {{ position: absolute; left: {ta['x']}px; top: {ta['y']}px; width: {ta['width']}px; height: {ta['height']}px;
         box-sizing: border-box; font: 15px/1.3 "DejaVu Sans", sans-serif; border: 2px solid #4a7; padding: 6px; }}
  #text {{ position: absolute; left: 20px; top: 370px; width: 900px; }}
  #pics {{ position: absolute; left: 950px; top: 20px; width: 950px; display: flex; flex-wrap: wrap; gap: 10px; }}
  table {{ border-collapse: collapse; position: absolute; left: 20px; top: 880px; width: 900px; font-size: 13px; }}
  td {{ border: 1px solid #999; padding: 1px 6px; }}
  h1 {{ font-size: 22px; margin: 0 0 6px; background: linear-gradient(90deg, #c33, #36c); color: #fff; padding: 4px 8px; }}
</style></head>
<body>
<textarea id="ta" spellcheck="false" autocomplete="off"></textarea>
<div id="text"><h1>xhands side-by-side benchmark</h1>{paragraphs}</div>
<div id="pics">{images}</div>
<table>{table_rows()}</table>
<script>
  const ta = document.getElementById('ta');
  window.lastInput = 0;
  window.inputEvents = 0;
  ta.addEventListener('input', () => {{ window.lastInput = performance.timeOrigin + performance.now(); window.inputEvents++; }});
</script>
</body></html>
"""


def assets() -> dict[str, tuple[str, bytes]]:
    """path -> (content type, body)"""
    files = {"/": ("text/html; charset=utf-8", html().encode())}
    for index in range(6):
        files[f"/img/{index}.jpg"] = ("image/jpeg", picture(index))
    return files
