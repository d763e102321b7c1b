#!/usr/bin/env python3
"""Writes src/tokenizer/ftfy_mojibake_tables.cpp: the character data behind ftfy's mojibake repair.

Run once by hand, never by the build. ftfy's fix_encoding decides what is mojibake from hand-made
character classes (its badness categories and its "UTF-8 clue" classes) and re-encodes text in ten
single-byte codecs, five of them ftfy's own "sloppy" variants. This script asks the installed ftfy
(and Python's own codecs and regular expressions) about every code point and writes the answers out,
so the C++ classifies characters exactly as the reference does:

- for each code point, which of those classes it belongs to, plus what Python's `\\s` and `\\w` match
  (the heuristic's patterns use both, and Python's Unicode data is not ICU's);
- for each codec in ftfy's order of trial, the byte each encodable non-ASCII code point becomes;
- what strict windows-1252 makes of bytes 0x80..0x9F (0 where it has no character).

    /usr/bin/python3 scripts/make_ftfy_mojibake_tables.py --ftfy DIR  # DIR holds ftfy/ (6.3.1 was used)
"""
import argparse
import os
import re
import sys

# The order of the bits; src/tokenizer/ftfy_mojibake_tables.hpp names them in the same order.
BADNESS_CLASSES = ["common", "c1", "bad", "law", "currency", "start_punctuation", "end_punctuation",
                   "numeric", "kaomoji", "upper_accented", "lower_accented", "upper_common",
                   "lower_common", "box"]
CLUE_CLASSES = ["utf8_first_of_2", "utf8_first_of_3", "utf8_first_of_4", "utf8_continuation",
                "utf8_continuation_strict"]
PYTHON_CLASSES = [("python_space", r"\s"), ("python_word", r"\w")]
ALL_CODE_POINTS = "".join(map(chr, range(0x110000)))
IDENTITY = [c for c in range(0x80) if c != 0x1A]  # bytes every codec here maps to themselves


def members(pattern):
    """Code points that the one-character regex `pattern` matches, as a set."""
    found = set()
    for match in re.finditer("(?:%s)+" % pattern, ALL_CODE_POINTS, re.VERBOSE):
        found.update(range(match.start(), match.end()))
    return found


def class_ranges(badness, chardata):
    patterns = [(name, "[%s]" % badness.MOJIBAKE_CATEGORIES[name]) for name in BADNESS_CLASSES]
    patterns += [(name, "[%s]" % chardata.UTF8_CLUES[name]) for name in CLUE_CLASSES]
    patterns += PYTHON_CLASSES
    assert set(badness.MOJIBAKE_CATEGORIES) == set(BADNESS_CLASSES), "ftfy's categories changed"
    masks = [0] * 0x110000
    for bit, (_, pattern) in enumerate(patterns):
        for code_point in members(pattern):
            masks[code_point] |= 1 << bit
    ranges = []
    for code_point, mask in enumerate(masks):
        if ranges and ranges[-1][2] == mask and ranges[-1][1] == code_point - 1:
            ranges[-1][1] = code_point
        elif mask:
            ranges.append([code_point, code_point, mask])
    return ranges


def codec_entries(chardata, encoding):
    """(code point, byte) for every code point outside the identity range that ftfy can encode."""
    for c in IDENTITY:
        assert chardata.possible_encoding(chr(c), encoding) and chr(c).encode(encoding) == bytes([c])
    entries = []
    for c in range(0x110000):
        if c in IDENTITY or not chardata.possible_encoding(chr(c), encoding):
            continue
        encoded = chr(c).encode(encoding)
        assert len(encoded) == 1
        entries.append((c, encoded[0]))
    assert len({byte for _, byte in entries}) == len(entries), encoding + " is not one-to-one"
    return entries


def strict_windows_1252():
    out = []
    for byte in range(0x80, 0xA0):
        try:
            out.append(ord(bytes([byte]).decode("windows-1252")))
        except UnicodeDecodeError:
            out.append(0)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ftfy", required=True, help="folder holding the ftfy package")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "src", "tokenizer",
                                                      "ftfy_mojibake_tables.cpp"))
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.ftfy))
    import ftfy
    from ftfy import badness, chardata

    ranges = class_ranges(badness, chardata)
    range_rows = "\n".join("    {0x%04X, 0x%04X, 0x%06X}," % tuple(r) for r in ranges)
    codec_blocks = []
    codec_rows = []
    for index, encoding in enumerate(chardata.CHARMAP_ENCODINGS):
        entries = codec_entries(chardata, encoding)
        pairs = ",\n".join("    " + ", ".join("{0x%04X, 0x%02X}" % entry for entry in entries[i:i + 8])
                           for i in range(0, len(entries), 8))
        codec_blocks.append(f"const CodecEntry kCodec{index}[] = {{\n{pairs}}};\n")
        codec_rows.append('    {"%s", %s, kCodec%d, %d},' % (encoding, "true" if encoding.startswith("sloppy")
                                                              else "false", index, len(entries)))
    c1 = ", ".join("0x%04X" % c for c in strict_windows_1252())

    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        out.write(f"""// Generated by scripts/make_ftfy_mojibake_tables.py (Python {sys.version.split()[0]}, ftfy {ftfy.__version__}); do not edit.
#include "tokenizer/ftfy_mojibake_tables.hpp"

namespace vqclip::mojibake {{

const ClassRange kClassRanges[] = {{
{range_rows}
}};
const size_t kClassRangeCount = sizeof(kClassRanges) / sizeof(kClassRanges[0]);

namespace {{

{"".join(codec_blocks)}
}}  // namespace

const Codec kCodecs[] = {{
{chr(10).join(codec_rows)}
}};
const size_t kCodecCount = sizeof(kCodecs) / sizeof(kCodecs[0]);

const char32_t kStrictWindows1252C1[32] = {{{c1}}};

}}  // namespace vqclip::mojibake
""")
    print(f"{len(ranges)} class ranges, {len(codec_rows)} codecs -> {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
