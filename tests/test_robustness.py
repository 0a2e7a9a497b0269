"""Bad files, bad parameters, load and damaged checkpoints: clear messages, no crash, bounded memory."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from conftest import ROOT
from gradio_client import handle_file
from PIL import Image, ImageDraw

sys.path.insert(0, str(ROOT / "scripts"))

from dae.preprocess import MAX_PIXELS, open_image, to_mnist  # noqa: E402
from ui.compare import read_upload  # noqa: E402


def digit(size=(280, 280), ink=0, paper=255, mode="L", width=22) -> Image.Image:
    image = Image.new(mode, size, paper)
    sx, sy = size[0] / 280, size[1] / 280
    ImageDraw.Draw(image).line(
        [(70 * sx, 60 * sy), (210 * sx, 60 * sy), (120 * sx, 230 * sy)],
        fill=ink,
        width=max(2, int(width * min(sx, sy))),
    )
    return image


def encode(image: Image.Image, format: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **kwargs)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def bomb_png(side: int = 20_000) -> bytes:
    """A valid-looking 1-bit PNG whose header claims side x side pixels (400 MP by default), with a tiny body."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * (side // 8 + 1) * 64)  # a few rows only
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")


def palette_with_transparency() -> bytes:
    image = digit().convert("P")
    white = image.getpixel((0, 0))
    return encode(image, transparency=white)


def animated_gif() -> bytes:
    first, second = digit(), Image.new("L", (280, 280), 255)
    return encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def huge_jpeg() -> bytes:
    return encode(digit(size=(6000, 6000), width=300), "JPEG", quality=70)


def float_tiff() -> bytes:
    return encode(Image.fromarray(np.asarray(digit(ink=255, paper=0), dtype=np.float32) / 255.0), "TIFF")


def sixteen_bit() -> bytes:
    return encode(Image.fromarray(np.asarray(digit(ink=255, paper=0)).astype(np.uint16) * 257))


# name -> (bytes, file name, words the refusal must contain, or None when a digit must come out)
CASES = {
    "empty file": (lambda: b"", "empty.png", "empty"),
    "truncated png": (lambda: encode(digit())[:400], "cut.png", "damaged or incomplete"),
    "text named .png": (lambda: b"hello, this is text\n" * 30, "notes.png", "not an image"),
    "svg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><path d="M0 0L9 9"/></svg>',
        "digit.svg",
        "SVG",
    ),
    "decompression bomb": (bomb_png, "bomb.png", "far too large"),
    "6000x6000 jpeg": (huge_jpeg, "big.jpg", None),
    "16-bit greyscale": (sixteen_bit, "deep.png", None),
    "cmyk jpeg": (lambda: encode(digit().convert("CMYK"), "JPEG"), "cmyk.jpg", None),
    "float tiff": (float_tiff, "float.tif", None),
    "palette png with transparency": (palette_with_transparency, "palette.png", None),
    "animated gif": (animated_gif, "anim.gif", None),
    "1x1 image": (lambda: encode(Image.new("L", (1, 1), 90)), "dot.png", "No digit found"),
    "2000x10 image": (lambda: encode(digit(size=(2000, 10), width=3)), "strip.png", None),
    "all black": (lambda: encode(Image.new("L", (64, 64), 0)), "black.png", "No digit found"),
    "all white": (lambda: encode(Image.new("RGB", (64, 64), (255, 255, 255))), "white.png", "No digit found"),
    "fully transparent": (lambda: encode(Image.new("RGBA", (280, 280), (0, 0, 0, 0))), "clear.png", "transparent"),
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    paths = {}
    for name, (make, filename, _) in CASES.items():
        paths[name] = folder / filename
        paths[name].write_bytes(make())
    return paths


@pytest.mark.parametrize("name", list(CASES))
def test_each_bad_file_gives_a_digit_or_a_clear_message(app_module, bad_files, name):
    import gradio as gr

    expected = CASES[name][2]
    if expected is None:
        digit28 = read_upload(str(bad_files[name]))
        assert digit28.shape == (28, 28) and digit28.max() > 0.5
    else:
        with pytest.raises(gr.Error) as error:
            read_upload(str(bad_files[name]))
        assert expected in str(error.value.message)
        assert any(hint in error.value.message for hint in ("Upload", "upload", "Draw", "Export", "Save"))


def test_the_animated_gif_uses_its_first_frame(bad_files):
    assert to_mnist(open_image(bad_files["animated gif"])).max() > 0.5  # frame 2 is blank


def peak_memory_mb(code: str) -> float:
    """Run `code` in a fresh Python and return that process's peak resident memory in MB.

    Read from VmHWM, which belongs to the new program's memory map: getrusage's
    ru_maxrss would carry over the (large) peak of the pytest process across exec.
    """
    report = "\nprint([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"  # kB
    result = subprocess.run(
        [sys.executable, "-c", code + report], cwd=ROOT, check=True, timeout=120, capture_output=True, text=True
    )
    return int(result.stdout.split()[-1]) / 1024


def test_bomb_is_refused_before_decoding_and_memory_stays_small(bad_files):
    code = (
        "from dae.preprocess import open_image, ImageInputError\n"
        f"try:\n    open_image({str(bad_files['decompression bomb'])!r})\n"
        "except ImageInputError as e:\n    assert 'far too large' in str(e)\nelse:\n    raise SystemExit('accepted')\n"
    )
    assert peak_memory_mb(code) < 1024


def test_huge_jpeg_is_downscaled_while_decoding(bad_files):
    image = open_image(bad_files["6000x6000 jpeg"])
    assert max(image.size) <= 1024
    code = (
        f"from dae.preprocess import open_image, to_mnist\nto_mnist(open_image({str(bad_files['6000x6000 jpeg'])!r}))\n"
    )
    assert peak_memory_mb(code) < 1024


def test_size_limit_is_checked_from_the_header():
    side = int(MAX_PIXELS**0.5) + 100  # over our limit, under Pillow's own bomb threshold
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")
    with pytest.raises(ValueError, match="megapixels"):
        open_image(data)


def test_bad_files_through_the_api_and_the_server_keeps_serving(client, bad_files):
    for name, (_, _, expected) in CASES.items():
        if expected is None:
            *images, metrics, _ = client.predict(
                handle_file(str(bad_files[name])), "gaussian", 0.3, 0, api_name="/denoise"
            )
            assert metrics["conv"]["psnr"] is not None, name
        else:
            with pytest.raises(Exception) as error:
                client.predict(handle_file(str(bad_files[name])), "gaussian", 0.3, 0, api_name="/denoise")
            assert expected in str(error.value), (name, str(error.value))
    good = client.predict(handle_file(str(ROOT / "examples" / "5.png")), "masking", 0.4, 1, api_name="/denoise")
    assert good[4]["better"] in ("linear", "conv", "unet", "tie")


def test_a_small_load_run_has_no_unexpected_errors(server_url):
    from bench_load import run

    report = run(server_url, clients=4, requests=12, bad_share=0.3, seed=1)
    assert report["requests"] == 48 and report["bad"] > 0
    assert report["unexpected"] == []


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_the_app_refuses_to_start_on_a_damaged_checkpoint(tmp_path, damage):
    folder = tmp_path / "checkpoints"
    shutil.copytree(ROOT / "checkpoints", folder, ignore=shutil.ignore_patterns("*.state.pt"))
    weights = folder / "conv" / "model.safetensors"
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif damage == "flip":
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0x01
        weights.write_bytes(bytes(data))
    else:
        weights.unlink()
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DAE_CHECKPOINTS": str(folder), "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    assert result.returncode != 0
    assert str(weights) in result.stderr and "python scripts/train.py" in result.stderr
    assert "Traceback" not in result.stderr
