"""``tf.strings.unicode_script``: each code point's Unicode script as an ICU ``UScriptCode``.

A code point's script comes from ``unicodedataplus`` (the Unicode Character Database's Script
property, the optional ``[strings]`` extra); the numbers are ICU's, as TF returns them. TF
2.21 links an ICU of Unicode 13.0: characters assigned after it, and scripts that ICU has no
code for, read as ``USCRIPT_UNKNOWN`` (103) there, and so here; a value that is no code point
(negative, above U+10FFFF) is -1 (``USCRIPT_INVALID_CODE``). Checked against TF 2.21 on every
code point: equal but for two Han characters TF's older data calls Common.
"""
from .. import dtypes
from ..backend import host as np
from ..backend import to_host, xp_of
from ..errors import InvalidArgumentError
from ..ops._core import CompositeTensor, Op, apply
from ..ops.math import _kernel_name
from ..tensor import TensorBase, convert_to_tensor

UNKNOWN, INVALID = 103, -1
_UNICODE_VERSION = (13, 0)  # of the ICU in TF 2.21 (see the module docstring)

# ICU's UScriptCode numbers of the scripts that ICU knows, by the Script property's long names
_ICU = {
    "Common": 0, "Inherited": 1, "Arabic": 2, "Armenian": 3, "Bengali": 4, "Bopomofo": 5,
    "Cherokee": 6, "Coptic": 7, "Cyrillic": 8, "Deseret": 9, "Devanagari": 10, "Ethiopic": 11,
    "Georgian": 12, "Gothic": 13, "Greek": 14, "Gujarati": 15, "Gurmukhi": 16, "Han": 17,
    "Hangul": 18, "Hebrew": 19, "Hiragana": 20, "Kannada": 21, "Katakana": 22, "Khmer": 23,
    "Lao": 24, "Latin": 25, "Malayalam": 26, "Mongolian": 27, "Myanmar": 28, "Ogham": 29,
    "Old_Italic": 30, "Oriya": 31, "Runic": 32, "Sinhala": 33, "Syriac": 34, "Tamil": 35,
    "Telugu": 36, "Thaana": 37, "Thai": 38, "Tibetan": 39, "Canadian_Aboriginal": 40, "Yi": 41,
    "Tagalog": 42, "Hanunoo": 43, "Buhid": 44, "Tagbanwa": 45, "Braille": 46, "Cypriot": 47,
    "Limbu": 48, "Linear_B": 49, "Osmanya": 50, "Shavian": 51, "Tai_Le": 52, "Ugaritic": 53,
    "Buginese": 55, "Glagolitic": 56, "Kharoshthi": 57, "Syloti_Nagri": 58,
    "New_Tai_Lue": 59, "Tifinagh": 60, "Old_Persian": 61, "Balinese": 62, "Batak": 63,
    "Brahmi": 65, "Cham": 66, "Egyptian_Hieroglyphs": 71, "Pahawh_Hmong": 75,
    "Old_Hungarian": 76, "Javanese": 78, "Kayah_Li": 79, "Lepcha": 82, "Linear_A": 83,
    "Mandaic": 84, "Meroitic_Hieroglyphs": 86, "Nko": 87, "Old_Turkic": 88, "Old_Permic": 89,
    "Phags_Pa": 90, "Phoenician": 91, "Miao": 92, "Vai": 99, "Cuneiform": 101, "Carian": 104,
    "Tai_Tham": 106, "Lycian": 107, "Lydian": 108, "Ol_Chiki": 109, "Rejang": 110,
    "Saurashtra": 111, "SignWriting": 112, "Sundanese": 113, "Meetei_Mayek": 115,
    "Imperial_Aramaic": 116, "Avestan": 117, "Chakma": 118, "Kaithi": 120, "Manichaean": 121,
    "Inscriptional_Pahlavi": 122, "Psalter_Pahlavi": 123, "Inscriptional_Parthian": 125,
    "Samaritan": 126, "Tai_Viet": 127, "Bamum": 130, "Lisu": 131, "Old_South_Arabian": 133,
    "Bassa_Vah": 134, "Duployan": 135, "Elbasan": 136, "Grantha": 137, "Mende_Kikakui": 140,
    "Meroitic_Cursive": 141, "Old_North_Arabian": 142, "Nabataean": 143, "Palmyrene": 144,
    "Khudawadi": 145, "Warang_Citi": 146, "Mro": 149, "Nushu": 150, "Sharada": 151,
    "Sora_Sompeng": 152, "Takri": 153, "Tangut": 154, "Anatolian_Hieroglyphs": 156,
    "Khojki": 157, "Tirhuta": 158, "Caucasian_Albanian": 159, "Mahajani": 160, "Ahom": 161,
    "Hatran": 162, "Modi": 163, "Multani": 164, "Pau_Cin_Hau": 165, "Siddham": 166,
    "Adlam": 167, "Bhaiksuki": 168, "Marchen": 169, "Newa": 170, "Osage": 171,
    "Masaram_Gondi": 175, "Soyombo": 176, "Zanabazar_Square": 177, "Dogra": 178,
    "Gunjala_Gondi": 179, "Makasar": 180, "Medefaidrin": 181, "Hanifi_Rohingya": 182,
    "Sogdian": 183, "Old_Sogdian": 184, "Elymaic": 185, "Nyiakeng_Puachue_Hmong": 186,
    "Nandinagari": 187, "Wancho": 188, "Chorasmian": 189, "Dives_Akuru": 190,
    "Khitan_Small_Script": 191, "Yezidi": 192,
}
_cache = {}  # code point -> ICU code


def _ucd():
    try:
        import unicodedataplus
    except ImportError:
        raise ImportError("tf.strings.unicode_script needs the Unicode script table of "
                          "unicodedataplus: pip install 'tapeflow[strings]'") from None
    return unicodedataplus


def _code(ucd, cp):
    if cp < 0 or cp > 0x10FFFF:
        return INVALID
    if 0xD800 <= cp <= 0xDFFF:  # surrogates: code points, but no characters
        return UNKNOWN
    ch = chr(cp)
    age = ucd.age(ch)
    if not age[:1].isdigit() or tuple(int(p) for p in age.split(".")) > _UNICODE_VERSION:
        return UNKNOWN  # unassigned, or assigned after TF's Unicode version
    return _ICU.get(ucd.script(ch), UNKNOWN)


def _script_fwd(a):
    ucd = _ucd()
    xp = xp_of(a)
    values, inverse = np.unique(to_host(a), return_inverse=True)
    codes = np.empty(len(values), np.int32)
    for i, cp in enumerate(values.tolist()):
        code = _cache.get(cp)
        if code is None:
            code = _cache[cp] = _code(ucd, cp)
        codes[i] = code
    out = codes[inverse].reshape(a.shape)
    return out if xp is np else xp.asarray(out)  # the table lives on the host


UNICODE_SCRIPT = Op("UnicodeScript", _script_fwd, None, "iu")


def unicode_script(input, name=None):
    """The ICU script code (``UScriptCode``) of each int32 Unicode code point: 25 for Latin,
    8 for Cyrillic, 17 for Han, 0 for Common (digits, punctuation), 103 for unassigned code
    points, -1 for values that are no code point. A RaggedTensor keeps its rows."""
    if isinstance(input, CompositeTensor) and hasattr(input, "flat_values"):  # ragged
        return input.with_flat_values(unicode_script(input.flat_values))
    t = input if isinstance(input, TensorBase) else convert_to_tensor(input, dtypes.int32)
    if t._v.dtype != np.int32:
        raise InvalidArgumentError(
            None, "UnicodeScript",
            "cannot compute UnicodeScript as input #0(zero-based) was expected to be a int32 "
            f"tensor but is a {_kernel_name(t._v.dtype)} tensor [Op:UnicodeScript] name: "
            f"{name or ''}")
    return apply(UNICODE_SCRIPT, (t,), {})
