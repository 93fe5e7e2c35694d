"""Real image files made with Pillow, as an organizer's computer or phone
would send them."""

import io
import struct
import zlib

from PIL import ExifTags, Image

# Where the photo was taken, as a phone writes it: Parliament Hill, Ottawa.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (45.0, 25.0, 26.0),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (75.0, 42.0, 0.0),
}
CAMERA_OWNER = "Amira Haddad's phone"


def image_bytes(
    size: tuple[int, int],
    kind: str = "PNG",
    *,
    colour: str | int | tuple = "red",
    mode: str = "RGB",
    **params,
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=kind, **params)
    return out.getvalue()


def photo_with_gps(size: tuple[int, int] = (1600, 1200), colour="red") -> bytes:
    """A JPEG photo whose EXIF says where it was taken and whose it is."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Artist] = CAMERA_OWNER
    exif[ExifTags.Base.GPSInfo] = GPS
    data = image_bytes(size, "JPEG", colour=colour, exif=exif.tobytes())
    # The test means something only if the photo does carry them.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def pixel_bomb() -> bytes:
    """A PNG of 56 million pixels that is a few kilobytes: one colour."""
    return image_bytes((8000, 7000), "PNG", mode="1", colour=0)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def claimed_pixels(width: int, height: int) -> bytes:
    """A PNG whose header claims width by height pixels and holds none: the
    decompression bomb Pillow itself refuses to open past 179 million."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
