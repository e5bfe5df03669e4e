"""Read a file's bytes as text, or say clearly why it is not a table we can read."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from errors import IngestError
from ingest.normalize import simplify_chars

# Tried in order after UTF-8; a decoding counts only when the result reads as Chinese.
FALLBACK_ENCODINGS = ("gb18030", "big5")
_MAX_RARE = 0.2
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # share of Han characters outside GB2312 (after simplification) in real text


def bytes_id(data: bytes) -> str:
    """A short content hash of a file's bytes (the Document's content_hash for binary formats)."""
    return hashlib.sha1(data).hexdigest()[:16]


def read_bytes(path: Path) -> bytes:
    """A file's bytes; IngestError (naming the file) when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IngestError(path.name, f"无法读取文件: {exc.strerror or exc}") from exc


def read_text(path: Path) -> str:
    """Decode a text file (UTF-8, UTF-16, GB18030/GBK or Big5). Raises IngestError on bad input."""
    return decode(read_bytes(path), path.name)


def decode(data: bytes, source: str) -> str:
    """Decoded text; IngestError for empty, binary or undecodable data."""
    return detect(data, source)[0]


def detect(data: bytes, source: str) -> tuple[str, str]:
    """(text, encoding) of a text file's bytes. Raises IngestError saying what was expected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _checked(data.decode("utf-16"), source), "utf-16"
        except UnicodeDecodeError as exc:
            raise IngestError(source, "文件以 UTF-16 标记开头,但内容无法按 UTF-16 解码") from exc
    if not data.strip():
        raise IngestError(source, "文件为空,需要一张项目支出绩效目标表")
    if b"\x00" in data[:4096]:
        raise IngestError(source, "这是二进制文件,不是文本表格(需要 txt/csv/xlsx/docx/html/pdf)")
    try:
        return _checked(data.decode("utf-8-sig"), source), "utf-8"
    except UnicodeDecodeError:
        pass
    tried: list[tuple[float, str, str]] = []
    for encoding in FALLBACK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        tried.append((_rare_share(text), encoding, text))
    plausible = sorted(t for t in tried if t[0] <= _MAX_RARE)
    if not plausible:
        raise IngestError(source, "无法识别文件编码(解码后不是中文文本),需要 UTF-8、GBK/GB18030 或 Big5 编码的文本")
    _, encoding, text = plausible[0]
    return _checked(text, source), encoding


def _checked(text: str, source: str) -> str:
    controls = len(_CONTROL.findall(text, 0, 20000))
    if controls > max(2, len(text[:20000]) // 200):
        raise IngestError(source, "文件含有大量控制字符,不是文本表格(需要 txt/csv/xlsx/docx/html/pdf)")
    return text


def _rare_share(text: str, sample: int = 20000) -> float:
    """Share of Han characters outside GB2312 once simplified: ~0 for Chinese, high for mojibake."""
    han = [ch for ch in simplify_chars(text[:sample]) if ord(ch) >= 0x2E80 and not ("\u3000" <= ch <= "\u303f")]
    if not han:
        return 0.0
    rare = 0
    for ch in han:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            rare += 1
    return rare / len(han)
