"""Import of a partner statement: parse the whole file, show a preview with
every error, then store the lines and their matches in one batch.

Wizards run without access rights, so the import checks itself that the
user is finance or a network administrator, whatever the context says."""
import copy
import hashlib

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import (
    Button,
    StateAction,
    StateTransition,
    StateView,
    Wizard,
)

from service_case.receipt import format_xof
from service_network.protection import check_user_groups, wizard_label
from service_network.spreadsheet_limits import SpreadsheetError, shorten

from .exceptions import StatementImportError
from .matching import Matcher, network_records_meanwhile
from .parser import EXCEL_DATES, FIELDS, Layout, parse, sample
from .profile import AMOUNT_DIGITS, Profile
from .statement import line_values, store_lines

PREVIEW_ROWS = 20
# The groups of service_network allowed to import statements
IMPORT_GROUPS = ['group_finance', 'group_network_admin']
# The errors written in a message; the preview lists all those the parser
# kept (max_errors of spreadsheet_limits)
MESSAGE_ERRORS = 20


def column_label(name):
    return gettext(f'partner_reconciliation.msg_column_{name}')


def file_error_text(error, filename):
    params = dict(error.params, filename=shorten(filename))
    if 'column' in params:
        params['column'] = column_label(params['column'])
    params.setdefault('error', '')
    return gettext(f'partner_reconciliation.msg_file_{error.code}', **params)


def row_error_text(row, column, code, params):
    if params.get('format') == EXCEL_DATES:
        params = dict(params, format=gettext(
                'partner_reconciliation.msg_date_format_excel'))
    if code == 'total_differs':
        params = dict(params,
            total=format_xof(params['total']),
            expected=format_xof(params['expected']))
    return gettext(
        f'partner_reconciliation.msg_row_{code}', row=row,
        column=column_label(column), **params)


def errors_text(parsed, limit=None):
    errors = parsed.errors[:limit] if limit else parsed.errors
    lines = [row_error_text(*error) for error in errors]
    if parsed.error_count > len(errors):
        lines.append(gettext(
                'partner_reconciliation.msg_errors_more',
                count=parsed.error_count - len(errors)))
    return '\n'.join(lines)


def totals_text(parsed):
    "Return the totals rows of the file and their check, a line each"
    lines = []
    for total in parsed.totals:
        label = total.label or gettext(
            'partner_reconciliation.msg_total_unlabelled')
        if total.amount is None:
            lines.append(gettext(
                    'partner_reconciliation.msg_total_unchecked',
                    row=total.row, label=label))
        elif total.agrees:
            lines.append(gettext(
                    'partner_reconciliation.msg_total_agrees',
                    row=total.row, label=label,
                    total=format_xof(total.amount), count=total.count))
        else:
            lines.append(row_error_text(
                    total.row, 'amount', 'total_differs', {
                        'total': total.amount, 'expected': total.expected,
                        'count': total.count}))
    return '\n'.join(lines)


def read_file(profile, data, filename, limit=None):
    "Return the Parsed file or raise the error of the file in French"
    try:
        return parse(data or b'', profile.layout, limit=limit)
    except SpreadsheetError as error:
        raise StatementImportError(file_error_text(error, filename)) from None


def check_import_user():
    "Refuse unless the user may import partner statements"
    check_user_groups(
        IMPORT_GROUPS, wizard_label('reconciliation.statement.import'))


def file_hash(data):
    return hashlib.sha256(data or b'').hexdigest()


def check_not_imported(profile, data, filename):
    pool = Pool()
    Statement = pool.get('reconciliation.statement')
    others = Statement.search([
            ('partner', '=', profile.partner.id),
            ('file_hash', '=', file_hash(data)),
            ], limit=1)
    if others:
        other, = others
        raise StatementImportError(gettext(
                'partner_reconciliation.msg_statement_already_imported',
                filename=filename or '', statement=other.rec_name))


def import_statement(profile, start, end, data, filename, valid_only=False):
    """Parse data with the profile, match it against the partner's cases of
    the period and store it; nothing is stored if a row is wrong, unless
    valid_only"""
    pool = Pool()
    Statement = pool.get('reconciliation.statement')
    check_not_imported(profile, data, filename)
    # the file is parsed while the database reads the partner's cases
    with network_records_meanwhile(
            profile.partner, start, end, profile.amount_basis) as read:
        parsed = read_file(profile, data, filename)
    records = read()
    if parsed.error_count and not valid_only:
        raise StatementImportError(gettext(
                'partner_reconciliation.msg_import_has_errors',
                filename=filename or '', count=parsed.error_count,
                rows=parsed.invalid_rows,
                errors=errors_text(parsed, MESSAGE_ERRORS)))
    if not parsed.rows:
        raise StatementImportError(gettext(
                'partner_reconciliation.msg_import_no_row',
                filename=filename or ''))
    statement = Statement(
        company=Transaction().context.get('company'),
        partner=profile.partner, profile=profile,
        start_date=start, end_date=end, file=data, filename=filename,
        file_hash=file_hash(data))
    statement.save()
    # the lines are written as they are matched
    matcher = Matcher(records, profile.tolerance, profile.rules)
    store_lines(statement.id, line_values(statement.id, matcher, parsed.rows))
    Statement.update_state([statement])
    return statement


class ImportStart(ModelView):
    "Import a Partner Statement"
    __name__ = 'reconciliation.import.start'
    profile = fields.Many2One(
        'reconciliation.profile', "Profile", required=True)
    start_date = fields.Date("From", required=True)
    end_date = fields.Date(
        "To", required=True,
        domain=[('end_date', '>=', Eval('start_date'))])
    file = fields.Binary("File", filename='filename', required=True)
    filename = fields.Char("File Name")


# The fields of a profile the import wizard asks for a new one
PROFILE_FIELDS = [
    'name', 'partner', 'sheet', 'header_row', 'reference_column',
    'date_column', 'amount_column', 'citizen_column', 'case_number_column',
    'date_format', 'decimal_separator', 'thousands_separator',
    'csv_delimiter', 'amount_basis', 'tolerance',
    'rule_date_amount_citizen', 'rule_date_citizen']


def sample_text(data, sheet, filename):
    "Return the first rows of the file, their cells named by column"
    try:
        _, rows = sample(data or b'', Layout(columns={}, sheet=sheet or ''))
    except SpreadsheetError as error:
        raise StatementImportError(file_error_text(error, filename)) from None
    return '\n'.join(gettext(
            'partner_reconciliation.msg_sample_row', row=number,
            cells=' | '.join(f'{letter}: {text}' for letter, text in cells))
        for number, cells in rows)


class ImportProfile(ModelView):
    "New Import Profile"
    __name__ = 'reconciliation.import.profile'
    file_sample = fields.Text(
        "Beginning of the File", readonly=True,
        help="The first rows of the file, each cell after its column's "
        "letter: find the header row and the columns there.")
    name = copy.copy(Profile.name)
    partner = copy.copy(Profile.partner)
    sheet = copy.copy(Profile.sheet)
    header_row = copy.copy(Profile.header_row)
    reference_column = copy.copy(Profile.reference_column)
    date_column = copy.copy(Profile.date_column)
    amount_column = copy.copy(Profile.amount_column)
    citizen_column = copy.copy(Profile.citizen_column)
    case_number_column = copy.copy(Profile.case_number_column)
    date_format = copy.copy(Profile.date_format)
    decimal_separator = copy.copy(Profile.decimal_separator)
    thousands_separator = copy.copy(Profile.thousands_separator)
    csv_delimiter = copy.copy(Profile.csv_delimiter)
    amount_basis = copy.copy(Profile.amount_basis)
    tolerance = copy.copy(Profile.tolerance)
    rule_date_amount_citizen = copy.copy(Profile.rule_date_amount_citizen)
    rule_date_citizen = copy.copy(Profile.rule_date_citizen)


class ImportPreview(ModelView):
    "Preview of a Partner Statement"
    __name__ = 'reconciliation.import.preview'
    kind = fields.Char("Kind of File", readonly=True)
    row_count = fields.Integer("Rows Read", readonly=True)
    valid_count = fields.Integer("Valid Rows", readonly=True)
    error_count = fields.Integer("Errors", readonly=True)
    amount_total = fields.Numeric(
        "Total of the Rows Read (XOF)", digits=AMOUNT_DIGITS, readonly=True)
    totals = fields.Text(
        "Totals of the File", readonly=True,
        help="The totals and subtotals rows of the file, left out of the "
        "lines and checked against the rows read above them.")
    errors = fields.Text("Errors by Row and Column", readonly=True)
    rows = fields.One2Many(
        'reconciliation.import.preview.row', None, "First Rows",
        readonly=True)


class ImportPreviewRow(ModelView):
    "Row of a Statement Preview"
    __name__ = 'reconciliation.import.preview.row'
    row_number = fields.Integer("Row", readonly=True)
    reference = fields.Char("Reference", readonly=True)
    date = fields.Date("Date", readonly=True)
    amount = fields.Numeric(
        "Amount (XOF)", digits=AMOUNT_DIGITS, readonly=True)
    citizen = fields.Char("Citizen", readonly=True)
    case_number = fields.Char("Case Number", readonly=True)


class ImportStatement(Wizard):
    "Import a Partner Statement"
    __name__ = 'reconciliation.statement.import'
    start = StateView(
        'reconciliation.import.start',
        'partner_reconciliation.import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("New Profile", 'new_profile', 'tryton-create',
                validate=False),
            Button("Preview", 'preview', 'tryton-forward', default=True),
            ])
    new_profile = StateView(
        'reconciliation.import.profile',
        'partner_reconciliation.import_profile_view_form', [
            Button("Back", 'start', 'tryton-back', validate=False),
            Button("Create the Profile and Preview", 'create_profile',
                'tryton-ok', default=True),
            ])
    create_profile = StateTransition()
    preview = StateView(
        'reconciliation.import.preview',
        'partner_reconciliation.import_preview_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Back", 'start', 'tryton-back'),
            Button("Import only the Valid Rows", 'import_valid',
                'tryton-warning',
                states={
                    'invisible': ~Eval('error_count', 0)
                    | ~Eval('valid_count', 0),
                    }),
            Button("Import", 'import_all', 'tryton-ok', default=True,
                states={
                    'invisible': Eval('error_count', 0) > 0,
                    }),
            ])
    import_all = StateTransition()
    import_valid = StateTransition()
    open_ = StateAction('partner_reconciliation.act_statement_form')

    def default_new_profile(self, fields):
        """The values of the profile chosen, if any, to adapt, and the
        first rows of the file"""
        check_import_user()
        pool = Pool()
        Profile = pool.get('reconciliation.profile')
        profile = self.start.profile
        values = {}
        if profile:
            values = {name: getattr(profile, name)
                for name in PROFILE_FIELDS if name != 'name'}
            values['partner'] = profile.partner.id
        else:
            values = {name: getattr(Profile, f'default_{name}')()
                for name in PROFILE_FIELDS
                if hasattr(Profile, f'default_{name}')}
        if self.start.file:
            values['file_sample'] = sample_text(
                self.start.file, values.get('sheet'), self.start.filename)
        return values

    def transition_create_profile(self):
        check_import_user()
        pool = Pool()
        Profile = pool.get('reconciliation.profile')
        values = {}
        for name in PROFILE_FIELDS:
            value = getattr(self.new_profile, name)
            if name == 'partner':
                value = value.id if value else None
            values[name] = value
        profile = Profile(**values)
        # refused before anything is written
        profile.check_values()
        profile.save()
        self.start.profile = profile
        if self.start.file and self.start.start_date and self.start.end_date:
            return 'preview'
        return 'start'

    def default_preview(self, fields):
        check_import_user()
        profile = self.start.profile
        check_not_imported(profile, self.start.file, self.start.filename)
        parsed = read_file(profile, self.start.file, self.start.filename)
        return {
            'kind': parsed.kind,
            'row_count': parsed.row_count,
            'valid_count': len(parsed.rows),
            'error_count': parsed.error_count,
            'errors': errors_text(parsed),
            'amount_total': parsed.amount_total,
            'totals': totals_text(parsed),
            'rows': [dict(zip(['row_number'] + FIELDS, row, strict=False))
                for row in parsed.rows[:PREVIEW_ROWS]],
            }

    def _import(self, valid_only):
        check_import_user()
        statement = import_statement(
            self.start.profile, self.start.start_date, self.start.end_date,
            self.start.file, self.start.filename, valid_only=valid_only)
        self._statement_id = statement.id
        return 'open_'

    def transition_import_all(self):
        return self._import(False)

    def transition_import_valid(self):
        return self._import(True)

    def do_open_(self, action):
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', '=', self._statement_id)])
        action['views'].reverse()
        return action, {'res_id': [self._statement_id]}
