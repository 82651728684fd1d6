"""Reading uploads: content sniffing, DICOM calibration (Pixel Spacing, then Imager Pixel
Spacing), windowing to 8 bit, MONOCHROME1 inversion, decoders for compressed transfer syntaxes,
PNG/JPEG, and clear errors for everything else."""

from __future__ import annotations

import numpy as np
import pytest

from fusiontrack.imaging.decode import (
    DecodedImage,
    auto_window,
    decode_file,
    sniff_format,
    to_uint8,
)
from fusiontrack.imaging.errors import DecoderMissing, ImagingError
from fusiontrack.imaging.preview import preview_size, render_preview
from tests.imaging_factory import gradient, make_bitmap, make_dicom, make_jpeg_baseline_dicom

BIG = 10**8


def decode(tmp_path, data: bytes, name: str = "upload.bin", **kw) -> DecodedImage:
    path = tmp_path / name
    path.write_bytes(data)
    return decode_file(path, max_pixels=kw.get("max_pixels", BIG))


def test_format_is_sniffed_from_content_not_name(tmp_path):
    assert sniff_format(make_dicom()[:132]) == "dicom"
    assert sniff_format(make_bitmap("PNG")[:132]) == "png"
    assert sniff_format(make_bitmap("JPEG")[:132]) == "jpeg"
    # a PNG named .dcm is still a PNG
    assert decode(tmp_path, make_bitmap("PNG"), "film.dcm").file_format == "png"


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7 report", b"", b"GIF89a" + bytes(200), b"MZ\x90\x00 a windows program"],
    ids=["pdf", "empty", "gif", "exe"],
)
def test_non_images_are_refused_with_a_clear_message(tmp_path, content):
    with pytest.raises(ImagingError, match="not a DICOM, PNG or JPEG image"):
        decode(tmp_path, content, "film.dcm")


def test_dicom_pixel_spacing_is_used_first(tmp_path):
    image = decode(tmp_path, make_dicom(pixel_spacing=(0.15, 0.14), imager_spacing=(0.2, 0.2)))
    assert image.spacing == (0.15, 0.14)
    assert image.spacing_source == "pixel_spacing"
    assert (image.width, image.height) == (300, 400)
    assert image.modality == "CR"
    assert str(image.acquired_on) == "2025-03-01"


def test_dicom_with_only_imager_pixel_spacing_says_so(tmp_path):
    image = decode(
        tmp_path,
        make_dicom(
            pixel_spacing=None,
            imager_spacing=(0.175, 0.16),
            extra={"EstimatedRadiographicMagnificationFactor": "1.15"},
        ),
    )
    assert image.spacing == (0.175, 0.16)
    assert image.spacing_source == "imager_pixel_spacing"
    assert image.magnification_factor == pytest.approx(1.15)


def test_dicom_without_any_spacing_needs_manual_calibration(tmp_path):
    image = decode(tmp_path, make_dicom(pixel_spacing=None))
    assert image.spacing is None and image.spacing_source == ""


def test_invalid_pixel_spacing_falls_back_to_imager_spacing(tmp_path):
    image = decode(tmp_path, make_dicom(pixel_spacing=(0.0, 0.14), imager_spacing=(0.2, 0.2)))
    assert image.spacing_source == "imager_pixel_spacing"


def test_window_center_width_maps_to_8_bit_against_ps3_3_linear_formula(tmp_path):
    """DICOM PS3.3 C.11.2.1.2.1 (LINEAR): values ≤ c − 0.5 − (w − 1)/2 are black, values
    > c − 0.5 + (w − 1)/2 white, linear between; here over the 12-bit output range."""
    pixels = np.array([[0, 1000, 1500, 2000, 2500, 3000, 4095]], dtype=np.uint16)
    image = decode(tmp_path, make_dicom(rows=1, cols=7, pixels=pixels, window=(2000, 1001)))
    center, width = 2000 - 0.5, 1001 - 1
    expected = []
    for x in pixels[0]:
        if x <= center - width / 2:
            y = 0.0
        elif x > center + width / 2:
            y = 4095.0
        else:
            y = ((x - center) / width + 0.5) * 4095
        expected.append(round(y * 255 / 4095))
    assert image.pixels[0].tolist() == expected
    assert any("window from the file" in n for n in image.notes)


def test_monochrome1_is_inverted_so_bone_is_white(tmp_path):
    stored = gradient(40, 40)
    mono2 = decode(tmp_path, make_dicom(rows=40, cols=40, pixels=stored), "m2.dcm")
    mono1 = decode(
        tmp_path, make_dicom(rows=40, cols=40, pixels=stored, photometric="MONOCHROME1"), "m1.dcm"
    )
    assert np.array_equal(mono1.pixels, 255 - mono2.pixels)
    # the bright block of the stored values is dark on a MONOCHROME1 film
    assert mono1.pixels[0, 0] == 0 and mono2.pixels[0, 0] == 255
    assert any("MONOCHROME1" in n for n in mono1.notes)


def test_compressed_dicom_without_decoder_names_the_syntax_and_the_package(tmp_path):
    from pydicom.pixels import get_decoder
    from pydicom.uid import JPEGLSLossless

    if get_decoder(JPEGLSLossless).is_available:
        pytest.skip("a JPEG-LS decoder is installed here")
    data = make_dicom(transfer_syntax=JPEGLSLossless, encapsulated=[b"\xff\xd8not-real"])
    with pytest.raises(DecoderMissing) as caught:
        decode(tmp_path, data)
    message = str(caught.value)
    assert "JPEG-LS Lossless Image Compression" in message
    assert "1.2.840.10008.1.2.4.80" in message
    assert "pylibjpeg-libjpeg" in message and "fusiontrack[dicom-codecs]" in message
    assert caught.value.transfer_syntax == "1.2.840.10008.1.2.4.80"


def test_transfer_syntax_without_any_decoder_gets_a_clear_error(tmp_path):
    from pydicom.uid import MPEG4HP41

    data = make_dicom(transfer_syntax=MPEG4HP41, encapsulated=[b"\x00\x00\x01video"])
    with pytest.raises(DecoderMissing, match=r"MPEG-4 AVC/H.264.*no decoder"):
        decode(tmp_path, data)


def test_jpeg_baseline_dicom_is_decoded_with_pillow(tmp_path):
    image = decode(tmp_path, make_jpeg_baseline_dicom())
    assert (image.width, image.height) == (48, 64)
    assert image.transfer_syntax == "1.2.840.10008.1.2.4.50"
    assert image.pixels[:, 0].mean() < 20 and image.pixels[:, -1].mean() > 235


def test_dicom_without_pixel_data_is_refused(tmp_path):
    import io

    import pydicom

    ds = pydicom.dcmread(io.BytesIO(make_dicom()))
    del ds.PixelData
    buffer = io.BytesIO()
    ds.save_as(buffer)
    with pytest.raises(ImagingError, match="no image"):
        decode(tmp_path, buffer.getvalue())


def test_truncated_dicom_is_refused(tmp_path):
    data = make_dicom()
    with pytest.raises(ImagingError):
        decode(tmp_path, data[: len(data) // 3])


def test_too_many_pixels_is_refused_before_decoding(tmp_path):
    with pytest.raises(ImagingError, match="120,000 pixels; the limit here is 100,000"):
        decode(tmp_path, make_dicom(), max_pixels=100_000)
    with pytest.raises(ImagingError, match="limit"):
        decode(tmp_path, make_bitmap("PNG"), "f.png", max_pixels=1000)


def test_png_and_jpeg_decode_to_greyscale_without_calibration(tmp_path):
    for fmt, kind in (("PNG", "png"), ("JPEG", "jpeg")):
        image = decode(tmp_path, make_bitmap(fmt, size=(320, 200), mode="RGB"), f"f.{kind}")
        assert image.file_format == kind
        assert image.pixels.shape == (200, 320) and image.pixels.dtype == np.uint8
        assert image.spacing is None


def test_16_bit_png_is_windowed_not_clipped(tmp_path):
    import io

    from PIL import Image

    values = np.tile(np.linspace(0, 60000, 256).astype(np.uint16), (10, 1))
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    image = decode(tmp_path, buffer.getvalue(), "f.png")
    assert image.pixels[0, 0] == 0 and image.pixels[0, -1] == 255
    assert 100 < image.pixels[0, 128] < 155


def test_to_uint8_and_auto_window():
    values = np.array([-10.0, 0.0, 50.0, 100.0, 200.0])
    assert to_uint8(values, 0, 100).tolist() == [0, 0, 128, 255, 255]
    assert to_uint8(values, 5, 5).tolist() == [0] * 5
    low, high = auto_window(np.arange(1001, dtype=float))
    assert (low, high) == (5.0, 995.0)


def test_preview_is_at_most_2048_and_keeps_the_aspect_ratio():
    assert preview_size(3000, 3000, 2048) == (2048, 2048)
    assert preview_size(2500, 7000, 2048) == (731, 2048)
    assert preview_size(800, 600, 2048) == (800, 600)
    data, w, h = render_preview(np.zeros((300, 3000), dtype=np.uint8), 2048)
    assert (w, h) == (2048, 205) and data.startswith(b"\x89PNG")
