"""Real image files made with Pillow for the image tests: each format, metadata, bombs and broken files."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw, PngImagePlugin

MAKE, MODEL, ORIENTATION, GPS_IFD = 0x010F, 0x0110, 0x0112, 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE = 1, 2


def picture(size: tuple[int, int] = (64, 48), color: tuple[int, ...] = (200, 40, 40), mode: str = "RGB"):
    """A small image with a contrasting square, so re-encoded pixels can be told apart."""
    image = Image.new(mode, size, color)
    ImageDraw.Draw(image).rectangle((2, 2, size[0] // 3, size[1] // 3), fill="white" if mode != "1" else 1)
    return image


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def camera_exif(orientation: int = 1) -> Image.Exif:
    """EXIF naming a camera, with a GPS position (Paris), as a phone writes it."""
    exif = Image.Exif()
    exif[MAKE] = "SnoopCam"
    exif[MODEL] = "Model X-Secret"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({GPS_LATITUDE_REF: "N", GPS_LATITUDE: (48.0, 51.0, 24.0)})
    return exif


def png(size: tuple[int, int] = (64, 48), **options) -> bytes:
    return encode(picture(size), "PNG", **options)


def png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-comment-in-a-text-chunk")
    return encode(picture(), "PNG", pnginfo=info, exif=camera_exif())


def jpeg_with_exif(size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    return encode(picture(size), "JPEG", quality=90, exif=camera_exif(orientation))


def gif_animated(
    colors: tuple[tuple[int, int, int], ...] = ((0, 160, 0), (0, 0, 200), (200, 200, 0)),
) -> bytes:
    frames = [picture((40, 30), color) for color in colors]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def webp(size: tuple[int, int] = (64, 48)) -> bytes:
    return encode(picture(size), "WEBP", quality=90, exif=camera_exif())


def rgba_png() -> bytes:
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((4, 4, 28, 28), fill=(30, 90, 200, 255))
    return encode(image, "PNG")


def bomb_png(side: int = 10000) -> bytes:
    """A valid PNG of sidexside pixels in a few KB: one bit per pixel, all zero, compressed."""
    return encode(Image.new("1", (side, side)), "PNG", optimize=True)


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def noisy_jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    """A JPEG with enough detail that cutting it short loses real image data."""
    image = Image.effect_noise(size, 64).convert("RGB")
    return encode(image, "JPEG", quality=95)


def padded(data: bytes, total: int) -> bytes:
    """A real image followed by junk up to `total` bytes (a file over the size limit)."""
    return data + b"\0" * (total - len(data))


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
SVG_BARE = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
TEXT = b"this is only text, named .png\n"


def mpo(first: tuple[int, int] = (64, 48), second: tuple[int, int] = (64, 48), **options) -> bytes:
    """A multi-picture JPEG (stereo cameras; Pillow reads it as MPO): a red first picture, a blue second."""
    left = picture(first, (200, 40, 40))
    right = picture(second, (40, 40, 200))
    return encode(left, "MPO", save_all=True, append_images=[right], **options)


def apng() -> bytes:
    """An animated PNG: Pillow reads it as PNG with frames; the first is green."""
    frames = [picture((40, 30), color) for color in ((0, 160, 0), (0, 0, 200))]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)


def webp_animated() -> bytes:
    frames = [picture((40, 30), color) for color in ((0, 160, 0), (0, 0, 200))]
    return encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)


def progressive_jpeg() -> bytes:
    return encode(picture(), "JPEG", quality=90, progressive=True)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_raw(
    width: int, height: int, color_type: int, bit_depth: int, samples: list[list[int]], trns: bytes = b""
) -> bytes:
    """A PNG written by hand, for the layouts Pillow cannot write (16-bit grey with alpha, 16-bit RGB):
    `samples` holds each row's samples (channels interleaved), packed big-endian at `bit_depth`."""
    rows = b""
    for row in samples:
        if bit_depth == 16:
            packed = b"".join(struct.pack(">H", value) for value in row)
        else:
            per_byte = 8 // bit_depth
            padded_row = row + [0] * (-len(row) % per_byte)
            packed = bytes(
                sum(
                    value << (8 - bit_depth * (i + 1)) for i, value in enumerate(padded_row[n : n + per_byte])
                )
                for n in range(0, len(padded_row), per_byte)
            )
        rows += b"\0" + packed
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + (png_chunk(b"tRNS", trns) if trns else b"")
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )
