#!/usr/bin/env python3
"""Writes tests/data/clip_bpe_golden.jsonl: texts and the ids OpenAI's reference CLIP tokenizer gives them.

Run once by hand, never by the build or CI: the reference needs `ftfy` and `regex`. The first line
is a header (versions, the count of texts and of mojibake repairs); then one JSON object a line:
{"text": ..., "ids": [...]}, ids being SimpleTokenizer.encode(text), the text alone (no start/end tokens, no padding).

    /usr/bin/python3 scripts/make_clip_bpe_golden.py --reference DIR \
        --vocab ../shared/data/clip/bpe_simple_vocab_16e6.txt.gz

DIR holds `clip/simple_tokenizer.py` of openai/CLIP and the `ftfy` package (ftfy/ of rspeer/python-ftfy
at tag v6.3.1, which Debian 12 does not package) side by side, neither of them kept in this repository.
ftfy imports Debian's python3-wcwidth. `regex` is Debian's python3-regex (2022.10.31, which reports
itself as 2.5.123); the data is the same with regex 2026.5.9.

The texts below are chosen to reach every step of the reference's cleaning and splitting: ftfy's
repairs, HTML unescaping, Unicode whitespace, case mapping, the pre-tokenizer's classes, special tokens
and long prompts, and ftfy's mojibake repair ("cafÃ©" -> "café"): UTF-8 mis-decoded in each codec ftfy
tries, twice over, mixed with good text, with lost no-break spaces, C1 controls, CESU-8, and odd-looking
text that ftfy leaves alone. The header counts the texts whose cleaning depends on the mojibake repair
(ftfy.fix_text gives another result with fix_encoding=False).
"""
import argparse
import json
import os
import sys

TEXTS = [
    # plain prompts, the design's examples
    "a photo of a cat",
    "Hello, World!",
    "a red circle on a blue background",
    "A watercolour fox in a misty forest, trending on ArtStation, 4k, unreal engine",
    "an oil painting of a lighthouse at dusk by Ivan Aivazovsky",
    "ratio 3:2, at 10:30, see https://example.org/a?b=c&d=e#f",
    "route 66 :2",
    "",
    "   ",
    "!!!",
    "...and then?!",
    "C++17 & libtorch 1.13.1 -- 3.14159 x 2e-5 = 100% (approx.)",
    "email: someone@example.com; path C:\\Users\\x\\file.txt",
    "#hashtag @user $100 ~tilde^caret `backtick` {braces} [brackets] <angle>",
    "snake_case kebab-case camelCase PascalCase SCREAMING_CASE",
    "tabs\tand\nnewlines\r\nand  double  spaces",
    # contractions and apostrophes
    "it's what you're doing, I'm sure we've seen they'll say he'd know, don't",
    "IT'S WHAT YOU'RE DOING, I'M SURE WE'VE SEEN THEY'LL SAY HE'D KNOW, DON'T",
    "rock 'n' roll, the '90s, o'clock, 'quoted', ''s, '''",
    "dogs' toys and the cat's'",
    "!'s ?'t .'re",
    # special tokens in the text
    "<|startoftext|>a dog<|endoftext|>",
    "<|ENDOFTEXT|> upper and <|EndOfText|> mixed",
    "<|endoftext|><|endoftext|>",
    "x<|endoftext|>y !<|endoftext|> <|endoftext",
    # IGNORECASE matches these spellings as one piece, which is BPE'd, not made a special id
    "<|\u017ftartoftext|>a dog it'\u017f <|endoftext|>",
    # HTML
    "fish &amp; chips",
    "fish &amp;amp; chips &amp;amp;amp;lt;",
    "&lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot; &#39;single&#39;",
    "<b>bold</b> &amp; tags",
    "&copy; 2021 &reg; &trade; &euro;5 &pound;3 &yen;",
    "&copy2021 &amp x &ampx &notit; &not it &notin; &NotEqual;",
    "&eacute;t&eacute; &EACUTE; &Eacute; &ntilde; &NTILDE; &nTILDE;",
    "&#65;&#x42;&#X43;&#0068;&#69 &#x46 &#; &#x; &#abc;",
    "&#128512; &#x1F600; &#0; &#x110000; &#xD800; &#128; &#150; &#x9F;",
    "&ldquo;curly&rdquo; &lsquo;single&rsquo; &hellip; &mdash; &ndash;",
    "&frac12; &frac34; &sup2; &times; &divide; &deg;C",
    "&Jscr;ohn &HilbertSpace;ancock &checkmark; &nbsp;nbsp",
    "&unknownentity; & ampersand alone &",
    "line one &amp;\nline two < three &amp;amp;",
    "line one < two\n&amp;amp;amp;amp; on line two",
    # ftfy character repairs
    "\u201cdouble\u201d \u2018single\u2019 \u201e\u201f\u201a\u201b \u02bcmodifier",
    "\ufb01ne \ufb02ower o\ufb03ce \ufb00 \ufb04 \ufb05 \ufb06 \u0132 \u0133 \u0149 \u01c4 \u01c6 \u01c9 \u01cc \u01f1",
    "\uff21\uff22\uff23 \uff41\uff42\uff43 \uff11\uff12\uff13 \uff01\uff1f",
    "\u3000ideographic\u3000space\u3000",
    "\uff76\uff80\uff76\uff85 \uff9d \uffa1\uffa4 \uff61\uff62\uff63\uff64\uff65 \uff5f\uff60",
    "\uffe0\uffe1\uffe2\uffe3\uffe4\uffe5\uffe6 \uffe8\uffe9\uffea\uffeb\uffec\uffed\uffee",
    "bell\x07here nul\x00here vt\x0bff\x0cdel\x7f",
    "\x1b[31mred text\x1b[0m and \x1b[1;4mbold\x1b[m",
    "bom\ufeffinside \u206aarabic\u206f \ufff9\ufffa\ufffb\ufffc",
    "c1 \x80 \x85 \x91quoted\x92 \x93dq\x94 \x96 \x9f",
    "line\u2028sep\u2029para\x85next",
    "zero\u200bwidth\u200cnon\u200djoiner\u2060word \u00adsoft\u00adhyphen",
    "rtl \u200fmark\u200e \u202aembed\u202c",
    # whitespace classes
    "nbsp\u00a0here thin\u2009space en\u2002em\u2003 narrow\u202fnbsp math\u205fspace",
    "ogham\u1680space mongolian\u180evowel",
    "info\x1cseps\x1d\x1e\x1fend",
    # normalisation and case
    "Cafe\u0301 cafe\u0301 Caf\u00e9 CAF\u00c9",
    "\u0041\u030a \u212b \u00c5 \u2126 ohm",
    "Stra\u00dfe STRASSE \u1e9e",
    "\u0130stanbul \u0131\u0131 DIYARBAKIR",
    "\u039f\u0394\u039f\u03a3 \u039f\u0394\u039f\u03a3\u0399 \u03a3",
    "\u01c5 \u01c8 \u01cb \u1f88 \u0149",
    "\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33",
    # scripts
    "\u03ba\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0401\u0436\u0438\u043a",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3002\u6771\u4eac\u30bf\u30ef\u30fc",
    "\u4e00\u53ea\u5728\u68ee\u6797\u91cc\u7684\u72d0\u72f8",
    "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4 \u1100\u1161\u11a8",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u0661\u0662\u0663",
    "\u0936\u0941\u092d \u0926\u093f\u0928 \u0928\u092e\u0938\u094d\u0924\u0947 \u0967\u0968",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",
    "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd",
    "\u1e9b\u0323 \u0071\u0307\u0323 z\u0335\u0327\u0301alg\u0336o",
    # numbers
    "2026 1,234,567.89 -42 +7 3rd 21st",
    "x\u00b2 y\u00b3 \u00bd \u00bc \u2153 \u2460\u2461 \u2162 \u216b \u00b9 \u2070",
    "\u0663\u0664 \u096a \u0e53 \uff15 \U0001d7d8 \u4e09",
    # symbols and emoji
    "\U0001F600 \U0001F44D\U0001F3FD \U0001F468\u200d\U0001F469\u200d\U0001F467 \U0001F1EB\U0001F1F7 \u2764\ufe0f",
    "a \U0001F98A in the \U0001F332\U0001F332 at \U0001F305",
    "\u2192 \u2190 \u2605 \u2713 \u00a9 \u00ae \u2122 \u20ac \u00b0 \u00b1 \u00d7 \u2211 \u221e \u221a",
    "\U00010348 gothic \U0001D11E clef \U000E0041 tag",
    "private \ue000 use \U000F0000 and \ufffd replacement",
    # mojibake (ftfy's fix_encoding)
    "caf\u00c3\u00a9 cr\u00c3\u00a8me br\u00c3\u00bbl\u00c3\u00a9e",
    "\u00e2\u0080\u009cquoted\u00e2\u0080\u009d",
    "\u00e2\u20ac\u0153smart quotes\u00e2\u20ac\u009d and \u00e2\u20ac\u2122apostrophe",
    "\u00e2\u0153\u201d No problems",
    "voil\u00c3 le travail",
    "s\u00c3\u00b3 r\u00c3\u00a1pido",
    "&macr;\\_(\u00e3\u0083\u0084)_/&macr;",
    "\u00d0\u009f\u00d1\u0080\u00d0\u00b8\u00d0\u00b2\u00d0\u00b5\u00d1\u0082",
    "The Mona Lisa doesn\u00c3\u00a2\u00e2\u201a\u00ac\u00e2\u201e\u00a2t have eyebrows.",
    "na\u00efve na\u00c3\u00afve",
    "\u00c3\u00bc \u00c3\u00b6 \u00c3\u00a4 \u00c3\u0178",
    # mojibake: UTF-8 read as windows-1252 or latin-1
    "M\u00c3\u00bcnchen Gr\u00c3\u00bc\u00c3\u0178e",
    "\u00c3\x89LAN and \u00c3\u2030cole",
    "\u00c3\x9cn\u00c3\u00afc\u00c3\u00b6d\u00c3\u00a9 fa\u00c3\u00a7ade",
    "A\u00c3\u00b1o Nuevo en S\u00c3\u00a3o Paulo",
    "p\u00c3\u00a1gina http://example.com/\u00c3\u00a1",
    "emoji \u00f0\u0178\u02dc\u20ac here",
    "\u00f0\x9f\x98\x80 latin-1 emoji",
    "\u00e6\u2014\u00a5\u00e6\u0153\u00ac\u00e8\u00aa\u017e\u00e3\u0192\u2020\u00e3\u201a\u00ad\u00e3\u201a\u00b9\u00e3\u0192\u02c6",
    "\u00ed\u2022\u0153\u00ea\u00b5\u00ad\u00ec\u2013\u00b4",
    "\u00c3\u00af\u00c2\u00bb\u00c2\u00bfbom",
    "\u00c2\u00af\\_(\u00e3\u0192\u201e)_/\u00c2\u00af",
    "price: 5\u00e2\u201a\u00ac, \u00c2\u00a3100 and \u00c2\u00a92020",
    "\u00e2\u02dc\u0192 snowman \u00e2\u0153\u201c check \u00e2\u20ac\u00a2 bullet",
    # mojibake: UTF-8 read in the other codecs ftfy tries
    "\u0420\u045f\u0421\u0402\u0420\u0451\u0420\u0406\u0420\u00b5\u0421\u201a, \u0420\u0458\u0420\u0451\u0421\u0402",
    "\u039e\u2022\u039e\u00bb\u039e\u00bb\u039e\u00b7\u039e\u00bd\u039e\u0389\u039e\u038a\u039e\u00ac",
    "\u0139\u013d\u0102\u0142\u0139\u201a\u00c4\u2021 g\u00c4\u2122\u0139\u203al\u00c4\u2026 ja\u0139\u015f\u0139\u201e",
    "\u00c4\u00b0stanbul \u00c4\u0178\u00c3\u00bc\u00c5\u0178\u00c4\u00b1\u00c3\u00b6\u00c3\u00a7",
    "\u00c4\u201e\u00c5\u00beuolas \u00c4\u2014jo",
    "\u0139\x81\u0102\u0142d\u0139\u015f",
    "caf\u221a\u00a9 \u201a\u00c4\u00ee \u201a\u00c4\u00faMacRoman\u201a\u00c4\u00f9",
    "\u252c\u255c caf\u251c\u2310",
    # mojibake: mis-decoded twice or more
    "Dvo\u00c3\u2026\u00e2\u201e\u00a2\u00c3\u0192\u00c2\u00a1k na\u00c3\u0192\u00c2\u00afve",
    "\u00c3\u0192\u00c2\u00a9t\u00c3\u0192\u00c2\u00a9",
    "\u00c3\u00a2\u00e2\u201a\u00ac\u00c5\u201chi\u00c3\u00a2\u00e2\u201a\u00ac\u00c2",
    "\u0413\u045e\u0412\u0402\u0412\u045aquoted\u0413\u045e\u0412\u0402\u0412\u045c",
    "\u00c3\u00b0\u00c5\u00b8\u00cb\u0153\u00e2\u201a\u00ac twice",
    # mojibake: curly quotes and dashes
    "\u00e2\u20ac\u0153like this\u00e2\u20ac\ufffd",
    "\u00e2\u20ac\u0153 lossy \u00e2\u20ac? ends",
    "\u00e2\u20ac\u017eDeutsch\u00e2\u20ac\u0153",
    "don\u2019t mix \u00e2\u20ac\u2122 these",
    "\u0432\u0402\u045aquoted\u0432\u0402\u045c",
    "\u00e2\u20ac\u201d dash \u00e2\u20ac\u201c",
    # mojibake: mixed good and bad text, and other repairs alongside
    "S\u00c3\u00a3o Paulo \u00e2\u20ac\u201d \u00e2\u20ac\u0153Brasil\u00e2\u20ac\x9d and S\u00e3o",
    "na\u00c3\u00afve caf\u00c3\u00a9\nline two \u00e2\u20ac\u201c ok\nline three caf\u00e9",
    "Jos\u00e9 says caf\u00c3\u00a9",
    "AT&amp;T caf\u00c3\u00a9",
    "<p>caf\u00c3\u00a9</p> &amp;",
    "\uff23\uff21\uff26\u00c3\u00a9 \ufb01\u00c3\u00a9",
    "cafe\u0301 caf\u00c3\u00a9",
    "\u00c3\u00a9\u2019s",
    "\u00e0\u00a4\u00a8\u00e0\u00a4\u00ae\u00e0\u00a4\u00b8\u00e0\u00a5\u00e0\u00a4\u00a4\u00e0\u00a5\u2021",
    "\u00d7\u00a9\u00d7\u0153\u00d7\u2022\u00d7",
    "\u00d8\u00a7\u00d9\u201e\u00d8\u00b9\u00d8\u00b1\u00d8\u00a8\u00d9\u0160\u00d8\u00a9",
    "\u00c3\u00b0 \u00c5\u00b8\u00cb\u0153\u00e2\u201a\u00ac",
    # mojibake: a no-break space turned into a space
    "\u00c3 la carte",
    "voil\u00c3  tout",
    "\u00c3 s vezes",
    "\u00c3 quele",
    "l'\u00c3\u00a9t\u00c3\u00a9 est l\u00c3 ",
    "\u00c2 price",
    "\u00c3 \u00c3 \u00c3",
    "x \u00c3 y",
    "I \u00e2\u00a4 NY",
    # mojibake: C1 controls
    "caf\u00e9 \x80 5 \x85",
    "caf\u00e9 \x80 5 \x81",
    "\u00e2\x80\x99s",
    "\x93quoted\x94 with \x81 undefined",
    # mojibake: CESU-8 and Java's U+0000
    "\u00ed\u00a0\u00bd\u00ed\u00b8\x80 cesu",
    "nul \u00c0\x80 java",
    "\u00c3\u00a9\u00c0\nnext",
    "\u00ed\u00a0\u00bd\u00ed\u00b8\n",
    "\u00ed\u00a0\u00bd x",
    # mojibake: odd-looking text ftfy leaves alone
    "\u00c3?",
    "caf\u00c3? cr\u00c3?me",
    "\u00c2\u00c2 \u00c2\u00c2",
    "\u00c3\u017dle",
    "\u00c4\u0178",
    "I \u00e2\u00a4\u00ef\u00b8 NY",
    "\u00af\\_(\u30c4)_/\u00af",
    "\u00c3",
    "Fa\u00e7ade na\u00efve r\u00e9sum\u00e9 \u00c0 bient\u00f4t",
    "\u00bd \u00d7 \u00b2 \u00b0C \u00a7 \u00b6 \u00a9 \u00ae",
    # long prompts and repetition
    "cat " * 100,
    " ".join("word%d" % i for i in range(60)),
    "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 300,
    "!" * 50 + "?" * 50,
    "abc" * 40,
    "\u00e9" * 40,
    "\U0001F600" * 20,
    # realistic prompts
    "a cyberpunk city street at night, neon signs, rain, reflections, 35mm photo, f/1.8",
    "portrait of an old fisherman, highly detailed, oil on canvas (1890), by John Singer Sargent",
    "matte painting of a castle in the clouds | artstation | 8K UHD",
    "a cat wearing a top-hat & monocle; Victorian style -- sepia",
    "isometric pixel-art island with palm trees, 16-bit, #gamedev",
    "low-poly fox, 3D render, Blender, octane render, volumetric lighting",
    "the Starry Night but it's a cityscape of New York City in 2077",
    "a bowl of ramen, studio ghibli style, warm colours",
    "a red circle:1 | a purple background:0.5 | a cross:-0.3",
    "a red circle ^ a green triangle",
    "a photo of a Shiba Inu (\u67f4\u72ac) in Kyoto",
    "Bauhaus poster, geometric shapes, primary colours, 1923",
    "macro shot of a dew drop on a leaf, bokeh, 100mm, ISO 100, 1/250s",
    "an astronaut riding a horse on Mars -- trending on r/art",
    "mid-century modern living room w/ teak furniture & shag rug",
    "\"a sign that says 'hello'\"",
    "a T-Rex eating a hot-dog at McDonald's",
    "Crowson's VQGAN+CLIP notebook, 2021 (CC-BY 4.0)",
    "a 19th-century map of the world, sepia ink, parchment texture",
    "vaporwave aesthetic: pink & teal, greek statue, palm trees, 1980s",
    # ASCII punctuation between letters, one string each
    'a!b ! !! c!',
    'a"b " "" c"',
    'a#b # ## c#',
    'a$b $ $$ c$',
    'a%b % %% c%',
    'a&b & && c&',
    "a'b ' '' c'",
    'a(b ( (( c(',
    'a)b ) )) c)',
    'a*b * ** c*',
    'a+b + ++ c+',
    'a,b , ,, c,',
    'a-b - -- c-',
    'a.b . .. c.',
    'a/b / // c/',
    'a:b : :: c:',
    'a;b ; ;; c;',
    'a<b < << c<',
    'a=b = == c=',
    'a>b > >> c>',
    'a?b ? ?? c?',
    'a@b @ @@ c@',
    'a[b [ [[ c[',
    'a\\b \\ \\\\ c\\',
    'a]b ] ]] c]',
    'a^b ^ ^^ c^',
    'a_b _ __ c_',
    'a`b ` `` c`',
    'a{b { {{ c{',
    'a|b | || c|',
    'a}b } }} c}',
    'a~b ~ ~~ c~',
    # more HTML
    "&aacute;&Aacute;&AACUTE; &auml;&Auml;&AUML; &oslash;&Oslash;&OSLASH;",
    "&alpha;&beta;&gamma; &Alpha;&ALPHA; &pi; &PI; &Pi;",
    "&lt3 &gt;= &lt;= &ne; &le; &ge; &infin; &sum; &int;",
    "&amp;#39; &amp;quot; &amp;nbsp; &#38;amp;",
    "&nbsp;&nbsp;&nbsp;spaced&ensp;&emsp;&thinsp;out",
    "&zwj;&zwnj;&lrm;&rlm; &shy;",
    "&para; &paragraph &sect;ion &middot;dot &cent;s",
    "&#x2603; &#9731; &#x1F431; &#x00000041; &#65&#66&#67",
    "&#x0; &#x7F; &#xFFFE; &#xFDD0; &#1114111; &#x10FFFF;",
    "&#59; &#x3b; &#38; &#x26;amp;",
    "&Aring;ngstr&ouml;m &Uuml;ber &szlig;",
    "a&b&c&&d & &; &&amp;",
    "&notanentityatallbutverylongnamethatkeepsgoingforeverandever;",
    "&abcdefghijklmnopqrstuvwxyz123456789;",
    "&ampamp;&ltlt;&gtgt;",
    "\u00a0&nbsp\u00a0",
    # more scripts
    "\u0532\u0561\u0580\u0587 \u0540\u0561\u0575\u0561\u057d\u057f\u0561\u0576",
    "\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0 \u1c90\u1c91\u1c92",
    "\u0bb5\u0ba3\u0b95\u0bcd\u0b95\u0bae\u0bcd \u0ba4\u0bae\u0bbf\u0bb4\u0bcd",
    "\u0986\u09ae\u09bf \u09ac\u09be\u0982\u09b2\u09be\u09af\u09bc \u0997\u09be\u09a8 \u0997\u09be\u0987",
    "\u1230\u120b\u121d \u12a0\u1208\u121d",
    "\u0f56\u0f7c\u0f51\u0f0b\u0f61\u0f72\u0f42",
    "\u13a0\u13a1\u13a2 \uab70\uab71 Cherokee",
    "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u: \u0111\u01b0\u1eddng ph\u1ed1 H\u00e0 N\u1ed9i",
    "\U00010400\U00010401 deseret \U00010428",
    "\u1820\u1821\u1822 mongolian \u202f\u1822",
    "\uff8a\uff9e\uff9d\uff7a\uff9e\uff99 \uff76\uff9e\uff7d half-width kana with marks",
    "\u3042\u3044\u3046 \u30a2\u30a4\u30a6 \u3063\u30fc \u3005 \u30fb",
    "\u0627\u0644\u0633\u0651\u064e\u0644\u0627\u0645\u064f \u0639\u064e\u0644\u064e\u064a\u0652\u0643\u064f\u0645\u0652 \u06f1\u06f2\u06f3",
    "\u05d0\u05b8\u05dc\u05b6\u05e3\u05be\u05d1\u05bc\u05b5\u05d9\u05ea",
    "\ua9a0\ua9a4 javanese \u1b05\u1b13 balinese",
    # case mapping
    "\u1e9e \u00df \u0130 \u0131 \u03a3\u03a3 \u03a3a\u03a3 \u0391\u03a3. \u1f08 \u1fbc",
    "\u01c4\u01c5\u01c6 \u01f1\u01f2\u01f3 \u2160\u2170 \u24b6\u24d0",
    "\u0130I\u0307 \u0049\u0307 \u00cc\u00cd\u0128",
    "\u10a0\u10a1 \u2c00\u2c30 \ua640\ua641",
    # U+0345 folds to iota: under IGNORECASE it matches no class of the split pattern and is dropped
    "\u03b1\u0345 a\u0345b !\u0345! \u0345 \u1fb3 \u1fbc",
    # whitespace and controls
    "a\u0009b\u000ac\u000bd\u000ce\u000df\u0020g\u0085h\u00a0i\u1680j\u2000k\u2001l\u2002m",
    "n\u2003o\u2004p\u2005q\u2006r\u2007s\u2008t\u2009u\u200av\u2028w\u2029x\u202fy\u205fz\u3000end",
    "".join(chr(c) for c in range(0, 32)) + "after C0",
    "".join(chr(c) for c in range(0x7f, 0xa0)) + "after C1",
    "\r\n\r\nleading blank lines\r\n",
    "\n\n\n",
    " \u3000 \u00a0 ",
    "\u200b\u200b\u200b",
    "word\u180eword word\u2060word word\ufeffword",
    "\x1b[38;5;208morange\x1b[0m \x1b]0;title\x07 \x1b[",
    # combining marks, variation selectors, odd code points
    "\u0301\u0302\u0303 leading combining",
    "e\u0301\u0301\u0301\u0301 a\u0308\u0304",
    "\u2764 \u2764\ufe0e \u2764\ufe0f \u263a\ufe0f",
    "\ufdd0 \ufffe \uffff \U0010fffd \U0010ffff",
    "\U000e0001\U000e0065\U000e006e \U000e007f",
    "\u2126\u212a\u212b kelvin ohm angstrom",
    "\u00bd\u2044\u2155 \u2189 \u0f33 \U00010107",
    # emoji sequences
    "1\ufe0f\u20e3 #\ufe0f\u20e3 *\ufe0f\u20e3 keycaps",
    "\U0001F3F3\ufe0f\u200d\U0001F308 \U0001F3F4\u200d\u2620\ufe0f",
    "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F england",
    "\U0001F469\U0001F3FD\u200d\U0001F4BB \U0001F9D1\U0001F3FF\u200d\U0001F9B0",
    "\U0001F1FA\U0001F1F8\U0001F1EF\U0001F1F5\U0001F1E9\U0001F1EA",
    "\U0001F44B\U0001F3FB\U0001F44B\U0001F3FC\U0001F44B\U0001F3FD\U0001F44B\U0001F3FE\U0001F44B\U0001F3FF",
    "\U0001F600\U0001F603\U0001F604 emoji run!\U0001F601",
    # token-count boundaries around the 77-token context
    "a " * 74,
    "a " * 75,
    "a " * 76,
    "a " * 77,
    ", ".join(["red"] * 38),
    "the quick brown fox jumps over the lazy dog " * 9,
]


def mojibake_repaired(ftfy, text):
    """True where ftfy's fix_encoding (its mojibake repair) changes the result."""
    return ftfy.fix_text(text) != ftfy.fix_text(text, fix_encoding=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True, help="folder with clip/simple_tokenizer.py and ftfy/")
    parser.add_argument("--vocab", required=True, help="bpe_simple_vocab_16e6.txt.gz")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "data",
                                                      "clip_bpe_golden.jsonl"))
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.reference))
    import ftfy
    import regex
    from clip.simple_tokenizer import SimpleTokenizer

    tokenizer = SimpleTokenizer(bpe_path=args.vocab)
    assert len(set(TEXTS)) == len(TEXTS), "a text is listed twice"
    mojibake = sum(mojibake_repaired(ftfy, text) for text in TEXTS)
    header = {"generator": "scripts/make_clip_bpe_golden.py", "reference": "openai/CLIP clip/simple_tokenizer.py",
              "python": sys.version.split()[0], "ftfy": ftfy.__version__, "regex": regex.__version__,
              "texts": len(TEXTS), "mojibake_repaired": mojibake}
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        out.write(json.dumps(header, ensure_ascii=True) + "\n")
        for text in TEXTS:
            out.write(json.dumps({"text": text, "ids": tokenizer.encode(text)}, ensure_ascii=True) + "\n")
    print(f"{len(TEXTS)} texts -> {os.path.normpath(args.out)} (ftfy {ftfy.__version__}); "
          f"{mojibake} of them repaired as mojibake")


if __name__ == "__main__":
    main()
