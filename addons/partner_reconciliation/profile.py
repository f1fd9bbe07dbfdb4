"""Import profiles: how each partner lays out its statements."""
import datetime as dt
import logging
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.transaction import Transaction

from .exceptions import ProfileValidationError
from .parser import EXCEL_DATES, Layout

logger = logging.getLogger(__name__)
# How partners write dates as text: the strptime format and how it reads
DATE_FORMATS = [
    ('%d/%m/%Y', "dd/mm/yyyy (31/01/2026)"),
    ('%d-%m-%Y', "dd-mm-yyyy (31-01-2026)"),
    ('%d.%m.%Y', "dd.mm.yyyy (31.01.2026)"),
    ('%d/%m/%y', "dd/mm/yy (31/01/26)"),
    ('%Y-%m-%d', "yyyy-mm-dd (2026-01-31)"),
    ('%Y/%m/%d', "yyyy/mm/dd (2026/01/31)"),
    ('%m/%d/%Y', "mm/dd/yyyy (01/31/2026)"),
    ('%d %m %Y', "dd mm yyyy (31 01 2026)"),
    ('%d%m%Y', "ddmmyyyy (31012026)"),
    ('%Y%m%d', "yyyymmdd (20260131)"),
    (EXCEL_DATES, "Excel dates only (date cells or serial numbers)"),
    ]
DEFAULT_DATE_FORMAT = '%d/%m/%Y'
# A day whose day, month and year differ, to compare formats
SAMPLE_DAY = dt.date(2026, 1, 31)


def date_format_choice(value):
    """Return the DATE_FORMATS key that writes dates as the typed format
    value, or None"""
    keys = [key for key, _ in DATE_FORMATS]
    value = (value or '').strip()
    if value in keys:
        return value
    try:
        sample = SAMPLE_DAY.strftime(value)
    except ValueError:
        return None
    for key in keys:
        if key != EXCEL_DATES and SAMPLE_DAY.strftime(key) == sample:
            return key
    return None

AMOUNT_DIGITS = (16, 2)
COLUMN_HELP = ("The column's letter (A, B, ...) or the text of its header "
    "cell.")


class Profile(DeactivableMixin, ModelSQL, ModelView):
    "Statement import profile of a partner"
    __name__ = 'reconciliation.profile'
    name = fields.Char("Name", required=True)
    partner = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='CASCADE',
        domain=[('partner_kind', '!=', None)])
    sheet = fields.Char(
        "Sheet",
        help="The sheet's name or number (1 for the first); empty for the "
        "first sheet. Not used for CSV files.")
    header_row = fields.Integer(
        "Header Row", required=True,
        help="The number of the row holding the column titles; the data "
        "starts below it.")
    reference_column = fields.Char(
        "Reference Column", required=True, help=COLUMN_HELP)
    date_column = fields.Char("Date Column", required=True, help=COLUMN_HELP)
    amount_column = fields.Char(
        "Amount Column", required=True, help=COLUMN_HELP)
    citizen_column = fields.Char("Citizen Column", help=COLUMN_HELP)
    case_number_column = fields.Char("Case Number Column", help=COLUMN_HELP)
    date_format = fields.Selection(
        DATE_FORMATS, "Date Format", required=True, sort=False,
        help="How the partner writes dates as text. Dates stored as dates "
        "or Excel serial numbers are always read, and so are dates written "
        "yyyy-mm-dd.")
    decimal_separator = fields.Char("Decimal Separator", size=1)
    thousands_separator = fields.Char("Thousands Separator", size=1)
    csv_delimiter = fields.Char(
        "CSV Delimiter", size=1, help="Only for CSV files.")
    amount_basis = fields.Selection([
            ('collected', "Fees Collected on its Behalf"),
            ('billed', "Amounts Billed"),
            ], "Amounts Compared", required=True,
        help="What the statement's amounts are compared with: the stamps, "
        "fees and taxes the counters collected for the partner, or what "
        "the billing runs billed it per case.")
    tolerance = fields.Numeric(
        "Tolerance (XOF)", digits=AMOUNT_DIGITS, required=True,
        help="A line whose amount differs from the network's by at most "
        "this much is matched.")
    rule_date_amount_citizen = fields.Boolean(
        "Match on Date, Amount and Citizen",
        help="A line without a known reference matches a case of the same "
        "day and citizen whose amount is within the tolerance.")
    rule_date_citizen = fields.Boolean(
        "Match on Date and Citizen",
        help="A line without a known reference matches a case of the same "
        "day and citizen whatever the amount (then marked as differing).")

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        # migration from 8.0.1.0.0: date formats were typed
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.date_format, group_by=[table.date_format]))
        for value, in cursor.fetchall():
            choice = date_format_choice(value)
            if choice == value:
                continue
            if choice is None:
                logger.warning(
                    "date format %r of import profiles unknown: set to %s",
                    value, DEFAULT_DATE_FORMAT)
                choice = DEFAULT_DATE_FORMAT
            cursor.execute(*table.update(
                    [table.date_format], [choice],
                    where=table.date_format == value))

    @classmethod
    def default_header_row(cls):
        return 1

    @classmethod
    def default_date_format(cls):
        return DEFAULT_DATE_FORMAT

    @classmethod
    def default_decimal_separator(cls):
        return ','

    @classmethod
    def default_thousands_separator(cls):
        return ' '

    @classmethod
    def default_csv_delimiter(cls):
        return ';'

    @classmethod
    def default_amount_basis(cls):
        return 'collected'

    @classmethod
    def default_tolerance(cls):
        return Decimal(0)

    @classmethod
    def default_rule_date_amount_citizen(cls):
        return True

    @classmethod
    def default_rule_date_citizen(cls):
        return False

    @classmethod
    def validate_fields(cls, profiles, field_names):
        super().validate_fields(profiles, field_names)
        for profile in profiles:
            profile.check_values()

    def check_values(self):
        "Refuse a header row below 1 or a negative tolerance"
        name = self.name or ''
        if self.header_row is not None and self.header_row < 1:
            raise ProfileValidationError(gettext(
                    'partner_reconciliation.msg_profile_header_row',
                    profile=name))
        if self.tolerance is not None and self.tolerance < 0:
            raise ProfileValidationError(gettext(
                    'partner_reconciliation.msg_profile_tolerance',
                    profile=name))

    @property
    def layout(self):
        def column(value):
            return (value or '').strip()
        return Layout(
            columns={
                'reference': column(self.reference_column),
                'date': column(self.date_column),
                'amount': column(self.amount_column),
                'citizen': column(self.citizen_column),
                'case_number': column(self.case_number_column),
                },
            sheet=self.sheet or '', header_row=self.header_row or 1,
            date_format=self.date_format or DEFAULT_DATE_FORMAT,
            decimal_separator=self.decimal_separator or '',
            thousands_separator=self.thousands_separator or '',
            delimiter=self.csv_delimiter or ';')

    @property
    def rules(self):
        return {name for name in ['date_amount_citizen', 'date_citizen']
            if getattr(self, f'rule_{name}')}
