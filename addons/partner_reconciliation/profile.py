"""Import profiles: how each partner lays out its statements."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields

from .exceptions import ProfileValidationError
from .parser import Layout

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
    date_format = fields.Char(
        "Date Format", required=True,
        help="How dates written as text read, e.g. %d/%m/%Y for 31/01/2026. "
        "Dates stored as dates or Excel serial numbers are always read.")
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
    def default_header_row(cls):
        return 1

    @classmethod
    def default_date_format(cls):
        return '%d/%m/%Y'

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
            if profile.header_row is not None and profile.header_row < 1:
                raise ProfileValidationError(gettext(
                        'partner_reconciliation.msg_profile_header_row',
                        profile=profile.rec_name))
            if profile.tolerance is not None and profile.tolerance < 0:
                raise ProfileValidationError(gettext(
                        'partner_reconciliation.msg_profile_tolerance',
                        profile=profile.rec_name))
            if profile.date_format and '%' not in profile.date_format:
                raise ProfileValidationError(gettext(
                        'partner_reconciliation.msg_profile_date_format',
                        profile=profile.rec_name,
                        format=profile.date_format))

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
            date_format=self.date_format or '%d/%m/%Y',
            decimal_separator=self.decimal_separator or '',
            thousands_separator=self.thousands_separator or '',
            delimiter=self.csv_delimiter or ';')

    @property
    def rules(self):
        return {name for name in ['date_amount_citizen', 'date_citizen']
            if getattr(self, f'rule_{name}')}
