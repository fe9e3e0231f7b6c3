"""wall/images.py: uploads are verified, guarded, re-encoded without metadata, and thumbnailed."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from tests import imagefiles
from wall.errors import WallError
from wall.images import clean_pixels, process_upload
from wall.views import http_status


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("data", "stored_format", "content_type"),
    [
        (imagefiles.png(), "PNG", "image/png"),
        (imagefiles.jpeg_with_exif(), "JPEG", "image/jpeg"),
        (imagefiles.gif_animated(), "PNG", "image/png"),
        (imagefiles.webp(), "WEBP", "image/webp"),
    ],
    ids=["png", "jpeg", "gif", "webp"],
)
def test_each_accepted_format_is_re_encoded(data, stored_format, content_type):
    result = process_upload(data)
    assert result.image.content_type == content_type
    stored = opened(result.image.data)
    assert stored.format == stored_format
    assert stored.size == (result.image.width, result.image.height) == opened(data).size
    assert min(stored.convert("RGB").getpixel((6, 6))) > 230  # The white square survived.


# Files of an accepted kind that Pillow names or builds its own way: each is stored as its kind.
@pytest.mark.parametrize(
    ("data", "stored_format", "size", "color"),
    [
        (imagefiles.mpo(), "JPEG", (64, 48), (200, 40, 40)),
        (imagefiles.mpo(first=(64, 48), second=(30, 20)), "JPEG", (64, 48), (200, 40, 40)),
        (imagefiles.mpo(exif=imagefiles.camera_exif()), "JPEG", (64, 48), (200, 40, 40)),
        (imagefiles.apng(), "PNG", (40, 30), (0, 160, 0)),
        (imagefiles.webp_animated(), "WEBP", (40, 30), (0, 160, 0)),
        (imagefiles.progressive_jpeg(), "JPEG", (64, 48), (200, 40, 40)),
    ],
    ids=["mpo", "mpo-frames-of-two-sizes", "mpo-with-exif", "apng", "animated-webp", "progressive-jpeg"],
)
def test_variants_of_an_accepted_format_are_stored_as_its_first_picture(data, stored_format, size, color):
    result = process_upload(data)
    stored = opened(result.image.data)
    assert stored.format == stored_format and getattr(stored, "n_frames", 1) == 1
    assert stored.size == size
    corner = stored.convert("RGB").getpixel((size[0] - 3, size[1] - 3))
    assert all(abs(a - b) <= 8 for a, b in zip(corner, color, strict=True)), corner
    assert b"SnoopCam" not in result.image.data and b"SnoopCam" not in result.thumbnail.data


def test_pixels_pillow_decodes_but_cannot_convert_are_a_400_with_a_reason(monkeypatch, caplog):
    def fails(picture, image_format):
        raise OSError("encoder error -2")

    monkeypatch.setattr("wall.images.encode", fails)
    with pytest.raises(WallError) as refused:
        process_upload(imagefiles.png())
    assert http_status(refused.value) == 400 and "(RGB) cannot be converted" in refused.value.message
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


@pytest.mark.parametrize(
    "data",
    [imagefiles.jpeg_with_exif(), imagefiles.webp(), imagefiles.png_with_metadata()],
    ids=["jpeg", "webp", "png"],
)
def test_exif_with_camera_and_gps_is_gone_from_image_and_thumbnail(data):
    assert b"SnoopCam" in data
    result = process_upload(data)
    for encoded in (result.image, result.thumbnail):
        assert b"SnoopCam" not in encoded.data and b"Model X-Secret" not in encoded.data
        assert dict(opened(encoded.data).getexif()) == {}


def test_png_text_chunks_are_gone():
    result = process_upload(imagefiles.png_with_metadata())
    assert b"secret-comment" not in result.image.data
    assert "Comment" not in opened(result.image.data).info


def test_a_colour_profile_is_applied_then_dropped():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = imagefiles.encode(imagefiles.picture(), "JPEG", icc_profile=srgb)
    result = process_upload(data)
    assert "icc_profile" not in opened(result.image.data).info


def test_the_exif_orientation_turns_the_image_upright():
    result = process_upload(imagefiles.jpeg_with_exif(size=(64, 48), orientation=6))
    assert (result.image.width, result.image.height) == (48, 64)


def test_bytes_appended_to_an_image_do_not_survive():
    payload = b"<script>alert(1)</script>PK\x03\x04polyglot-archive"
    result = process_upload(imagefiles.png() + payload)
    assert b"<script>" not in result.image.data and b"polyglot-archive" not in result.image.data


def test_an_animated_gif_is_flattened_to_its_first_frame():
    result = process_upload(imagefiles.gif_animated())
    image = opened(result.image.data)
    assert getattr(image, "n_frames", 1) == 1
    assert image.convert("RGB").getpixel((30, 25)) == (0, 160, 0)


def test_transparency_is_kept():
    image = opened(process_upload(imagefiles.rgba_png()).image.data)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((16, 16))[3] == 255


def test_the_thumbnail_is_a_webp_at_most_the_thumbnail_side(settings):
    result = process_upload(imagefiles.png(size=(1200, 600)))
    assert result.thumbnail.content_type == "image/webp"
    assert (result.thumbnail.width, result.thumbnail.height) == (settings.WALL_IMAGE_THUMBNAIL_SIDE, 240)
    assert opened(result.thumbnail.data).size == (480, 240)


def test_a_small_image_keeps_its_size_as_thumbnail():
    result = process_upload(imagefiles.png(size=(50, 20)))
    assert (result.thumbnail.width, result.thumbnail.height) == (50, 20)


def test_an_image_of_exactly_the_largest_size_is_accepted():
    result = process_upload(imagefiles.bomb_png(side=4096))
    assert (result.image.width, result.image.height) == (4096, 4096)


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (imagefiles.SVG, 400, "SVG images are not accepted"),
        (imagefiles.SVG_BARE, 400, "SVG images are not accepted"),
        (imagefiles.TEXT, 400, "not a PNG, JPEG, GIF or WebP image"),
        (imagefiles.encode(imagefiles.picture(), "BMP"), 400, "not a PNG, JPEG, GIF or WebP image"),
        (imagefiles.bomb_png(), 400, "at most 4096x4096 pixels (this one is 10000x10000)"),
        (imagefiles.bomb_png(side=4097), 400, "at most 4096x4096 pixels"),
        (imagefiles.truncated(imagefiles.png(size=(300, 200))), 400, "damaged or truncated"),
        (imagefiles.truncated(imagefiles.noisy_jpeg()), 400, "damaged or truncated"),
        (imagefiles.png()[:40], 400, "This PNG image is damaged or truncated"),
        (b"", 400, "empty"),
        (imagefiles.padded(imagefiles.png(), 6 * 1024 * 1024), 413, "at most 5 MB (this one is 6.0 MB)"),
    ],
    ids=[
        "svg",
        "svg-without-prolog",
        "text-named-png",
        "bmp",
        "bomb-10000x10000",
        "one-pixel-too-wide",
        "truncated-png",
        "truncated-jpeg",
        "png-header-only",
        "empty",
        "6-mb",
    ],
)
def test_refused_uploads_say_why(data, status, reason):
    with pytest.raises(WallError) as refused:
        process_upload(data)
    assert http_status(refused.value) == status
    assert reason in refused.value.message


# --- every mode on the way to 8 bits -----------------------------------------------------------------

BLOCK = 8  # each test pixel is a BLOCK x BLOCK square, so the lossy WebP thumbnail keeps it too


def raw_png(color_type: int, bit_depth: int, grid: list[list[tuple[int, ...]]], trns: bytes = b"") -> bytes:
    """A hand-written PNG whose pixels are `grid` (tuples of samples), each drawn as a BLOCK square."""
    rows = []
    for grid_row in grid:
        row = [sample for pixel in grid_row for _ in range(BLOCK) for sample in pixel]
        rows += [row] * BLOCK
    return imagefiles.png_raw(len(grid[0]) * BLOCK, len(grid) * BLOCK, color_type, bit_depth, rows, trns)


def drawn(mode: str, grid: list[list[object]], **info) -> Image.Image:
    """A Pillow image of `mode` whose pixels are `grid`, each drawn as a BLOCK square."""
    image = Image.new(mode, (len(grid[0]) * BLOCK, len(grid) * BLOCK))
    for y, grid_row in enumerate(grid):
        for x, value in enumerate(grid_row):
            # A block of its own: paste(int) writes the wrong value into I;16 (Pillow 13).
            image.paste(Image.new(mode, (BLOCK, BLOCK), value), (x * BLOCK, y * BLOCK))
    image.info.update(info)
    return image


def scaled16(value: int) -> int:
    return round(value * 255 / 65535)


GREY16 = [[0, 257, 12345, 30000], [40000, 50000, 65280, 65535]]
PALETTE = [255, 0, 0, 0, 128, 0, 0, 0, 255, 255, 255, 255] + [0] * (256 * 3 - 12)


def palette_image() -> Image.Image:
    image = drawn("P", [[0, 1], [2, 3]])
    image.putpalette(PALETTE)
    return image


# (source bytes, the RGBA each grid pixel must become, computed from the source's own values)
MODES = {
    "I;16-portrait": (
        imagefiles.encode(drawn("I;16", GREY16), "PNG"),
        [[(scaled16(v),) * 3 + (255,) for v in row] for row in GREY16],
    ),
    "I;16-with-transparent-grey": (
        imagefiles.encode(drawn("I;16", GREY16), "PNG", transparency=30000),
        [[(scaled16(v),) * 3 + (0 if v == 30000 else 255,) for v in row] for row in GREY16],
    ),
    "16-bit-grey-by-hand": (
        raw_png(0, 16, [[(v,) for v in row] for row in GREY16]),
        [[(scaled16(v),) * 3 + (255,) for v in row] for row in GREY16],
    ),
    "16-bit-grey-with-tRNS-by-hand": (
        raw_png(0, 16, [[(v,) for v in row] for row in GREY16], trns=b"\x30\x39"),  # 12345
        [[(scaled16(v),) * 3 + (0 if v == 12345 else 255,) for v in row] for row in GREY16],
    ),
    "16-bit-grey-with-alpha": (
        raw_png(4, 16, [[(v, 65535 - v) for v in row] for row in GREY16]),
        [[(scaled16(v),) * 3 + (scaled16(65535 - v),) for v in row] for row in GREY16],
    ),
    "16-bit-rgb": (
        raw_png(2, 16, [[(v, 65535 - v, 30000) for v in row] for row in GREY16]),
        [[(scaled16(v), scaled16(65535 - v), scaled16(30000), 255) for v in row] for row in GREY16],
    ),
    "16-bit-rgba": (
        raw_png(6, 16, [[(v, 30000, 65535 - v, v) for v in row] for row in GREY16]),
        [[(scaled16(v), scaled16(30000), scaled16(65535 - v), scaled16(v)) for v in row] for row in GREY16],
    ),
    "2-bit-grey": (
        raw_png(0, 2, [[(0,), (1,)], [(2,), (3,)]]),
        [[(0, 0, 0, 255), (85, 85, 85, 255)], [(170, 170, 170, 255), (255, 255, 255, 255)]],
    ),
    "1-bit": (
        imagefiles.encode(drawn("1", [[0, 1], [1, 0]]), "PNG"),
        [[(0, 0, 0, 255), (255, 255, 255, 255)], [(255, 255, 255, 255), (0, 0, 0, 255)]],
    ),
    "palette-with-transparency-png": (
        imagefiles.encode(palette_image(), "PNG", transparency=1),
        [[(255, 0, 0, 255), (0, 128, 0, 0)], [(0, 0, 255, 255), (255, 255, 255, 255)]],
    ),
    "palette-with-transparency-gif": (
        imagefiles.encode(palette_image(), "GIF", transparency=1),
        [[(255, 0, 0, 255), (0, 128, 0, 0)], [(0, 0, 255, 255), (255, 255, 255, 255)]],
    ),
    "grey-with-tRNS": (
        imagefiles.encode(drawn("L", [[10, 200], [90, 255]]), "PNG", transparency=200),
        [[(10, 10, 10, 255), (200, 200, 200, 0)], [(90, 90, 90, 255), (255, 255, 255, 255)]],
    ),
    "rgb-with-tRNS": (
        imagefiles.encode(
            drawn("RGB", [[(1, 2, 3), (9, 8, 7)], [(200, 0, 0), (0, 0, 0)]]), "PNG", transparency=(9, 8, 7)
        ),
        [[(1, 2, 3, 255), (9, 8, 7, 0)], [(200, 0, 0, 255), (0, 0, 0, 255)]],
    ),
    "grey-with-alpha": (
        imagefiles.encode(drawn("LA", [[(10, 255), (200, 128)], [(90, 0), (255, 64)]]), "PNG"),
        [[(10, 10, 10, 255), (200, 200, 200, 128)], [(90, 90, 90, 0), (255, 255, 255, 64)]],
    ),
}


def assert_pixels(image: Image.Image, expected: list[list[tuple[int, ...]]], tolerance: int) -> None:
    rgba = image.convert("RGBA")
    for y, row in enumerate(expected):
        for x, want in enumerate(row):
            got = rgba.getpixel((x * BLOCK + BLOCK // 2, y * BLOCK + BLOCK // 2))
            if want[3] == 0:  # A transparent pixel's colour is nobody's business.
                got, want = got[3:], want[3:]
            assert all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True)), (x, y, got, want)


@pytest.mark.parametrize(("data", "expected"), MODES.values(), ids=MODES.keys())
def test_every_mode_is_stored_as_its_own_pixels_in_8_bits(data, expected):
    result = process_upload(data)
    assert_pixels(opened(result.image.data), expected, tolerance=1)
    assert_pixels(opened(result.thumbnail.data), expected, tolerance=12)


@pytest.mark.parametrize(
    ("mode", "values", "expected"),
    [
        ("I;16B", [0, 12345, 65535], [0, 48, 255]),
        ("I;16L", [0, 12345, 65535], [0, 48, 255]),
        ("I", [-5, 12345, 70000], [0, 48, 255]),
        ("F", [-0.5, 0.5, 1.0], [0, 128, 255]),
    ],
)
def test_wide_grey_that_no_accepted_format_makes_today_is_scaled_too(mode, values, expected):
    source = Image.new(mode, (len(values), 1))
    for x, value in enumerate(values):
        source.putpixel((x, 0), value)
    clean = clean_pixels(source)
    assert clean.mode == "L" and [clean.getpixel((x, 0)) for x in range(len(values))] == expected
