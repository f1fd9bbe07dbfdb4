"""Track my case: the receipt of a case prints a tracking code, a secret
of 8 characters that, with the case's number, gives the case's progress on
a public page and by SMS (« SUIVI <number> <code> »), without login and
without anything personal.

The number alone is guessable (ZIG-2026-000123): the code is what proves
the holder has the receipt. Its alphabet leaves out the characters people
confuse when they read or type them (0/O, 1/I/L, 2/Z, 5/S, 8/B): 25
characters, 8 of them, about 37 bits; with attempts limited per client and
per case, guessing one is out of reach."""
import hmac
import re
import secrets

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679'
LENGTH = 8
NOT_CODE = re.compile(r'[^0-9A-Z]')
# The number of a case: site code, year, sequence (ZIG-2026-000123)
NUMBER = re.compile(r'[A-Z]{2,5}-\d{4}-\d{1,9}')


def new_code():
    return ''.join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def clean_code(value):
    "What a person typed (k7mq rt3x, K7MQ-RT3X) as the stored code"
    return NOT_CODE.sub('', (value or '').upper())[:2 * LENGTH]


def clean_number(value):
    "What a person typed (zig-2026-123, ZIG 2026 000123) as a case number"
    parts = re.findall(r'[A-Z]+|\d+', (value or '').upper())
    if len(parts) != 3 or not parts[0].isalpha():
        return None
    site, year, sequence = parts
    number = f'{site}-{year}-{int(sequence):06d}'
    return number if NUMBER.fullmatch(number) else None


def format_code(code):
    "The code as printed: two groups of four (K7MQ-RT3X)"
    return f'{code[:4]}-{code[4:]}' if code else ''


class Case(metaclass=PoolMeta):
    __name__ = 'case.case'
    tracking_code = fields.Char(
        "Tracking Code", readonly=True, strip=False,
        help="Printed on the receipt: with the case number, it gives the "
        "case's progress on the public tracking page and by SMS.")

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        fill = not table_h.column_exist('tracking_code')
        super().__register__(module)
        if fill:
            cls._fill_tracking_codes()

    @classmethod
    def _fill_tracking_codes(cls):
        "Give the cases created before the tracking codes one each"
        case = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*case.select(case.id,
                where=case.tracking_code == None))  # noqa: E711
        for case_id, in cursor.fetchall():
            cursor.execute(*case.update(
                    [case.tracking_code], [new_code()],
                    where=case.id == case_id))

    @classmethod
    def default_tracking_code(cls):
        return new_code()

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('tracking_code', None)
        copies = super().copy(cases, default=default)
        # a copy is a new case, with its own code
        for copy in copies:
            if not copy.tracking_code:
                copy.tracking_code = new_code()
        cls.save(copies)
        return copies

    @property
    def tracking_code_printed(self):
        return format_code(self.tracking_code)

    @classmethod
    def from_tracking(cls, number, code):
        """The case of number whose tracking code is code, or None; the
        codes compared in constant time"""
        number, code = clean_number(number), clean_code(code)
        if not number or len(code) != LENGTH:
            return None
        cases = cls.search([('number', '=', number)], limit=1)
        if not cases or not cases[0].tracking_code:
            return None
        case, = cases
        if not hmac.compare_digest(case.tracking_code, code):
            return None
        return case

    def tracking_facts(self):
        """What the public page and the SMS say of the case: nothing
        personal (no name, phone nor fee), only its progress"""
        pool = Pool()
        Date = pool.get('ir.date')
        state = self.state
        facts = {
            'number': self.number,
            'procedure': self.procedure.name,
            'site': self.site.name,
            'state': state,
            'state_string': self.state_string,
            'submitted': self.submission_date,
            'due_date': self.due_date,
            'delivered': self.delivery_date,
            'late': bool(self.due_date and not self.delivery_date
                and state not in {'cancelled', 'rejected'}
                and self.due_date < Date.today()),
            }
        return facts
