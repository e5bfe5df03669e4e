"""Read a file's bytes as text, or say clearly why it is not a table we can read."""

from __future__ import annotations

from pathlib import Path

from errors import IngestError

ENCODINGS = ("utf-8-sig", "gb18030", "big5")


def read_text(path: Path) -> str:
    """Decode a text file (UTF-8, GB18030/GBK or Big5). Raises IngestError on bad input."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path.name, f"无法读取文件: {exc.strerror or exc}") from exc
    return decode(data, path.name)


def decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise IngestError(source, "文件为空,需要一张项目支出绩效目标表")
    if b"\x00" in data[:4096]:
        raise IngestError(source, "这是二进制文件,不是文本表格(需要 txt/csv/xlsx/pdf)")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise IngestError(source, "无法识别文件编码,需要 UTF-8、GBK/GB18030 或 Big5 编码的文本")


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls <= max(2, len(text) // 200)
