"""Drawing a laid-out receipt with reportlab: the bundled Chinese font embedded, nothing decided here.

``layout.py`` decides every word and where lines break; this module only places them. The font is
WenQuanYi Micro Hei from ``resources/fonts/`` as an embedded TrueType subset: the built-in CID font
``STSong-Light`` is not embedded and a viewer without Chinese fonts would show a blank receipt
(PLATFORM.md). Thermal formats get a single page as tall as the content; A5 breaks onto more pages.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import zlib
from array import array
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from struct import pack, pack_into, unpack_from
from typing import Any, cast

from desktop import APP_TITLE, paths
from desktop.paper import PageFormat
from desktop.receipts.layout import RULE_HEIGHT, TITLE_SCALE, Line, Receipt, row_height

FONT_NAME = "YaomuWQY"
FONT_FILE = "fonts/wqy-microhei.ttc"

MM = 72 / 25.4
QR_MASK = 2

#: Characters placed in the font's first two subsets of every receipt, in this order, before anything is
#: drawn: the receipt's own wording, then the characters most frequent in the catalogue's drug names and
#: forms (about 84 % of them). Those two subsets, and their compressed font programs, are then the same
#: for every receipt and built once per process (``warm_up``); only rarer characters make a small subset
#: per receipt. Wording that changes only moves characters between subsets, never breaks a receipt.
SEED_CHARS = (
    "医保药品费用预估单定点机构编码：　收款台号经办时间目录年版修订本政策省市日期患者证件险种职工城乡居民员类别普通"
    "参待遇门诊统筹甲乙类结论可以报销×限支付范围标准保密；超出部分如有已计入个人负担合计，不列元其中总全自含先行内起"
    "线的。说明·剩余按算未提供度最高额达比例国家及伤、生育设基金次请求指下发实际值与规予显示为第项“”格低在填写校验"
    "补打（）【】页双通道慢特病无法判断条件确认适应症"
    "剂射注口服释型胶片囊常液粒颗酸丸素膏利替唑氯钠黄子西复地尼拉软沙血方氨生化通清滴阿胺米康白洛抗司散缓卡糖酮体"
    "心他罗草眼宁金小林花二布味儿美霉多维单香氟醇格石盐舒消酯曲莫止骨平痛特汀托双重巴组控溶安克奥孢坦头龙磺乳胆丙"
    "芬Ⅱ丁马肠丹帕松碱瑞栓苯嗪韦红凝甘肝珠皮因毒贝风星叶硝三葡基尔益炒那山妥硫养明胃脑天脂啶五炎芪塞依哌艾活解麻"
    "昔络环热吸大灵肾蛋咳磷胰索比氢诺脉仁醋加萄油粉吡奈木辛Ⅰ氧十气牛精紫岛酚溴银混前左酰福酶干乌青蛇异胞雾川水麦"
    "苷长外炭雷七补泊肺冬母细胡制阴羟南法德立非亚匹连菌浆培根泻肽喘健豆海妇果藤钙六鼻悬来恩中柏降珍新伐兰神铵胍宝"
    "道鲁伊嘧营铁泰腺肉桂苏莲"
)
#: reportlab numbers a subset's codes 0-255; two subsets hold codes below this.
_SEEDED_CODES = 512
#: Font programs of recently used subsets, compressed (most receipts reuse the same ones).
_SUBSET_CACHE_SIZE = 32
#: zlib levels: the seeded subsets are compressed once per process; what is new in every receipt
#: (its page content, its subset of rarer characters) at level 1, twice as fast for 2-4 % more bytes.
_SEEDED_LEVEL = 6
_RECEIPT_LEVEL = 1

_lock = threading.Lock()


@cache
def register_font() -> str:
    """Register the bundled font with reportlab once per process (~150 ms; ``warm_up`` does it at start)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
            font = TTFont(FONT_NAME, str(paths.resource_path(FONT_FILE)), subfontIndex=0)
            _reuse_subsets(font.face)
            _reuse_font_objects(font)
            pdfmetrics.registerFont(font)
    return FONT_NAME


def _reuse_subsets(face: Any) -> None:
    """Build each font subset once per process, not once per receipt.

    reportlab (5.1, pinned) re-subsets the font for every document: it copies the 3.5 MB glyph table
    and the 0.5 MB post table, walks every glyph, then zlib-compresses the result, about half of the
    drawing time of a receipt. With ``SEED_CHARS`` first, a receipt's subsets repeat from one receipt
    to the next, so their compressed font programs are cached here, keyed by their characters.
    ``addSubsetObjects`` is reportlab's own, except that the font program comes from the cache.
    """
    from reportlab.pdfbase import pdfdoc
    from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC

    tables: dict[str, bytes] = {}
    get_table = face.get_table

    def cached_table(tag: str) -> bytes:  # font tables are immutable bytes
        if tag not in tables:
            tables[tag] = get_table(tag)
        return tables[tag]

    programs: OrderedDict[tuple[int, ...], tuple[int, bytes]] = OrderedDict()

    def program(subset: list[int], level: int) -> tuple[int, bytes]:
        key = tuple(subset)
        with _lock:
            hit = programs.get(key)
            if hit is not None:
                programs.move_to_end(key)
                return hit
        raw = _make_subset(face, subset)
        hit = (len(raw), zlib.compress(raw, level))
        with _lock:
            programs[key] = hit
            while len(programs) > _SUBSET_CACHE_SIZE:
                programs.popitem(last=False)
        return hit

    def add_subset_objects(
        doc: Any, fontname: str, subset: list[int], level: int = _SEEDED_LEVEL, reference: Any = None
    ) -> Any:
        reference = reference or doc.Reference  # what links the objects (``_reuse_font_objects``)
        font_file = pdfdoc.PDFStream()
        raw_length, font_file.content = program(subset, level)  # always compressed (see ``render``)
        font_file.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        font_file.dictionary["Length1"] = raw_length
        font_file_ref = reference(font_file, f"fontFile:{face.filename}({fontname})")
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": face.ascent,
                "CapHeight": face.capHeight,
                "Descent": face.descent,
                "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(face.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": face.italicAngle,
                "StemV": face.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": face.defaultWidth,
            }
        )
        return reference(descriptor, "fontDescriptor:" + fontname)

    face.get_table = cached_table
    face.addSubsetObjects = add_subset_objects


#: Per face: glyph index -> (glyph bytes, [(offset of a component's glyph index, that index), ...]).
_GLYPHS: dict[int, dict[int, tuple[bytes, list[tuple[int, int]]]]] = {}


#: Composite glyph flags (TrueType 'glyf' table).
_ARG_1_AND_2_ARE_WORDS, _WE_HAVE_A_SCALE, _MORE_COMPONENTS = 1 << 0, 1 << 3, 1 << 5
_WE_HAVE_AN_X_AND_Y_SCALE, _WE_HAVE_A_TWO_BY_TWO = 1 << 6, 1 << 7


def _glyph(face: Any, index: int) -> tuple[bytes, list[tuple[int, int]]]:
    """A glyph's outline bytes and, for a composite glyph, where its components' indices are."""
    start = face.glyphPos[index]
    data: bytes = face.get_table("glyf")[start : face.glyphPos[index + 1]]
    components = []
    if len(data) > 2 and unpack_from(">h", data)[0] < 0:  # composite: a list of (flags, glyph index, args...)
        at = 10
        flags = _MORE_COMPONENTS
        while flags & _MORE_COMPONENTS:
            flags, component = unpack_from(">HH", data, at)
            components.append((at + 2, component))
            at += 8 if flags & _ARG_1_AND_2_ARE_WORDS else 6
            if flags & _WE_HAVE_A_SCALE:
                at += 2
            elif flags & _WE_HAVE_AN_X_AND_Y_SCALE:
                at += 4
            elif flags & _WE_HAVE_A_TWO_BY_TWO:
                at += 8
    return data, components


def _make_subset(face: Any, subset: list[int]) -> bytes:
    """``face.makeSubset(subset)``, the same bytes (tests compare them over the whole font), with each
    glyph read and parsed once per process (``_glyph``) instead of once per receipt: reportlab's walks
    every glyph of the subset twice through its file reader, half the cost of a receipt's own subset."""
    from reportlab.pdfbase.ttfonts import TTFontMaker

    def _set_ushort(data: bytes, offset: int, value: int) -> bytes:
        return data[:offset] + pack(">H", value) + data[offset + 2 :]

    char_to_glyph = face.charToGlyph
    glyphs = _GLYPHS.setdefault(id(face), {})
    glyph_map = [0]  # new glyph index -> old glyph index; 0 is "missing character"
    glyph_set = {0: 0}  # old -> new
    code_to_glyph = {}
    for code in subset:
        old = char_to_glyph.get(code, 0)
        if old not in glyph_set:
            glyph_set[old] = len(glyph_map)
            glyph_map.append(old)
        code_to_glyph[code] = glyph_set[old]
    n = 0
    parsed = []
    while n < len(glyph_map):  # the components of composite glyphs come along
        glyph = glyphs.get(glyph_map[n])
        if glyph is None:
            glyph = glyphs[glyph_map[n]] = _glyph(face, glyph_map[n])
        parsed.append(glyph)
        for _, component in glyph[1]:
            if component not in glyph_set:
                glyph_set[component] = len(glyph_map)
                glyph_map.append(component)
        n += 1

    output = TTFontMaker()
    for tag in ("name", "OS/2", "cvt ", "fpgm", "prep"):
        try:
            output.add(tag, face.get_table(tag))
        except KeyError:  # cvt, fpgm and prep are optional
            pass
    output.add("post", b"\x00\x03\x00\x00" + face.get_table("post")[4:16] + b"\x00" * 16)

    hmtx: list[int] = []
    for old in glyph_map:
        aw, lsb = face.hmetrics[old]
        hmtx += (int(aw), int(lsb))
    n = len(hmtx) - 2
    while n and hmtx[n] == hmtx[n - 2]:  # trailing glyphs of one advance keep only their side bearing
        n -= 2
    n += 2
    hmtx = hmtx[:n] + hmtx[n + 1 :: 2]
    output.add("hmtx", pack(f">{len(hmtx)}H", *hmtx))
    output.add("hhea", _set_ushort(face.get_table("hhea"), 34, n >> 1))
    output.add("maxp", _set_ushort(face.get_table("maxp"), 4, len(glyph_map)))
    cmap = [0, 1, 1, 0, 0, 12, 6, 10 + len(subset) * 2, 0, 0, len(subset), *map(code_to_glyph.get, subset)]
    output.add("cmap", pack(f">{len(cmap)}H", *cmap))

    offsets = []
    glyf = []
    pos = 0
    for data, components in parsed:
        offsets.append(pos)
        if components:
            fixed = bytearray(data)
            for at, component in components:
                pack_into(">H", fixed, at, glyph_set[component])
            glyf.append(bytes(fixed))
        else:
            glyf.append(data)
        pos += len(data)
        if pos % 4:
            glyf.append(b"\0" * (4 - pos % 4))
            pos += 4 - pos % 4
    offsets.append(pos)
    output.add("glyf", b"".join(glyf))
    if (pos + 1) >> 1 > 0xFFFF:
        long_offsets = 1
        loca = pack(f">{len(offsets)}L", *offsets)
    else:
        long_offsets = 0
        loca = pack(f">{len(offsets)}H", *(offset >> 1 for offset in offsets))
    output.add("loca", loca)
    output.add("head", _set_ushort(face.get_table("head"), 50, long_offsets))
    stream: bytes = output.makeStream()
    return stream


def _reuse_font_objects(font: Any) -> None:
    """reportlab's ``TTFont.addObjects``, with each subset's widths array and compressed ToUnicode map
    cached by its characters like the font program (the same subsets recur on every receipt)."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfdoc
    from reportlab.pdfbase.ttfonts import SUBSETN, makeToUnicodeCMap

    class Raw(pdfdoc.PDFObject):  # an object formatted once
        def __init__(self, data: bytes) -> None:
            self.data = data

        def format(self, document: Any) -> bytes:
            return self.data

    pieces: OrderedDict[tuple[str, tuple[int, ...]], tuple[Raw, bytes]] = OrderedDict()

    def subset_pieces(base_font_name: str, subset: list[int]) -> tuple[Raw, bytes]:
        key = (base_font_name, tuple(subset))
        with _lock:
            hit = pieces.get(key)
            if hit is not None:
                pieces.move_to_end(key)
                return hit
        widths = Raw(pdfdoc.PDFArray(list(map(font.face.getCharWidth, subset))).format(None))
        hit = (widths, zlib.compress(makeToUnicodeCMap(base_font_name, subset).encode("latin-1")))
        with _lock:
            pieces[key] = hit
            while len(pieces) > _SUBSET_CACHE_SIZE:
                pieces.popitem(last=False)
        return hit

    def subset_objects(doc: Any, n: int, subset: list[int], reference: Any) -> Any:
        """A subset's font dictionary and what it refers to: ToUnicode map, descriptor, font program."""
        internal_name = font.getSubsetInternalName(n, doc)[1:]
        base_font_name = b"".join((SUBSETN(n), b"+", font.face.name, font.face.subfontNameX)).decode("pdfdoc")
        pdf_font: Any = pdfdoc.PDFTrueTypeFont()  # its PDF keys are set as attributes (untyped)
        pdf_font.__Comment__ = f"Font {font.fontName} subset {n}"
        pdf_font.Name = internal_name
        pdf_font.BaseFont = base_font_name
        pdf_font.FirstChar = 0
        pdf_font.LastChar = len(subset) - 1
        widths, cmap = subset_pieces(base_font_name, subset)
        pdf_font.Widths = widths
        cmap_stream = pdfdoc.PDFStream()
        cmap_stream.content = cmap
        cmap_stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        pdf_font.ToUnicode = reference(cmap_stream, "toUnicodeCMap:" + base_font_name)
        level = _SEEDED_LEVEL if n * 256 < _SEEDED_CODES else _RECEIPT_LEVEL
        pdf_font.FontDescriptor = font.face.addSubsetObjects(doc, base_font_name, subset, level, reference)
        reference(pdf_font, internal_name)
        return pdf_font

    class Mark(pdfdoc.PDFObject):  # where a reference goes in an object formatted once
        def __init__(self, name: str) -> None:
            self.name = name

        def format(self, document: Any) -> bytes:
            return f"\0{self.name}\0".encode("latin-1")

    class Formatted(pdfdoc.PDFObject):
        """An object formatted once, its references to other objects formatted per document."""

        __RefOnly__ = 1

        def __init__(self, parts: list[bytes], refs: list[Any]) -> None:
            self.parts, self.refs = parts, refs

        def format(self, document: Any) -> bytes:
            out = [self.parts[0]]
            for ref, part in zip(self.refs, self.parts[1:], strict=True):
                out += (ref.format(document), part)
            return b"".join(out)

    #: The seeded subsets' objects in document order: (name, formatted pieces, names referred to).
    formatted: dict[tuple[str, tuple[int, ...]], list[tuple[str, list[bytes], list[str]]]] = {}

    def seeded_objects(doc: Any, n: int, subset: list[int]) -> Any:
        """``subset_objects`` for a seeded subset: the same objects in the same order, formatted once."""
        key = (font.getSubsetInternalName(n, doc), tuple(subset))
        with _lock:
            objects = formatted.get(key)
        if objects is None:
            made: list[tuple[str, Any]] = []

            def mark(obj: Any, name: str) -> Mark:
                made.append((name, obj))
                return Mark(name)

            subset_objects(doc, n, subset, mark)
            objects = []
            for name, obj in made:
                data = pdfdoc.format(obj, doc, toplevel=1)
                if isinstance(obj, pdfdoc.PDFStream):  # binary content, refers to nothing
                    objects.append((name, [data], []))
                    continue
                pieces = re.split(b"\0([^\0]*)\0", data)  # text, name, text, name, ... text
                objects.append((name, pieces[0::2], [piece.decode("latin-1") for piece in pieces[1::2]]))
            with _lock:
                formatted[key] = objects
        refs: dict[str, Any] = {}
        for name, parts, names in objects:
            obj = Formatted(parts, [refs[other] for other in names])
            refs[name] = doc.Reference(obj, name)
        return obj  # the font dictionary comes last

    def add_objects(doc: Any) -> None:
        try:
            state = font.state[doc]
        except KeyError:
            state = font.state[doc] = font.State(font._asciiReadable)
        state.frozen = 1
        # The seeded subsets' objects are formatted once (the same bytes in every receipt), unless
        # the document is encrypted (a receipt never is: strings would be encrypted per document).
        plain = isinstance(doc.encrypt, pdfdoc.NoEncryption) and not (rl_config.pdfComments and not rl_config.invariant)
        for n, subset in enumerate(state.subsets):
            if plain and n * 256 < _SEEDED_CODES:
                pdf_font = seeded_objects(doc, n, subset)
            else:
                pdf_font = subset_objects(doc, n, subset, doc.Reference)
            doc.idToObject["BasicFonts"].dict[font.getSubsetInternalName(n, doc)[1:]] = pdf_font
        del font.state[doc]

    font.addObjects = add_objects


def _seed(canvas: Any) -> None:
    """Give the document's first two font subsets exactly the characters of ``SEED_CHARS``.

    The document starts from a copy of the seeded state (what ``splitString`` over the seed text
    leaves, without walking its 480 characters again on every receipt).
    """
    from reportlab.pdfbase import pdfmetrics

    font: Any = pdfmetrics.getFont(FONT_NAME)  # a TTFont: its state is not in types-reportlab
    seeded = _seeded().state
    state = font.State(font._asciiReadable)  # no face: an empty state, filled from the seeded one
    state.assignments = dict(seeded.assignments)
    state.subsets = [list(subset) for subset in seeded.subsets]
    state.nextCode = seeded.nextCode
    font.state[canvas._doc] = state


@dataclass(frozen=True)
class _Seeded:
    """The font state after the seed text, and the code of every character it fixes."""

    state: Any  # a TTFont.State, never changed after it is built
    codes: dict[str, int]  # character -> code (subset * 256 + byte), below _SEEDED_CODES


@cache
def _seeded() -> _Seeded:
    """Seed a stand-in document character by character, up to two subsets (``SEED_CHARS``, in order;
    duplicates and characters the font lacks dropped)."""
    from reportlab.pdfbase import pdfmetrics

    font: Any = pdfmetrics.getFont(register_font())  # a TTFont's internals, not in types-reportlab
    state = font.State(font._asciiReadable, font)
    wanted = dict.fromkeys(ch for ch in SEED_CHARS if ord(ch) > 126 and ord(ch) in font.face.charToGlyph)

    class Probe:  # a stand-in document: splitString only keys its state by it
        pass

    probe = Probe()
    with _lock:
        font.state[probe] = state
        for ch in wanted:
            if state.nextCode >= _SEEDED_CODES:
                break
            font.splitString(ch, probe)
        del font.state[probe]
    codes = {chr(cp): n for cp, n in state.assignments.items() if n < _SEEDED_CODES}
    if 32 in state.assignments:
        codes["\u00a0"] = state.assignments[32]  # splitString prints a no-break space as a space
    return _Seeded(state, codes)


#: A run of one subset in the high bytes of a text's codes.
_SAME_BYTE = re.compile(rb"(.)\1*", re.S)
_LITTLE_ENDIAN = sys.byteorder == "little"


#: Escaped (subset, codes) runs of texts of seeded characters only: the same in every document, and
#: rows repeat (labels, classes, verdicts, the drugs a pharmacy sells). Cleared when it is full.
_RUNS: dict[str, list[tuple[int, str]]] = {}
_RUNS_SIZE = 4096


def _runs(font: Any, text: str, doc: Any, added: dict[str, int], escape: Any) -> list[tuple[int, str]]:
    """``_split``, each run's codes escaped for a PDF string (``escape``: reportlab's ``escapePDF``);
    cached when ``text`` is of seeded characters only."""
    hit = _RUNS.get(text)
    if hit is not None:
        return hit
    split, seeded = _coded(font, text, doc, added)
    runs = [(subset, escape(codes)) for subset, codes in split]
    if seeded:
        if len(_RUNS) >= _RUNS_SIZE:
            _RUNS.clear()
        _RUNS[text] = runs
    return runs


def _split(font: Any, text: str, doc: Any, added: dict[str, int]) -> list[tuple[int, bytes]]:
    """``font.splitString(text, doc)``: the text's (subset, codes) runs, with the same codes.

    Seeded characters (most of every row) have the same codes in every document (``_seeded``);
    ``added`` holds those reportlab gave this document, one character at a time in the order they
    are first drawn, as it would have for whole texts.
    """
    return _coded(font, text, doc, added)[0]


def _coded(font: Any, text: str, doc: Any, added: dict[str, int]) -> tuple[list[tuple[int, bytes]], bool]:
    """``_split``, and whether every character of ``text`` is a seeded one."""
    codes = list(map(_seeded().codes.get, text))
    seeded = None not in codes
    if not seeded:
        for i, code in enumerate(codes):
            if code is None:
                ch = text[i]
                code = added.get(ch)
                if code is None:
                    ((subset, byte),) = font.splitString(ch, doc)
                    code = added[ch] = subset * 256 + byte[0]
                codes[i] = code
    if not codes:
        return [], seeded
    packed = array("H", cast(list[int], codes)).tobytes()
    low, high = (packed[0::2], packed[1::2]) if _LITTLE_ENDIAN else (packed[1::2], packed[0::2])
    if not high.strip(high[:1]):  # one subset (most rows)
        return [(high[0], low)], seeded
    return [(high[m.start()], low[m.start() : m.end()]) for m in _SAME_BYTE.finditer(high)], seeded


def warm_up() -> None:
    """What the first receipt of a session would otherwise pay: font registration, the seeded subsets'
    font programs, the character widths. The window calls this in the background after it is shown."""
    register_font()
    render_sample()


def render_sample() -> bytes:
    """A small receipt drawn and thrown away (warms ``warm_up``'s caches)."""
    from desktop.paper import FORMATS
    from desktop.receipts.layout import Receipt, wrap

    fmt = FORMATS["80mm"]
    lines = tuple(wrap([Line(SEED_CHARS[:40]), Line("0123456789", right="0.00")], fmt, measure))
    return render(Receipt(format=fmt, number="0", lines=lines, qr_payload="0", check_value="0"))


_WIDTHS: dict[str, float] = {}
#: Widths of whole texts: rows are measured again and again (wrapping, drawing), and recur from one
#: receipt to the next. Cleared when it is full.
_TEXT_WIDTHS: dict[str, float] = {}
_TEXT_WIDTHS_SIZE = 8192


def measure(text: str) -> float:
    """Width of ``text`` in em of the bundled font (the ``layout.Measure`` used for printing).

    reportlab's TrueType width is the plain sum of glyph advances (no kerning), so widths are
    cached per character, and summed in order: wrapping measures the same characters thousands of
    times. A text's width is cached too (looking up a text is cheaper than summing its characters).
    """
    width = _TEXT_WIDTHS.get(text)
    if width is not None:
        return width
    try:
        width = sum(map(_WIDTHS.__getitem__, text), 0.0)
    except KeyError:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        font = register_font()
        for ch in text:
            if ch not in _WIDTHS:
                _WIDTHS[ch] = float(stringWidth(ch, font, 1.0))
        width = sum(map(_WIDTHS.__getitem__, text), 0.0)
    if len(_TEXT_WIDTHS) >= _TEXT_WIDTHS_SIZE:
        _TEXT_WIDTHS.clear()
    _TEXT_WIDTHS[text] = width
    return width


def _height(line: Line, fmt: PageFormat) -> float:
    return row_height(line, fmt) * fmt.font_size


def _qr_matrix(payload: str) -> list[list[bool]]:
    """The modules of the receipt's QR code (error correction M, mask ``QR_MASK``).

    ``qrcode`` chooses the segments, the version and places the modules; the codewords (the bit
    stream and its Reed-Solomon error correction) are computed by ``_qr_codewords``, which gives
    qrcode's own ``util.create_data`` result at a fifth of its cost (tests compare the two).
    """
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    # A fixed mask: choosing the "best" of eight costs more than the rest of the receipt, and any
    # mask gives a valid code that phone and counter scanners read.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=QR_MASK)
    code.add_data(payload)
    code.version, code.data_cache = _qr_codewords(code.data_list, ERROR_CORRECT_M)
    instance: Any = code  # its map_data replaced on this instance only (types-qrcode: a method)
    instance.map_data = lambda data, mask: _qr_place(code.modules, code.version, list(data), mask)
    code.makeImpl(False, QR_MASK)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


#: (version, mask) -> the cells codewords go into, in qrcode's ``map_data`` order, and the mask over them.
_QR_CELLS: dict[tuple[int, int], tuple[list[tuple[int, int]], int]] = {}


def _qr_place(modules: list[list[bool | None]], version: int, data: list[int], mask: int) -> None:
    """qrcode's ``QRCode.map_data``: the codewords' bits into the free cells, masked.

    Which cells are free and how the mask flips them depend on the version and mask only, so they
    are worked out once (in qrcode's up-and-down column-pair order) and a code is one XOR away."""
    from qrcode import util

    cells = _QR_CELLS.get((version, mask))
    if cells is None:
        flip = util.mask_func(mask)
        order: list[tuple[int, int]] = []
        flips = 0
        size = len(modules)
        row, step = size - 1, -1
        for col in range(size - 1, 0, -2):
            if col <= 6:
                col -= 1
            while True:
                for c in (col, col - 1):
                    if modules[row][c] is None:
                        order.append((row, c))
                        flips = flips << 1 | bool(flip(row, c))
                row += step
                if row < 0 or size <= row:
                    row -= step
                    step = -step
                    break
        cells = _QR_CELLS[(version, mask)] = (order, flips)
    order, flips = cells
    count = len(order)
    bits = min(8 * len(data), count)
    stream = int.from_bytes(bytes(data), "big") >> (8 * len(data) - bits) << (count - bits)  # then light cells
    for (r, c), bit in zip(order, format(stream ^ flips, f"0{count}b"), strict=True):
        modules[r][c] = bit == "1"


def _qr_segment_bits(segment: Any) -> tuple[int, int]:
    """(value, bit count) that ``qrcode.util.QRData.write`` puts into the bit buffer."""
    from qrcode import util

    data: bytes = segment.data
    value = bits = 0
    if segment.mode == util.MODE_NUMBER:
        for i in range(0, len(data), 3):
            length = util.NUMBER_LENGTH[len(data[i : i + 3])]
            value, bits = value << length | int(data[i : i + 3]), bits + length
    elif segment.mode == util.MODE_ALPHA_NUM:
        find = util.ALPHA_NUM.find
        for i in range(0, len(data) - 1, 2):
            value, bits = value << 11 | find(data[i : i + 1]) * 45 + find(data[i + 1 : i + 2]), bits + 11
        if len(data) % 2:
            value, bits = value << 6 | find(data[-1:]), bits + 6
    else:
        value, bits = int.from_bytes(data, "big"), 8 * len(data)
    return value, bits


def _qr_codewords(segments: list[Any], error_correction: int) -> tuple[int, list[int]]:
    """(version, codewords) as qrcode's ``best_fit`` and ``util.create_data`` give them: the
    smallest version that holds the segments, then mode, length and data bits, terminator and pad
    bytes, each block's Reed-Solomon remainder, data and error-correction codewords interleaved."""
    from qrcode import base, exceptions, util
    from qrcode.LUT import rsPoly_LUT

    payload = [(segment.mode, len(segment), *_qr_segment_bits(segment)) for segment in segments]
    version = 1
    while True:  # best_fit: the length fields grow with the version
        sizes = util.mode_sizes_for_version(version)
        needed = sum(4 + sizes[mode] + bits for mode, _, _, bits in payload)
        fit = bisect_left(util.BIT_LIMIT_TABLE[error_correction], needed, version)
        if fit == 41:
            raise exceptions.DataOverflowError()
        if util.mode_sizes_for_version(fit) is sizes:
            version = fit
            break
        version = fit

    sizes = util.mode_sizes_for_version(version)
    stream = length = 0
    for mode, count, value, bits in payload:
        size = sizes[mode]
        stream = (((stream << 4 | mode) << size | count & ((1 << size) - 1)) << bits) | value
        length += 4 + size + bits
    blocks = base.rs_blocks(version, error_correction)
    limit = 8 * sum(block.data_count for block in blocks)
    if length > limit:
        raise exceptions.DataOverflowError(f"Code length overflow. Data size ({length}) > size available ({limit})")
    pad = min(limit - length, 4)  # terminator, then zeros to a whole byte
    pad += -(length + pad) % 8
    stream, length = stream << pad, length + pad
    data = list(stream.to_bytes(length // 8, "big"))
    data += [util.PAD0 if i % 2 == 0 else util.PAD1 for i in range((limit - length) // 8)]

    exp, log = base.EXP_TABLE, base.LOG_TABLE
    dc_blocks, ec_blocks = [], []
    offset = 0
    for block in blocks:
        dc = data[offset : offset + block.data_count]
        offset += block.data_count
        ec_count = block.total_count - block.data_count
        if ec_count in rsPoly_LUT:
            generator = rsPoly_LUT[ec_count]
        else:
            poly = base.Polynomial([1], 0)
            for i in range(ec_count):
                poly = poly * base.Polynomial([1, base.gexp(i)], 0)
            generator = list(poly)
        log_generator = [log[g] for g in generator[1:]]  # a generator has no zero coefficient
        remainder = [0] * ec_count
        for byte in dc:
            factor = byte ^ remainder[0]
            del remainder[0]
            remainder.append(0)
            if factor:
                shift = log[factor]
                for i, lg in enumerate(log_generator):
                    remainder[i] ^= exp[(lg + shift) % 255]
        dc_blocks.append(dc)
        ec_blocks.append(remainder)
    out = []
    for group in (dc_blocks, ec_blocks):
        for i in range(max(map(len, group))):
            out += [block[i] for block in group if i < len(block)]
    return version, out


class _PageFlate:
    """A reportlab stream filter: Flate at ``_RECEIPT_LEVEL`` (reportlab's own uses zlib's default)."""

    pdfname = "FlateDecode"

    def encode(self, text: str | bytes) -> bytes:
        return zlib.compress(text.encode("utf-8") if isinstance(text, str) else text, _RECEIPT_LEVEL)


_PAGE_FILTER = _PageFlate()


# Longer than 60 lines: page set-up and the drawing loop share the page state (cursor, page breaks, fonts).
def render(receipt: Receipt) -> bytes:
    """The PDF of ``receipt`` as bytes."""
    from reportlab.pdfgen.canvas import Canvas

    font = register_font()
    fmt = receipt.format
    size = fmt.font_size
    margin = fmt.margin_mm * MM  # top and bottom
    side = fmt.side_mm * MM  # left and right: nothing is drawn where the print head does not reach
    width = fmt.width_mm * MM
    qr_side = fmt.qr_mm * MM
    beside = fmt.qr_beside_header
    qr_block = 0.0 if beside else qr_side + size  # the code plus a gap above it, when it closes the receipt
    body_h = sum(_height(line, fmt) for line in receipt.lines)
    foot_h = sum(_height(line, fmt) for line in receipt.footer)
    if fmt.height_mm is None:  # thermal roll: one page exactly as tall as the content
        height = 2 * margin + body_h + qr_block + foot_h
    else:
        height = fmt.height_mm * MM

    # Paginate first (A5 may need more pages), so each page can say "第 n / m 页".
    pages: list[list[Line]] = [[]]
    room = height - 2 * margin
    for line in receipt.lines:
        h = _height(line, fmt)
        if h > room and fmt.height_mm is not None and pages[-1]:
            pages.append([])
            room = height - 2 * margin
        pages[-1].append(line)
        room -= h
    if fmt.height_mm is not None and not beside and qr_block + foot_h > room and len(pages[-1]) > 1:
        # The QR must not stand alone on a page: take the notes and the disclaimer along with it.
        last = pages[-1]
        cut = max((i for i, line in enumerate(last) if line.style == "rule"), default=len(last) - 1) + 1
        cut = min(cut, len(last) - 1)
        pages[-1], tail = last[:cut], last[cut:]
        pages.append(tail)
    elif fmt.height_mm is not None and foot_h > room:
        pages.append([])

    buf = io.BytesIO()
    # types-reportlab 5.0 types initialFontName as a float; reportlab takes the font's name.
    fonts: dict[str, Any] = {"initialFontName": font, "initialFontSize": size}
    # Page content compressed by the document's default filter (Flate at _RECEIPT_LEVEL, without
    # reportlab's ASCII85 wrapping, which only makes it a quarter longer); fonts are always compressed.
    canvas = Canvas(buf, pagesize=(width, height), pageCompression=0, **fonts)
    document: Any = canvas._doc  # type: ignore[attr-defined]  # the canvas's PDFDocument
    document.defaultStreamFilters = [_PAGE_FILTER]
    _seed(canvas)
    canvas.setTitle(f"医保药品费用预估单 {receipt.number}")
    canvas.setCreator(APP_TITLE)
    matrix = _qr_matrix(receipt.qr_payload)
    added: dict[str, int] = {}  # codes of this document's characters outside the seeded subsets
    for n, page in enumerate(pages, start=1):
        y = height - margin
        writer = _Writer(canvas, font, size, added)
        for line in page:
            h = _height(line, fmt)
            if beside and n == 1 and line.style not in ("title", "center", "mark") and matrix:
                # the first row under the title: the QR sits at its right (layout narrowed these rows)
                _draw_qr(canvas, matrix, width - side - qr_side, y - qr_side, qr_side)
                matrix = []
            right = side + line.width * size if line.width else width - side
            writer.line(line, side, right, y - h)
            y -= h
        if len(pages) > 1:
            writer.centred(f"第 {n} / {len(pages)} 页", size * 0.8, width / 2, margin / 2)
        if n < len(pages):
            writer.flush()
            canvas.showPage()
    if not beside:
        y -= size
        _draw_qr(canvas, matrix, (width - qr_side) / 2, y - qr_side, qr_side)
        y -= qr_side
    for line in receipt.footer:
        h = _height(line, fmt)
        writer.line(line, side, width - side, y - h)
        y -= h
    writer.flush()
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


class _Writer:
    """All text of a page in one PDF text object, the rules in one path (a text object and a
    graphics-state save per line cost more than the text itself).

    The text object's operators are written here, as reportlab's ``PDFTextObject`` writes them for
    ``setFont``/``setTextRenderMode``/``setTextOrigin``/``textOut`` (the same bytes), without its
    per-call font look-ups, width sums and character-by-character subset walk (``_split``).
    """

    def __init__(self, canvas: Any, font: str, size: float, added: dict[str, int]) -> None:
        from reportlab.lib.rl_accel import escapePDF, fp_str
        from reportlab.pdfbase import pdfmetrics

        self.canvas = canvas
        self.doc = canvas._doc
        self.font: Any = pdfmetrics.getFont(font)  # a TTFont (subset names are not in types-reportlab)
        self.size = size
        self.added = added
        self.names: dict[int, str] = {}
        self.fp_str = fp_str
        self.escape = escapePDF
        self._begin()

    def _begin(self) -> None:
        self.code = ["BT", "1 0 0 1 0 0 Tm"]  # what canvas.beginText() starts with
        self.fsize = 0.0
        self.mode = 0
        self.tf = ""  # "<size> Tf <leading> TL" after the subset's name
        self.subset = -1  # the subset selected in the text object (-1: none since the size changed)
        self.rules: list[tuple[float, float, float]] = []

    def _set(self, fsize: float, mode: int) -> None:
        if fsize != self.fsize:
            self.tf = f"{self.fp_str(fsize)} Tf {self.fp_str(fsize * 1.2)} TL"  # reportlab's default leading
            self.fsize = fsize
            self.subset = -1
        if mode != self.mode:
            self.code.append(f"{mode} Tr")
            self.mode = mode

    def _out(self, x: float, baseline: float, text: str) -> None:
        code = self.code
        code.append(f"1 0 0 1 {self.fp_str(x, baseline)} Tm")
        ops = []
        for subset, escaped in _runs(self.font, text, self.doc, self.added, self.escape):
            if subset != self.subset:
                name = self.names.get(subset)
                if name is None:  # the first use registers the font with the document
                    name = self.names[subset] = self.font.getSubsetInternalName(subset, self.doc)
                ops.append(f"{name} {self.tf}")
                self.subset = subset
            ops.append(f"({escaped}) Tj")
        code.append(" ".join(ops))

    def line(self, line: Line, left: float, right: float, bottom: float) -> None:
        size = self.size
        if line.style == "rule":
            self.rules.append((left, right, bottom + RULE_HEIGHT * size / 2))
            return
        fsize = size * (TITLE_SCALE if line.style == "title" else 1.0) * line.scale
        baseline = bottom + 0.38 * fsize  # descender room inside the line height
        x = left + line.indent * size
        avail = right - x
        right_w = measure(line.right) * fsize if line.right else 0.0
        text_w = measure(line.text) * fsize
        # layout.wrap keeps lines within the width; shrink rather than run off the paper if metrics disagree.
        need = text_w + (right_w + size if line.right else 0.0)
        if need > avail:
            fsize *= avail / need
            text_w, right_w = text_w * avail / need, right_w * avail / need
        # the font has no bold face: strong lines fill and stroke the outlines (render mode 2)
        self._set(fsize, 2 if line.style in ("strong", "mark") else 0)
        if line.style in ("title", "center", "mark") and not line.right:
            self._out(left + (right - left - text_w) / 2, baseline, line.text)
        else:
            self._out(x, baseline, line.text)
        if line.right:
            self._out(right - right_w, baseline, line.right)

    def centred(self, text: str, fsize: float, x: float, baseline: float) -> None:
        self._set(fsize, 0)
        self._out(x - measure(text) * fsize / 2, baseline, text)

    def flush(self) -> None:
        canvas = self.canvas
        if self.rules:
            canvas.saveState()
            canvas.setLineWidth(0.5)
            canvas.setDash(2, 1.5)
            path = canvas.beginPath()
            for left, right, mid in self.rules:
                path.moveTo(left, mid)
                path.lineTo(right, mid)
            canvas.drawPath(path, stroke=1, fill=0)
            canvas.restoreState()
        canvas.setLineWidth(self.size * 0.03)  # the stroke of render mode 2
        self.code.append("ET")
        canvas._code.append(" ".join(self.code))  # canvas.drawText(text object)
        self._begin()


def _draw_qr(canvas, matrix: list[list[bool]], x: float, y: float, side: float) -> None:  # type: ignore[no-untyped-def]
    """Draw the modules as one filled path: a rectangle per horizontal run of dark modules.

    Coordinates are whole modules under a scaling transform, which keeps the content stream
    short (about a third of the drawing time went into formatting fractional coordinates).
    """
    from reportlab.pdfgen.pathobject import PDFPathObject

    n = len(matrix)
    ops = ["n"]  # what path.rect() writes first, then "x y w h re" (whole numbers print as such)
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            ops.append(f"{start} {n - 1 - r} {c - start} 1 re")
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(side / n, side / n)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(PDFPathObject(code=ops), stroke=0, fill=1)
    canvas.restoreState()
