"""Image processing with Pillow: check an upload, re-encode it without metadata, make its thumbnail.

Pure functions on bytes; storing the result is `services.image_upload`'s job. Nothing of the upload
survives but its pixels: EXIF (GPS, camera), ICC, comments and any bytes appended to the file
(a polyglot's script or archive) are gone. Animated GIFs and WebPs are flattened to their first frame.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageCms, ImageMath, ImageOps, UnidentifiedImageError

from .errors import WallError

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
# Pillow names some files of an accepted kind by a format of their own: a multi-picture JPEG (stereo
# cameras, some compacts) opens through the JPEG plugin as "MPO". Each is stored as its kind.
FORMAT_FAMILY = {"MPO": "JPEG"}
ACCEPTED_TEXT = "PNG, JPEG, GIF or WebP"
# What each accepted format is stored as: lossless sources stay lossless; a GIF's first frame is a PNG.
OUTPUT_FORMAT = {"PNG": "PNG", "GIF": "PNG", "JPEG": "JPEG", "WEBP": "WEBP"}
THUMBNAIL_FORMAT = "WEBP"
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# A 4096x4096 RGBA image takes 64 MB decoded; at most this many are decoded at once per process.
_DECODING = threading.BoundedSemaphore(2)
# Our own side limit (WALL_IMAGE_MAX_SIDE) is checked from the header, before any pixel is decoded,
# and is far below Pillow's bomb threshold: its warning would only repeat what we refuse anyway.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def refused(reason: str) -> WallError:
    """An upload that is not an image the wall accepts; `reason` is for a person."""
    return WallError("invalid_image", reason)


def too_large(size: int | None = None) -> WallError:
    """An upload over WALL_IMAGE_MAX_BYTES (its size, when known, is in the message)."""
    limit = settings.WALL_IMAGE_MAX_BYTES
    detail = f" (this one is {_mb(size)})" if size is not None else ""
    return WallError("too_large", f"An image is at most {limit // (1024 * 1024)} MB{detail}.")


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    """An upload made safe to serve: the full-size image and its thumbnail."""

    image: Encoded
    thumbnail: Encoded


def process_upload(data: bytes) -> Processed:
    """Verify an upload, guard its size and pixels, re-encode it and make its thumbnail.

    Raises WallError with the reason: too_large, or invalid_image (not an accepted image, too many
    pixels, damaged or truncated, pixels Pillow decoded but cannot convert). Never anything else for
    what an upload contains: an upload is the client's, a 500 would blame the server.
    """
    check_byte_size(len(data))
    with _DECODING:
        source_format, decoded = open_verified(data)
        try:
            picture = clean_pixels(decoded)
            full = encode(picture, OUTPUT_FORMAT[source_format])
            thumb = encode(thumbnail(picture), THUMBNAIL_FORMAT)
        except Exception:  # Pillow decoded it but fails on its pixels: a kind of image we do not know.
            logger.warning("Pillow could not convert a decoded upload (%s)", decoded.mode, exc_info=True)
            raise refused(
                f"This image's kind of pixels ({decoded.mode}) cannot be converted; "
                "save it as an ordinary 8-bit PNG or JPEG and send it again."
            ) from None
    return Processed(image=full, thumbnail=thumb)


def check_byte_size(size: int) -> None:
    limit = settings.WALL_IMAGE_MAX_BYTES
    if size > limit:
        raise too_large(size)
    if size == 0:
        raise refused("The file is empty.")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# The first bytes of each accepted format, to tell a damaged image from a file of another kind.
_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF"}


def claimed_format(data: bytes) -> str | None:
    """The accepted format the file's signature announces, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return next((name for magic, name in _SIGNATURES.items() if data.startswith(magic)), None)


def looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def check_dimensions(width: int, height: int) -> None:
    """Refuse an image larger than WALL_IMAGE_MAX_SIDE on either side (the decompression-bomb guard)."""
    side = settings.WALL_IMAGE_MAX_SIDE
    if width > side or height > side:
        raise refused(f"An image is at most {side}x{side} pixels (this one is {width}x{height}).")
    if width < 1 or height < 1:
        raise refused("The image has no pixels.")


def open_verified(data: bytes) -> tuple[str, Image.Image]:
    """Identify, size-check, verify and decode the first frame; returns (format, image)."""
    if looks_like_svg(data):
        raise refused(f"SVG images are not accepted (they can carry scripts); send {ACCEPTED_TEXT}.")
    try:
        probe = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        claimed = claimed_format(data)
        if claimed:
            raise refused(f"This {claimed} image is damaged or truncated and cannot be read.") from None
        raise refused(f"This file is not a {ACCEPTED_TEXT} image.") from None
    except Image.DecompressionBombError:
        raise refused("The image has too many pixels.") from None
    except Exception:  # Pillow's parsers raise many kinds of errors on malformed headers.
        raise refused("The image is damaged and cannot be read.") from None
    source_format = FORMAT_FAMILY.get(probe.format, probe.format)
    if source_format not in OUTPUT_FORMAT:
        raise refused(f"This file is not a {ACCEPTED_TEXT} image (Pillow reads it as {probe.format}).")
    check_dimensions(*probe.size)
    try:
        probe.verify()
        picture = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        picture.seek(0)
        picture.load()
    except Exception:  # Truncated data, bad checksums, broken streams: any of Pillow's many errors.
        raise refused("The image is damaged or truncated and cannot be read.") from None
    if picture.format != probe.format or picture.size != probe.size:
        raise refused("The image is damaged and cannot be read.")
    return source_format, picture


def clean_pixels(picture: Image.Image) -> Image.Image:
    """The first frame, turned upright (EXIF orientation), in sRGB, as L, RGB or RGBA, with no metadata."""
    frame = ImageOps.exif_transpose(picture)
    frame = _to_8_bits(frame, picture.info.get("transparency"))
    frame = _to_srgb(frame, picture.info.get("icc_profile"))
    has_alpha = frame.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in frame.info
    if has_alpha:
        frame = frame.convert("RGBA")
    elif frame.mode not in {"L", "RGB"}:
        frame = frame.convert("RGB")
    clean = frame.copy()
    clean.info = {}
    return clean


# Grey of more than 8 bits (a 16-bit grey PNG opens as I;16) and the range its values span. convert()
# clips such values to 255, so a 16-bit portrait came out white: they are scaled instead. Pillow reads
# 16-bit RGB, RGBA and grey with alpha as 8 bits itself; I and F come from no accepted format today
# and are taken as 16-bit and as 0.0-1.0 (the common conventions), clipped outside.
_WIDE_GREY = {"I;16": 65535, "I;16L": 65535, "I;16B": 65535, "I;16N": 65535, "I": 65535, "F": 1.0}


def _to_8_bits(frame: Image.Image, transparency: object) -> Image.Image:
    """Wide grey scaled to L, or LA when a tRNS value marks one grey transparent; others unchanged."""
    top = _WIDE_GREY.get(frame.mode)
    if top is None:
        return frame
    wide = frame.convert("F" if frame.mode == "F" else "I")
    grey = wide.point(lambda value: value * (255 / top) + 0.5).convert("L")
    if isinstance(transparency, int | float) and not isinstance(transparency, bool):
        alpha = ImageMath.lambda_eval(lambda args: (args["x"] != transparency) * 255, x=wide)
        return Image.merge("LA", (grey, alpha.convert("L")))
    return grey


def _to_srgb(frame: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Apply the embedded colour profile so colours survive its removal; without one, unchanged."""
    if not icc_profile or frame.mode not in {"RGB", "RGBA", "CMYK", "L"}:
        return frame
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        output_mode = "RGBA" if frame.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(
            frame, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return frame  # A broken profile: keep the pixels as they are.


def thumbnail(picture: Image.Image) -> Image.Image:
    """A copy at most WALL_IMAGE_THUMBNAIL_SIDE pixels on its longer side (never enlarged)."""
    side = settings.WALL_IMAGE_THUMBNAIL_SIDE
    small = picture.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    return small


def encode(picture: Image.Image, image_format: str) -> Encoded:
    """Encode pixels afresh, passing no metadata to the encoder."""
    buffer = io.BytesIO()
    if image_format == "JPEG":
        picture.convert("RGB" if picture.mode != "L" else "L").save(buffer, "JPEG", quality=88, optimize=True)
    elif image_format == "WEBP":
        picture.save(buffer, "WEBP", quality=82, method=4)
    else:
        picture.save(buffer, "PNG")
    return Encoded(
        data=buffer.getvalue(),
        content_type=CONTENT_TYPES[image_format],
        extension=EXTENSIONS[image_format],
        width=picture.width,
        height=picture.height,
    )
