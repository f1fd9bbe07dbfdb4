"""Partner statements, their lines as matched, and the decisions taken on
them."""
import datetime as dt
from decimal import Decimal

from sql.aggregate import Count, Sum

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from service_network.bulk_tables import UncheckedReferencesMixin

from .exceptions import StatementError
from .matching import to_decimal
from .profile import AMOUNT_DIGITS

STATUSES = [
    ('matched', "Matched"),
    ('amount_differs', "Amount Differs"),
    ('unknown', "Unknown to the Network"),
    ('duplicate', "Duplicate"),
    ('missing', "Missing at the Partner"),
    ('resolved', "Resolved"),
    ]
OPEN_STATUSES = ['amount_differs', 'unknown', 'duplicate', 'missing']
RULES = [
    (None, ""),
    ('case_number', "Case Number"),
    ('reference', "Reference"),
    ('date_amount_citizen', "Date, Amount and Citizen"),
    ('date_citizen', "Date and Citizen"),
    ('manual', "By Hand"),
    ]
COUNTED = ['matched', 'amount_differs', 'unknown', 'duplicate', 'missing',
    'resolved']


class Statement(Workflow, ModelSQL, ModelView):
    "Statement of a partner"
    __name__ = 'reconciliation.statement'
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    partner = fields.Many2One(
        'party.party', "Partner", required=True, readonly=True,
        ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    profile = fields.Many2One(
        'reconciliation.profile', "Profile", required=True, readonly=True,
        ondelete='RESTRICT')
    start_date = fields.Date("From", required=True, readonly=True)
    end_date = fields.Date("To", required=True, readonly=True)
    file = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)
    file_hash = fields.Char(
        "File Hash (SHA-256)", readonly=True, required=True)
    state = fields.Selection([
            ('to_chase', "Lines to Chase"),
            ('matched', "Matched"),
            ('done', "Done"),
            ], "State", readonly=True, required=True, sort=False,
        help="Lines to chase while a line differs, is unknown, duplicated "
        "or missing at the partner; matched when every line is matched or "
        "resolved.")
    state_string = state.translated('state')
    lines = fields.One2Many(
        'reconciliation.statement.line', 'statement', "Lines",
        readonly=True)
    decisions = fields.One2Many(
        'reconciliation.decision', 'statement', "Decisions", readonly=True)
    line_count = fields.Function(
        fields.Integer("Lines of the Statement"), 'get_figures')
    matched_count = fields.Function(
        fields.Integer("Matched"), 'get_figures')
    amount_differs_count = fields.Function(
        fields.Integer("Amount Differs"), 'get_figures')
    unknown_count = fields.Function(
        fields.Integer("Unknown"), 'get_figures')
    duplicate_count = fields.Function(
        fields.Integer("Duplicates"), 'get_figures')
    missing_count = fields.Function(
        fields.Integer("Missing at the Partner"), 'get_figures')
    resolved_count = fields.Function(
        fields.Integer("Resolved"), 'get_figures')
    open_count = fields.Function(
        fields.Integer("To Chase"), 'get_figures')
    partner_total = fields.Function(fields.Numeric(
            "Partner Total (XOF)", digits=AMOUNT_DIGITS), 'get_figures')
    network_total = fields.Function(fields.Numeric(
            "Network Total (XOF)", digits=AMOUNT_DIGITS), 'get_figures')
    difference_total = fields.Function(fields.Numeric(
            "Difference (XOF)", digits=AMOUNT_DIGITS), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('file_unique', Unique(t, t.partner, t.file_hash),
                'partner_reconciliation.msg_statement_file_unique'),
            ]
        cls._order.insert(0, ('start_date', 'DESC'))
        # closing a statement with lines to chase is refused by close()
        cls._transitions |= {
            ('to_chase', 'done'), ('matched', 'done'), ('done', 'matched')}
        cls._buttons.update({
                'close': {
                    # with lines to chase, close() says how many
                    'invisible': Eval('state') == 'done',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'done',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Line = pool.get('reconciliation.statement.line')
        super().__register__(module)
        # migration from 8.0.1.0.0: "matched" while lines remained to chase
        table, line = cls.__table__(), Line.__table__()
        cursor = Transaction().connection.cursor()
        if backend.TableHandler.table_exist(Line._table):
            cursor.execute(*table.update(
                    [table.state], ['to_chase'],
                    where=(table.state == 'matched')
                    & table.id.in_(line.select(
                            line.statement,
                            where=line.status.in_(OPEN_STATUSES)))))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'to_chase'

    @classmethod
    def update_state(cls, statements):
        """Set the state of the statements not done from their lines: to
        chase while one is open, else matched"""
        statements = [s for s in statements if s.state != 'done']
        if not statements:
            return
        figures = cls.figures([s.id for s in statements])
        to_write = {'to_chase': [], 'matched': []}
        for statement in statements:
            open_ = any(figures[statement.id].get(s, (0,))[0]
                for s in OPEN_STATUSES)
            state = 'to_chase' if open_ else 'matched'
            if statement.state != state:
                to_write[state].append(statement)
        for state, records in to_write.items():
            if records:
                cls.write(records, {'state': state})

    def get_rec_name(self, name):
        return (f'{self.partner.rec_name} {self.start_date:%d/%m/%Y}'
            f' - {self.end_date:%d/%m/%Y}')

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('partner.rec_name',) + tuple(clause[1:])]

    @classmethod
    def figures(cls, ids):
        """Return {id: {status: (count, partner amount, network amount)}}
        computed by one grouped query"""
        pool = Pool()
        Line = pool.get('reconciliation.statement.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        result = {i: {} for i in ids}
        cursor.execute(*line.select(
                line.statement, line.status, Count(line.id),
                Sum(line.amount), Sum(line.expected_amount),
                where=line.statement.in_(list(ids)),
                group_by=[line.statement, line.status]))
        for statement, status, count, amount, expected in cursor:
            result[statement][status] = (
                count, to_decimal(amount), to_decimal(expected))
        return result

    @classmethod
    def get_figures(cls, statements, names):
        figures = cls.figures([s.id for s in statements])
        result = {name: {} for name in names}
        for statement in statements:
            by_status = figures[statement.id]
            values = {
                f'{status}_count': by_status.get(status, (0,))[0]
                for status in COUNTED}
            values['line_count'] = sum(
                by_status[s][0] for s in by_status if s != 'missing')
            values['open_count'] = sum(
                by_status.get(s, (0,))[0] for s in OPEN_STATUSES)
            values['partner_total'] = sum(
                (v[1] for v in by_status.values()), Decimal(0))
            values['network_total'] = sum(
                (v[2] for s, v in by_status.items() if s != 'duplicate'),
                Decimal(0))
            values['difference_total'] = (
                values['partner_total'] - values['network_total'])
            for name in names:
                result[name][statement.id] = values[name]
        return result

    @classmethod
    def validate_fields(cls, statements, field_names):
        super().validate_fields(statements, field_names)
        if field_names and not {'partner', 'file_hash'} & field_names:
            return
        for statement in statements:
            statement.check_file_unique()

    def check_file_unique(self):
        others = self.search([
                ('id', '!=', self.id),
                ('partner', '=', self.partner.id),
                ('file_hash', '=', self.file_hash),
                ], limit=1)
        if others:
            other, = others
            raise StatementError(gettext(
                    'partner_reconciliation.msg_statement_already_imported',
                    filename=self.filename or '',
                    statement=other.rec_name))

    @classmethod
    def check_modification(
            cls, mode, statements, values=None, external=False):
        super().check_modification(
            mode, statements, values=values, external=external)
        if mode == 'delete':
            for statement in statements:
                if statement.state == 'done':
                    raise StatementError(gettext(
                            'partner_reconciliation.msg_statement_delete_done',
                            statement=statement.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def close(cls, statements):
        for statement in statements:
            if statement.open_count:
                raise StatementError(gettext(
                        'partner_reconciliation.msg_statement_close_open',
                        statement=statement.rec_name,
                        count=statement.open_count))

    @classmethod
    @ModelView.button
    def reopen(cls, statements):
        statements = [s for s in statements if s.state == 'done']
        cls.write(statements, {'state': 'matched'})
        cls.update_state(statements)


class Line(UncheckedReferencesMixin, ModelSQL, ModelView):
    "Line of a partner statement, as matched"
    __name__ = 'reconciliation.statement.line'
    # the 100,000 lines of a statement in one COPY: their four foreign keys
    # took 0.9 s of the 1.3 s of the COPY (service_network.bulk_tables)
    _unchecked_references = frozenset(
        {'statement', 'case', 'billed_line', 'split_from'})
    statement = fields.Many2One(
        'reconciliation.statement', "Statement", required=True,
        ondelete='CASCADE', readonly=True)
    row_number = fields.Integer(
        "Row", readonly=True,
        help="The row of the file; empty for a case missing at the partner.")
    reference = fields.Char("Reference", readonly=True)
    date = fields.Date("Date", readonly=True)
    amount = fields.Numeric(
        "Amount (XOF)", digits=AMOUNT_DIGITS, readonly=True,
        help="What the partner states.")
    citizen = fields.Char("Citizen", readonly=True)
    case_number = fields.Char("Case Number", readonly=True)
    status = fields.Selection(STATUSES, "Status", readonly=True, sort=False)
    status_string = status.translated('status')
    found_status = fields.Selection(
        STATUSES, "Status Found", readonly=True, sort=False,
        help="The status the matching gave, before any decision.")
    rule = fields.Selection(RULES, "Matched by", readonly=True, sort=False)
    case = fields.Many2One(
        'case.case', "Case", readonly=True, ondelete='RESTRICT')
    billed_line = fields.Many2One(
        'billing.line.case', "Billed Case", readonly=True,
        ondelete='SET NULL')
    expected_amount = fields.Numeric(
        "Network Amount (XOF)", digits=AMOUNT_DIGITS, readonly=True,
        help="What the network recorded for the case.")
    difference = fields.Numeric(
        "Difference (XOF)", digits=AMOUNT_DIGITS, readonly=True,
        help="The partner's amount less the network's.")
    resolution = fields.Text("Resolution", readonly=True)
    split_from = fields.Many2One(
        'reconciliation.statement.line', "Split from", readonly=True,
        ondelete='CASCADE')
    statement_state = fields.Function(
        fields.Selection('get_statement_states', "Statement State"),
        'on_change_with_statement_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.statement, Index.Range()),
                    (t.status, Index.Equality())),
                Index(t, (t.case, Index.Range())),
                })
        cls._order = [
            ('statement', 'DESC'),
            ('row_number', 'ASC NULLS LAST'),
            ('id', 'ASC'),
            ]
        open_ = (Eval('statement_state') == 'done')
        cls._buttons.update({
                'match_wizard': {
                    'invisible': open_ | (Eval('status') == 'missing'),
                    'depends': ['statement_state', 'status'],
                    },
                'split_wizard': {
                    'invisible': open_ | (Eval('status') == 'missing'),
                    'depends': ['statement_state', 'status'],
                    },
                'resolve_wizard': {
                    'invisible': open_ | ~Eval('status').in_(OPEN_STATUSES),
                    'depends': ['statement_state', 'status'],
                    },
                })

    @classmethod
    def __setup_indexes__(cls):
        super().__setup_indexes__()
        t = cls.__table__()
        # the index on (statement, status) serves the lines of a statement:
        # Tryton's on the statement alone only slowed every import (0.15 s
        # of 100,000 lines)
        cls._sql_indexes.discard(
            Index(t, (t.statement, Index.Range()), where=None))

    @classmethod
    def get_statement_states(cls):
        pool = Pool()
        Statement = pool.get('reconciliation.statement')
        return Statement.fields_get(['state'])['state']['selection']

    @fields.depends('statement', '_parent_statement.state')
    def on_change_with_statement_state(self, name=None):
        return self.statement.state if self.statement else None

    def get_rec_name(self, name):
        if self.row_number:
            return gettext(
                'partner_reconciliation.msg_line_rec_name',
                row=self.row_number, reference=self.reference or '')
        return self.case_number or str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('reference', operator, value),
            ('case_number', operator, value),
            ('citizen', operator, value),
            ]

    @classmethod
    @ModelView.button_action('partner_reconciliation.wizard_match')
    def match_wizard(cls, lines):
        pass

    @classmethod
    @ModelView.button_action('partner_reconciliation.wizard_split')
    def split_wizard(cls, lines):
        pass

    @classmethod
    @ModelView.button_action('partner_reconciliation.wizard_resolve')
    def resolve_wizard(cls, lines):
        pass


class Decision(ModelSQL, ModelView):
    "Decision taken on a statement line"
    __name__ = 'reconciliation.decision'
    statement = fields.Many2One(
        'reconciliation.statement', "Statement", required=True,
        ondelete='CASCADE', readonly=True)
    line = fields.Many2One(
        'reconciliation.statement.line', "Line", readonly=True,
        ondelete='SET NULL')
    action = fields.Selection([
            ('match', "Manual Match"),
            ('split', "Split"),
            ('resolve', "Resolve"),
            ], "Action", required=True, readonly=True)
    details = fields.Char("Details", readonly=True)
    reason = fields.Text("Reason", readonly=True)
    user = fields.Many2One('res.user', "By", required=True, readonly=True)
    date = fields.DateTime("On", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'DESC'))
        cls._order.insert(1, ('id', 'DESC'))

    @classmethod
    def default_user(cls):
        return Transaction().user

    @classmethod
    def default_date(cls):
        return dt.datetime.now()


def line_columns():
    "The columns the import writes, in the order of line_values"
    return ['statement', 'row_number', 'reference', 'date', 'amount',
        'citizen', 'case_number', 'status', 'found_status', 'rule', 'case',
        'billed_line', 'expected_amount', 'difference', 'create_uid',
        'create_date']


def line_values(statement_id, matcher, rows):
    """Yield the values of the lines in the order of line_columns: the rows
    as the matcher pairs them, then the records it misses"""
    user = Transaction().user
    now = dt.datetime.now()
    for row, outcome in matcher.pairs(rows):
        number, reference, date, amount, citizen, case_number = row
        if outcome:
            record = outcome.record
            expected = record.amount
            yield (statement_id, number, reference, date, amount, citizen,
                case_number, outcome.status, outcome.status, outcome.rule,
                record.case, record.billed_line, expected,
                amount - expected, user, now)
        else:
            yield (statement_id, number, reference, date, amount, citizen,
                case_number, 'unknown', 'unknown', None, None, None, None,
                amount, user, now)
    for record in matcher.missing():
        yield (statement_id, None, record.payment_reference, record.date,
            None, record.citizen, record.number, 'missing', 'missing', None,
            record.case, record.billed_line, record.amount, -record.amount,
            user, now)


def store_lines(statement_id, values):
    """Insert the lines in one batch: COPY on PostgreSQL, executemany
    elsewhere"""
    pool = Pool()
    Line = pool.get('reconciliation.statement.line')
    columns = line_columns()
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Line._table
    names = ', '.join(f'"{c}"' for c in columns)
    if backend.name == 'postgresql':
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in values:
                copy.write_row(row)
        return
    placeholders = ', '.join(['?'] * len(columns))
    batch = []
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})'
    for row in values:
        batch.append(tuple(
                str(v) if isinstance(v, Decimal) else v for v in row))
        if len(batch) >= 5000:
            cursor.executemany(insert, batch)
            batch = []
    if batch:
        cursor.executemany(insert, batch)
