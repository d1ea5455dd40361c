"""Checking and converting downloaded reference bytes: JPEG/PNG as they are, others to PNG.

Run in a thread (`ReferenceImageLoader` does), never on the event loop: converting an
image costs CPU and memory in proportion to its pixels. Pixels are counted from the
header before anything is decoded, so an image bomb (a small file declaring a huge
canvas) is refused without being expanded.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from workflows.decisions.veo_models import REFERENCE_MIME_TYPES

# JPEG and PNG are sent as they are (never decoded here): up to 4096 x 4096, far above
# what a reference needs. Other formats are decoded and re-encoded as PNG, which holds
# several copies of the frame (libwebp's, Pillow's, the encoder's): measured, a
# 4096 x 4096 WebP took 300 MB; up to 2048 x 2048 (still above 1080p) they are converted.
MAX_REFERENCE_PIXELS = 4096 * 4096
MAX_CONVERTED_PIXELS = 2048 * 2048
_MIME_BY_FORMAT = {"JPEG": "image/jpeg", "PNG": "image/png"}
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA"}  # saved as PNG without converting
# Pillow warns from 89 MP and refuses from 179 MP; the cap above refuses far earlier, so
# its warning says nothing new (its error is still caught below).
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class NotAReference(Exception):
    """Bytes that cannot be sent as a reference image; the message says why."""


def as_jpeg_or_png(data: bytes, max_pixels: int = MAX_REFERENCE_PIXELS) -> tuple[bytes, str]:
    """The image as JPEG or PNG bytes with its mimeType; others converted to PNG."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise NotAReference(f"{width}x{height} pixels, over the "
                                    f"{max_pixels:,} pixel cap")
            mime_type = _MIME_BY_FORMAT.get(image.format or "")
            if mime_type in REFERENCE_MIME_TYPES:
                return data, mime_type
            if width * height > MAX_CONVERTED_PIXELS:
                raise NotAReference(f"a {image.format} of {width}x{height} pixels: only JPEG "
                                    f"and PNG are sent over {MAX_CONVERTED_PIXELS:,} pixels "
                                    "(converting it would cost too much memory)")
            image.seek(0)  # an animated image: its first frame
            out = io.BytesIO()
            if image.mode not in _PNG_MODES:  # CMYK, YCbCr, ...: converted, one more copy
                mode = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
                image = image.convert(mode)
            image.save(out, format="PNG")  # a palette stays a palette: 1 byte a pixel
            return out.getvalue(), "image/png"
    except NotAReference:
        raise
    except Image.DecompressionBombError as exc:
        raise NotAReference(f"an image bomb ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure: this image is not used
        raise NotAReference(f"not a readable image ({type(exc).__name__})") from None
