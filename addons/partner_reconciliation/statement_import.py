"""Import of a partner statement: parse the whole file, show a preview with
every error, then store the lines and their matches in one batch."""
import hashlib

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import StatementImportError
from .matching import Matcher, network_records
from .parser import FIELDS, FileError, parse
from .profile import AMOUNT_DIGITS
from .statement import line_values, store_lines

PREVIEW_ROWS = 20
# The errors written in a message; the preview lists them all
MESSAGE_ERRORS = 20


def column_label(name):
    return gettext(f'partner_reconciliation.msg_column_{name}')


def file_error_text(error, filename):
    params = dict(error.params, filename=filename or '')
    if 'column' in params:
        params['column'] = column_label(params['column'])
    params.setdefault('error', '')
    return gettext(f'partner_reconciliation.msg_file_{error.code}', **params)


def row_error_text(row, column, code, params):
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


def read_file(profile, data, filename, limit=None):
    "Return the Parsed file or raise the error of the file in French"
    try:
        return parse(data or b'', profile.layout, limit=limit)
    except FileError as error:
        raise StatementImportError(file_error_text(error, filename)) from None


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
    parsed = read_file(profile, data, filename)
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
    records = network_records(
        profile.partner, start, end, profile.amount_basis)
    outcomes, missing = Matcher(
        records, profile.tolerance, profile.rules).match(parsed.rows)
    store_lines(statement.id, line_values(
            statement.id, parsed.rows, outcomes, missing))
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


class ImportPreview(ModelView):
    "Preview of a Partner Statement"
    __name__ = 'reconciliation.import.preview'
    kind = fields.Char("Kind of File", readonly=True)
    row_count = fields.Integer("Rows Read", readonly=True)
    valid_count = fields.Integer("Valid Rows", readonly=True)
    error_count = fields.Integer("Errors", readonly=True)
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
            Button("Preview", 'preview', 'tryton-forward', default=True),
            ])
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

    def default_preview(self, fields):
        profile = self.start.profile
        check_not_imported(profile, self.start.file, self.start.filename)
        parsed = read_file(profile, self.start.file, self.start.filename)
        return {
            'kind': parsed.kind,
            'row_count': parsed.row_count,
            'valid_count': len(parsed.rows),
            'error_count': parsed.error_count,
            'errors': errors_text(parsed),
            'rows': [dict(zip(['row_number'] + FIELDS, row))
                for row in parsed.rows[:PREVIEW_ROWS]],
            }

    def _import(self, valid_only):
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
