"""Draw the application icon (the LoRA picture: a weight matrix W plus its low-rank update B·A).

Writes resources/icon.png (512 px), resources/icon.ico (Windows) and resources/icon.icns (macOS). ICO and
ICNS both accept PNG payloads, so they are assembled here without Pillow.
Run: QT_QPA_PLATFORM=offscreen python tools/make_icon.py
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen

OUT = Path(__file__).resolve().parent.parent / "resources"


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 512
    tile = QPainterPath()
    tile.addRoundedRect(QRectF(16 * s, 16 * s, 480 * s, 480 * s), 104 * s, 104 * s)
    gradient = QLinearGradient(0, 0, size, size)
    gradient.setColorAt(0, QColor("#4f46e5"))
    gradient.setColorAt(1, QColor("#7c3aed"))
    p.fillPath(tile, gradient)
    # W: the frozen weight matrix, a faint square grid
    p.setPen(QPen(QColor(255, 255, 255, 90), max(1.0, 10 * s)))
    p.drawRoundedRect(QRectF(176 * s, 176 * s, 232 * s, 232 * s), 18 * s, 18 * s)
    for i in (1, 2):
        offset = (176 + i * 232 / 3) * s
        p.drawLine(int(offset), int(176 * s), int(offset), int(408 * s))
        p.drawLine(int(176 * s), int(offset), int(408 * s), int(offset))
    # B (tall, narrow) and A (wide, flat): the trainable low-rank pair
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#fbbf24"))
    p.drawRoundedRect(QRectF(104 * s, 176 * s, 48 * s, 232 * s), 16 * s, 16 * s)
    p.setBrush(QColor("#34d399"))
    p.drawRoundedRect(QRectF(176 * s, 104 * s, 232 * s, 48 * s), 16 * s, 16 * s)
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(sizes: list[int]) -> bytes:
    images = [png_bytes(draw(n)) for n in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, payload = b"", b""
    for n, data in zip(sizes, images):
        entries += struct.pack("<BBBBHHII", n % 256, n % 256, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + entries + payload


def icns() -> bytes:
    chunks = b""
    for kind, n in ((b"ic07", 128), (b"ic08", 256), (b"ic09", 512)):
        data = png_bytes(draw(n))
        chunks += kind + struct.pack(">I", 8 + len(data)) + data
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)  # noqa: F841 - QImage text/fonts need it
    (OUT / "icon.png").write_bytes(png_bytes(draw(512)))
    (OUT / "icon.ico").write_bytes(ico([16, 24, 32, 48, 64, 256]))
    (OUT / "icon.icns").write_bytes(icns())
    print(f"wrote icon.png, icon.ico and icon.icns to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
