"""Text files' bytes to str: BOM and UTF-16 first, then UTF-8 line by line with a legacy fallback.

Users' files come in every encoding: UTF-8 with or without a BOM, UTF-16 from Excel, cp1252 from old
Windows programs, cp1251, Shift-JIS, GB18030… and files that mix two of them. Nothing is assumed blindly,
and every line read in an encoding other than the file's main one is named in a note for the user.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from ..base.errors import DataError
from ..base.sanitize import printable

HEAD_BYTES = 65536  # what a streamed file's encoding and delimiter are sniffed from
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class Decoded(NamedTuple):
    text: str
    encoding: str
    notes: list[str]


@dataclass
class LineDecoder:
    """Bytes to text a line at a time, so that one odd line neither spoils the file nor stops a stream.

    Files that mix UTF-8 with a legacy encoding are common (saved as UTF-8, appended to by an old
    program, or the other way round). Each line is read as UTF-8 when it is valid UTF-8, else in the
    legacy encoding; the lines that differ from the file's main `encoding` are listed in notes().
    """

    encoding: str  # the file's main encoding, as reported
    legacy: str  # what a line that is not UTF-8 is read as
    odd_lines: list[int] = field(default_factory=list)  # 1-based numbers of lines not in `encoding`
    candidates: list[str] = field(default_factory=list)  # when `legacy` is a weak guess: the others that fit
    sample: bytes = b""  # the first line that is not UTF-8, to show how each candidate reads it
    chosen: bool = False  # the user named the encoding: a line it cannot read is an error, not a guess

    @property
    def whole(self) -> bool:  # in UTF-16/32 a line end is not the byte \n: decode the stream whole
        return self.encoding.startswith(("utf-16", "utf-32"))

    @property
    def _utf8(self) -> bool:
        return self.encoding.startswith("utf-8")

    @classmethod
    def named(cls, encoding: str) -> "LineDecoder":
        """The decoder for an encoding the user chose. Lines that are valid UTF-8 stay UTF-8 (a file appended
        to by two programs) and are named in a note; every other line must be valid in `encoding`."""
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise DataError(f"“{encoding}” is not an encoding LoRA Studio knows.",
                            "Try utf-8, cp1252, shift_jis, cp949, gb18030, big5 or cp1251.") from None
        if name in ("utf-16", "utf-32"):  # no byte order given: the byte-order mark, else little-endian
            name += "-le"
        return cls(name, name, chosen=True)

    @classmethod
    def sniff(cls, raw: bytes) -> "LineDecoder":
        """The decoder for a file that is, or starts with, `raw` (cut at a line end). Refuses binary files."""
        for bom, name in _BOMS:
            if raw.startswith(bom):
                return cls(name, "cp1252" if name == "utf-8-sig" else name)
        head = raw[:4096]
        if head and head.count(b"\x00") > len(head) // 4:  # UTF-16 without a BOM: every other byte is 0
            name = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
            try:
                codecs.getincrementaldecoder(name)().decode(raw)
                return cls(name, name)
            except UnicodeDecodeError:
                pass
        if b"\x00" in head:
            raise DataError("This looks like a binary file, not a text table.",
                            "Export it as CSV, or as JSON Lines, Parquet or Excel.")
        if _is_utf8(raw):
            return cls("utf-8", "cp1252")
        utf8_lines, legacy_lines, sample, offset = 0, 0, bytearray(), 0
        for line in io.BytesIO(raw):
            offset += len(line)
            if line.isascii():
                continue  # says nothing about the encoding
            try:
                line.decode("utf-8")
                utf8_lines += 1
            except UnicodeDecodeError:
                legacy_lines += 1
                # the guess is made from the lines a stream sees (its first HEAD_BYTES), so that a file read
                # whole and streamed is read alike; lines further on only when those have none
                if offset <= HEAD_BYTES or not sample:
                    sample += line
        legacy, others = _guess_legacy(bytes(sample))
        first = sample.split(b"\n", 1)[0]
        return cls("utf-8" if utf8_lines >= legacy_lines else legacy, legacy,  # the majority names the file
                   candidates=others, sample=first)

    def lines(self, raw_lines: Iterable[bytes]) -> Iterator[str]:
        for number, line in enumerate(raw_lines, 1):
            try:
                text, utf8 = line.decode("utf-8"), True
            except UnicodeDecodeError:
                text, utf8 = self._legacy(line, number), False
            if utf8 != self._utf8 and not line.isascii():
                self.odd_lines.append(number)
            yield text.removeprefix("\ufeff") if number == 1 else text  # a UTF-8 byte-order mark

    def _legacy(self, line: bytes, number: int) -> str:
        if not self.chosen:
            return line.decode(self.legacy, errors="replace")
        try:
            return line.decode(self.legacy)
        except UnicodeDecodeError:
            raise DataError(f"Line {number:,} cannot be read as {self.legacy}: the file was not written in it.",
                            "Choose another encoding, or let LoRA Studio guess it.") from None

    def decode(self, raw: bytes) -> str:
        if self.whole:
            return raw.decode(self.encoding)
        if self._utf8:
            try:
                return raw.decode(self.encoding)
            except UnicodeDecodeError:
                pass
        return "".join(self.lines(io.BytesIO(raw)))

    def notes(self) -> list[str]:
        return self._guess_note() + self._odd_lines_note()

    def _guess_note(self) -> list[str]:
        """A weak guess is said, with how the first line not in UTF-8 reads in each encoding that fits it,
        so that the user can see which one is right and choose it."""
        if not self.candidates or not self.sample:
            return []
        def reads(name: str) -> str:
            return f"“{printable(self.sample.decode(name, errors='replace').strip()[:40])}”"
        what = ("This file's encoding" if self.encoding == self.legacy
                else "The encoding of its lines that are not UTF-8")
        others = ", ".join(f"in {name} it reads {reads(name)}" for name in self.candidates)
        return [f"{what} is a guess: it was read as {self.legacy}, where its first line with non-English letters "
                f"reads {reads(self.legacy)}; {others}. "
                "If the text looks wrong, choose the encoding that reads right (Encoding on the Dataset page, "
                "--encoding on the command line)."]

    def _odd_lines_note(self) -> list[str]:
        n = len(self.odd_lines)
        if not n:
            return []
        shown = ", ".join(str(i) for i in self.odd_lines[:10]) + (f" and {n - 10:,} more" if n > 10 else "")
        lines, were, them = ("Line", "was", "it") if n == 1 else ("Lines", "were", "them")
        if self._utf8:
            return [f"{lines} {shown} {were} not UTF-8 and {were} read as {self.legacy}; check {them}."]
        return [f"{lines} {shown} of this {self.encoding} file {were} UTF-8 and {were} read as UTF-8; check {them}."]


def _is_utf8(raw: bytes) -> bool:
    """Whether `raw` is valid UTF-8, checked a megabyte at a time: decoding a whole file at once would hold
    it a second time, as text of up to four bytes a letter."""
    decoder, view, step = codecs.getincrementaldecoder("utf-8")(), memoryview(raw), 1024**2
    try:
        for start in range(0, len(raw), step):
            decoder.decode(view[start:start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


WEAK_GUESS = 0.15  # encodings whose "chaos" (charset-normalizer's mess score, 0-1) is this close to the best fit
# East Asian legacy encodings each have a core: the characters of the national standard (two bytes each) that
# ordinary text is written in. A wrong reading gives rare extension characters (Shift-JIS read as cp949) or
# half-width katakana (Korean read as cp932): the share of core characters tells the right reading.
_CORE = {"cp932": "euc_jp", "shift_jis": "euc_jp", "euc_jp": "euc_jp", "cp949": "euc_kr", "euc_kr": "euc_kr",
         "gb18030": "gb2312", "gbk": "gb2312", "gb2312": "gb2312", "big5": "big5", "big5hkscs": "big5",
         "cp950": "big5"}


def _guess_legacy(sample: bytes) -> tuple[str, list[str]]:
    """The legacy encoding of non-UTF-8 lines (cp1251, Shift-JIS, GB18030…), cp1252 for Western text; and
    the other encodings that read the sample about as well (the guess is weak when there are any)."""
    from charset_normalizer import from_bytes

    # charset-normalizer needs more text than a few appended lines give it: on short Western samples it
    # answers cp1250, cp1257, cp1258, even Shift-JIS or UTF-16. So Western-looking text is settled first.
    try:
        if _looks_western(sample.decode("cp1252")):
            return "cp1252", []
    except UnicodeDecodeError:
        pass
    # lines were split at the byte \n, which UTF-16/32 text does not end with: those are never candidates
    matches = [m for m in from_bytes(sample) if not m.encoding.startswith(("utf_16", "utf_32"))]
    if not matches:
        return "cp1252", []
    least = min(m.chaos for m in matches)
    close = [(m.encoding, _core_share(sample, m.encoding)) for m in matches if m.chaos <= least + WEAK_GUESS]
    close.sort(key=lambda c: -c[1])  # stable: charset-normalizer's order among equals
    best, top = close[0]
    return best, [name for name, share in close[1:] if share >= top - 0.2][:3]


def _core_share(sample: bytes, encoding: str) -> float:
    """The share of the sample's non-ASCII letters that are core characters in `encoding` (0.5: no opinion)."""
    core = _CORE.get(encoding)
    letters = [c for c in sample.decode(encoding, errors="replace") if not c.isascii() and c.isalpha()]
    if core is None or not letters:
        return 0.5

    def in_core(ch: str) -> bool:
        try:
            return len(ch.encode(core)) == 2 and not "\uff61" <= ch <= "\uff9f"
        except UnicodeEncodeError:
            return False
    return sum(map(in_core, letters)) / len(letters)


_WORD = re.compile(r"[^\W\d_]+")
_WESTERN_MARKS = set("€‘’“”–—…«»¡¿°·•\xa0")


def _looks_western(text: str) -> bool:
    """Accents inside mostly-ASCII words ("déjà", "Größe"). Cyrillic, Greek or CJK bytes read as cp1252
    give words with no ASCII letter at all ("Ïðèâåò") and stray symbols ("‚±‚Ì")."""
    words = [w for w in _WORD.findall(text) if not w.isascii()]
    all_foreign = sum(1 for w in words if not any(c.isascii() for c in w))
    symbols = sum(1 for c in text if not c.isascii() and not c.isalpha() and c not in _WESTERN_MARKS)
    return bool(words) and all_foreign <= len(words) / 2 and symbols <= len(words) / 2


def decode_bytes(raw: bytes) -> Decoded:
    """Decode a whole text file: (text, encoding name, notes about lines read in another encoding)."""
    decoder = LineDecoder.sniff(raw)
    text = decoder.decode(raw)
    return Decoded(text, decoder.encoding, decoder.notes())
