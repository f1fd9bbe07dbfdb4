"""The GSM 03.38 alphabet of SMS (3GPP TS 23.038): one SMS carries 160
characters of its 7-bit alphabet, but only 70 once a single character is
out of it (the phone switches to UCS-2). The citizens' SMS are
transliterated into it, and their length counted as the network does:
the characters of the extension table take two units."""
import unicodedata

SMS_LENGTH = 160

# The basic table, in the order of its 128 codes (ESC, 0x1B, excluded)
BASIC = (
    '@£$¥èéùìòÇ\nØø\rÅå'
    'Δ_ΦΓΛΩΠΨΣΘΞ' 'ÆæßÉ'
    ' !"#¤%&\'()*+,-./'
    '0123456789:;<=>?'
    '¡ABCDEFGHIJKLMNO'
    'PQRSTUVWXYZÄÖÑÜ§'
    '¿abcdefghijklmno'
    'pqrstuvwxyzäöñüà')
# Reached through ESC: two units each
EXTENSION = '\f^{}\\[~]|€'
assert len(BASIC) == 127 and len(set(BASIC)) == 127
BASIC = frozenset(BASIC)
EXTENSION = frozenset(EXTENSION)

# The closest GSM characters of the usual ones outside the alphabet that
# the decomposition below does not find
SUBSTITUTES = {
    '’': "'", '‘': "'", '‚': "'", '‛': "'", '′': "'", '`': "'", '´': "'",
    '«': '"', '»': '"', '“': '"', '”': '"', '„': '"', '″': '"',
    '‹': "'", '›': "'",
    '‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-', '―': '-', '−': '-',
    '…': '...', '•': '-', '·': '.', '°': 'o', '×': 'x', '÷': '/',
    'ç': 'c', 'œ': 'oe', 'Œ': 'OE', 'ŋ': 'n', 'Ŋ': 'N', 'ð': 'd', 'Đ': 'D',
    'đ': 'd', 'ł': 'l', 'Ł': 'L', 'ı': 'i', 'þ': 'th', 'Þ': 'Th',
    '\t': ' ', '\u00ad': '', '\u200b': '', '\ufeff': '',
    }


def is_gsm(text):
    "Whether text is written only with the GSM 7-bit alphabet"
    return all(c in BASIC or c in EXTENSION for c in text)


def gsm_length(text):
    """The number of 7-bit units text takes in an SMS, or None when a
    character is out of the GSM alphabet (the SMS would be sent in UCS-2)"""
    length = 0
    for char in text:
        if char in BASIC:
            length += 1
        elif char in EXTENSION:
            length += 2
        else:
            return None
    return length


def fits(text):
    "Whether text goes in one SMS of the GSM alphabet"
    length = gsm_length(text)
    return length is not None and length <= SMS_LENGTH


def _closest(char):
    if char in SUBSTITUTES:
        return SUBSTITUTES[char]
    if unicodedata.category(char) == 'Zs':
        # no-break and thin spaces
        return ' '
    # â -> a, Ê -> E, ﬁ -> fi: the letters without their accents
    decomposed = ''.join(
        c for c in unicodedata.normalize('NFKD', char)
        if not unicodedata.combining(c))
    if decomposed and decomposed != char and all(
            c in BASIC or c in EXTENSION or c in SUBSTITUTES
            for c in decomposed):
        return ''.join(SUBSTITUTES.get(c, c) for c in decomposed)
    return '?'


def to_gsm(text):
    """text written with the GSM 7-bit alphabet: the characters out of it
    replaced by their closest ones (â -> a, ç -> c, ’ -> ', « -> "), '?'
    when there is none"""
    return ''.join(
        c if c in BASIC or c in EXTENSION else _closest(c) for c in text)
