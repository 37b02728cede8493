"""The code page of an export: UTF-8 unless told otherwise, and a legacy code page refused
when the text it gives is implausible, with the likely one named.

A cp866 export decoded as cp1251 decodes without an error (every byte is some letter) and
reads as nonsense. charset-normalizer measures how implausible a decoding is (its "chaos":
letters of different scripts mixed within words, symbols inside words, case flipping); the
code page asked for is refused when another one of those exports are usually in reads far
better.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from digest.errors import ContentError, Problem, UsageError

# Code pages of the exports this digest meets (Russian, Central Asian and Western European
# sources), in the order a tie names them.
LIKELY = ("cp1251", "cp866", "koi8-r", "koi8-u", "iso8859-5", "mac-cyrillic", "cp1252",
          "iso8859-1", "cp1250", "iso8859-2", "cp1254", "cp1257")
WORSE_BY = 10.0  # percentage points of chaos that make a decoding implausible beside another


def decode_export(data: bytes, name: str, encoding: str | None) -> str:
    """The export's text: UTF-8 (BOM allowed) unless `encoding` names a legacy code page;
    raises ContentError (naming `name` and the likely code page) for text that cannot be
    read so, UsageError for an encoding Python does not know."""
    if encoding:
        codec = _codec(encoding)
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ContentError("", [Problem(name, line, f"cannot be read as {encoding}: "
                                            + _advice(data, codec))]) from None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ContentError("", [Problem(name, line, "not UTF-8: " + _advice(data, None))]
                               ) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if encoding and _is_utf8(data) and codec not in ("utf-8", "utf-8-sig"):
        raise ContentError("", [Problem(name, None, (
            f"the export is UTF-8, not {encoding}: import it without --encoding"))])
    if encoding and (_looks_like_mojibake(text) or _implausible(data, codec)):
        raise ContentError("", [Problem(name, None, (
            f"decoding as {encoding} gives unreadable text: " + _advice(data, codec)))])
    return unicodedata.normalize("NFC", text)


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(f"--encoding {encoding}: not an encoding Python knows: give a codec "
                         "name such as cp1251, cp866, koi8-r or latin-1") from None


def _chaos(data: bytes, codec: str) -> float | None:
    """How implausible `data` decoded as `codec` reads (percent; None: not decodable)."""
    from charset_normalizer import (
        from_bytes,  # (deferred: only an import of a legacy export)
    )

    found = from_bytes(data, cp_isolation=[codec], threshold=0.9).best()
    return found.percent_chaos if found is not None else None


def _ranked(data: bytes, also: str | None = None) -> list[tuple[float, str]]:
    """The likely code pages (and `also`) that decode `data`, most plausible first."""
    names = list(LIKELY)
    if also is not None and also not in names:
        names.append(also)
    out = []
    for order, codec in enumerate(names):
        chaos = _chaos(data, codec)
        if chaos is not None:
            out.append((chaos, order, codec))
    return [(chaos, codec) for chaos, _order, codec in sorted(out)]


def _implausible(data: bytes, codec: str) -> bool:
    """Whether another likely code page reads the export far better than `codec`."""
    if data.isascii():
        return False
    ranked = _ranked(data, codec)
    mine = next((chaos for chaos, name in ranked if name == codec), None)
    return bool(ranked) and ranked[0][1] != codec and (
        mine is None or mine >= ranked[0][0] + WORSE_BY)


def _advice(data: bytes, codec: str | None) -> str:
    """What to give --encoding: the most plausible code page other than `codec`, if any."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") and codec not in ("utf-16", "utf-16-le",
                                                                "utf-16-be"):
        return "it is UTF-16 (it starts with its byte-order mark): import it with --encoding utf-16"
    for chaos, name in _ranked(data):
        if name != codec:
            if chaos < WORSE_BY:
                return f"it reads as {name}: import it with --encoding {name}"
            break
    return ("give the export's encoding with --encoding (cp1251 for Cyrillic Windows "
            "exports, cp866 for DOS, latin-1 for Western European)")


def _is_utf8(data: bytes) -> bool:
    # Legacy single-byte text with letters above 0x7F almost never forms valid UTF-8.
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b >= 0x80 for b in data)


def _looks_like_mojibake(text: str) -> bool:
    # UTF-8 read as a single-byte code page shows as pairs such as 'Ð°' or 'Ã©'.
    pairs = len(re.findall(r"[ÐÑÃÂ][\x80-\xbf\u0400-\u04ff\u00a0-\u00bf]", text))
    return pairs > 3 and pairs > len(text) / 200
