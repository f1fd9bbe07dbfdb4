"""A citizen's identity as the counter types it: Senegal's national ID
number (NIN) and the text typed in a citizen field before creating one.

No database here: the rules are plain functions that party.py applies.
"""
import re

from service_network.phone import parse_sn_phone

# The national identification number (NIN) is the person's number: it is
# printed on the back of the ECOWAS biometric identity card (carte
# d'identité biométrique CEDEAO, law 2016-09 and decree 2016-1536, issued
# since October 2016), just above the machine-readable lines, and it was
# the number of the older digitised card. It has 13 digits: the first is
# the holder's sex (1 a man, 2 a woman), then a 3-digit code, a 4-digit
# year and a 5-digit serial, e.g. "1 751 1990 01234". No check digit is
# published, so only its shape is checked.
# The card's own number, on its front, has 17 digits (1, 01, the birth
# date as YYYYMMDD, a serial and a check digit) and changes with each new
# card: it is not the person's number, and it is refused with its own
# message so that the agent types the NIN instead.
NIN_LENGTH = 13
CARD_NUMBER_LENGTH = 17
NIN_SEXES = {'1', '2'}
_SEPARATORS = re.compile(r'[\s.\-/]')


def compact_nin(value):
    "Return value without the spaces, dots, dashes and slashes people type"
    return _SEPARATORS.sub('', value or '')


def nin_error(value):
    """Return why value is not a NIN: None if it is one, 'card' if it is
    the 17-digit card number, 'format' otherwise"""
    number = compact_nin(value)
    if (len(number) == NIN_LENGTH and number.isdigit()
            and number[0] in NIN_SEXES):
        return None
    if len(number) == CARD_NUMBER_LENGTH and number.isdigit():
        return 'card'
    return 'format'


def format_nin(value):
    "Return the NIN grouped as printed on the card: 1 751 1990 01234"
    number = compact_nin(value)
    if nin_error(number):
        return value
    return ' '.join([number[0], number[1:4], number[4:8], number[8:]])


def identity_from_text(text):
    """Return the fields of a new citizen from the text an agent typed in a
    citizen field before asking to create one: a phone number, a NIN, or
    the names (first names first, the last word taken as the last name, as
    Senegalese forms write "Prénoms NOM")"""
    text = ' '.join((text or '').split())
    if not text:
        return {}
    if parse_sn_phone(text) is not None:
        return {'citizen_phone': text}
    if nin_error(text) in {None, 'card'}:
        return {'national_id': compact_nin(text)}
    *first_names, last_name = text.split(' ')
    return {
        'first_name': ' '.join(first_names) or None,
        'last_name': last_name,
        }


def full_name(first_name, last_name):
    "The name of a citizen as lists show it: first names, then last name"
    return ' '.join(
        ' '.join((part or '').split())
        for part in [first_name, last_name] if part and part.strip()
        ) or None
