"""Senegalese phone numbers, shared by every addon that stores one."""
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from trytond.i18n import gettext

from .exceptions import PhoneValidationError

REGION = 'SN'


def parse_sn_phone(value):
    "Return the parsed number if value is a valid Senegal number, else None"
    try:
        number = phonenumbers.parse(value, REGION)
    except NumberParseException:
        return None
    if (phonenumbers.region_code_for_number(number) != REGION
            or not phonenumbers.is_valid_number(number)):
        return None
    return number


def format_sn_phone(value):
    "Return value in international format, or value unchanged if invalid"
    number = parse_sn_phone(value) if value else None
    if number is None:
        return value
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def check_sn_phone(value, field, record):
    """Raise a translated error naming the field if value is not a valid
    Senegal phone number; empty values are accepted."""
    if value and parse_sn_phone(value) is None:
        raise PhoneValidationError(gettext(
                'service_network.msg_invalid_sn_phone',
                phone=value, field=field, record=record))
