"""Cases (dossiers): a citizen's request for a procedure, from the counter
to the delivery of the document, with its delay in working days."""
import datetime as dt
import secrets
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null, NullsFirst
from sql.aggregate import Count, Min
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp
from sql.operators import Exists

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Index,
    ModelSQL,
    ModelView,
    Unique,
    Workflow,
    fields,
)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, Id, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from service_network.empty_write import SkipEmptyWriteMixin
from service_network.ids_search import IdsSearchMixin
from service_network.one2many import One2Many
from service_network.phone import (
    check_sn_phone,
    format_sn_phone,
    parse_sn_phone,
)
from service_network.procedure import XOF_DIGITS
from service_network.protection import ReadonlyGuardMixin
from service_network.rec_names import column_names, rows_by_ids
from service_network.search import search_fields
from service_network.set_validation import SetValidationMixin

from .delay import SLA_COLORS, CaseDelayMixin
from .exceptions import CaseAccessError, CaseError, CaseValidationError
from .numbering import site_code
from .receipt import format_xof
from .workflow import (
    OPEN_STATES,
    PAUSE_STATES,
    STATES,
    current_employee,
    transition,
)

FINISHED_STATES = ['delivered', 'rejected', 'cancelled']
REASSIGN_GROUPS = ['group_site_manager', 'group_network_admin']


# the sites a case is opened at, the parties it is opened for
OPEN_SITE = [('state', '=', 'open')]
CITIZEN = [('partner_kind', '=', None)]


# How the citizen pays the fees of a case, at the case or at the desk
PAYMENT_METHODS = [
    (None, ""),
    ('cash', "Cash"),
    ('mobile_money', "Mobile Money"),
    ]


class Case(
        SkipEmptyWriteMixin, ReadonlyGuardMixin, CaseDelayMixin,
        SetValidationMixin, IdsSearchMixin, Workflow, ModelSQL, ModelView):
    "Case of a citizen for a procedure"
    __name__ = 'case.case'
    _draft = {'readonly': Eval('state') != 'draft'}

    number = fields.Char(
        "Number", readonly=True,
        help="Given when the case is opened: site, year and a number "
        "that is never reused.")
    site = fields.Many2One(
        'network.site', "Site", required=True, states=_draft,
        domain=OPEN_SITE)
    citizen = fields.Many2One(
        'party.party', "Citizen", required=True, states=_draft,
        domain=CITIZEN)
    phone = fields.Char(
        "Phone", states={
            'readonly': Eval('state').in_(['delivered', 'rejected',
                    'cancelled']),
            },
        help="Where the citizen is told the document is ready.")
    procedure = fields.Many2One(
        'network.procedure', "Procedure", required=True, states=_draft)
    assignee = fields.Many2One(
        'company.employee', "Assigned to",
        states={
            'readonly': (Eval('state').in_(FINISHED_STATES)
                | ((Eval('id', -1) >= 0)
                    & ~Id('service_network', 'group_site_manager').in_(
                        Eval('context', {}).get('groups', []))
                    & ~Id('service_network', 'group_network_admin').in_(
                        Eval('context', {}).get('groups', [])))),
            },
        help="The agent who follows the case; only site managers "
        "reassign it.")
    channel = fields.Selection([
            ('counter', "Counter"),
            ('phone', "Phone"),
            ('email', "Email"),
            ('online', "Online"),
            ], "Channel", required=True, states=_draft)
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    documents = One2Many(
        'case.document', 'case', "Documents",
        states={
            'readonly': ~Eval('state').in_(['draft', 'waiting_citizen']),
            })
    fees = One2Many('case.fee', 'case', "Fees", readonly=True)
    total_fee = fields.Function(
        fields.Numeric("Total (XOF)", digits=XOF_DIGITS), 'get_total_fee')
    payment_method = fields.Selection(PAYMENT_METHODS, "Payment Method",
        states={
            'readonly': Bool(Eval('paid_at')),
            'invisible': Eval('state') == 'draft',
            })
    payment_method_string = payment_method.translated('payment_method')
    payment_reference = fields.Char(
        "Payment Reference",
        states={
            'readonly': Bool(Eval('paid_at')),
            'invisible': Eval('payment_method') != 'mobile_money',
            'required': (Eval('payment_method') == 'mobile_money'),
            },
        help="The transaction id of the mobile-money payment.")
    paid_at = fields.DateTime("Paid at", readonly=True)
    transmitted_at = fields.DateTime(
        "Transmitted at", readonly=True,
        help="When the case was first transmitted to the partner.")
    submission_date = fields.Date("Submitted on", readonly=True)
    due_date = fields.Date(
        "Expected Delivery", readonly=True,
        help="The opening date (then the submission date) plus the "
        "procedure's legal delay in working days, pushed by the days spent "
        "waiting for the citizen.")
    paused_on = fields.Date("Paused on", readonly=True)
    paused_state = fields.Selection(
        [(None, "")] + STATES, "State before Pause", readonly=True)
    legal_delay = fields.Function(
        fields.Integer(
            "Legal Delay (working days)",
            help="The procedure's delay between submission and delivery."),
        'on_change_with_legal_delay')
    days_left = fields.Function(
        fields.Integer(
            "Working Days Left",
            help="Working days until the expected delivery, counted from "
            "today (from the day the case paused while waiting for the "
            "citizen); negative: the working days the case is late by."),
        'get_delay')
    sla_status = fields.Function(fields.Selection([
                (None, ""),
                ('on_time', "On Time"),
                ('at_risk', "At Risk"),
                ('late', "Late"),
                ], "Delay Status",
            help="At risk: less than a fifth of the legal delay left."),
        'get_delay', searcher='search_sla_status')
    sla_color = fields.Function(
        fields.Char("Delay Colour"), 'on_change_with_sla_color')
    late_flagged = fields.Boolean("Late Flagged", readonly=True)
    delivery_date = fields.Date("Delivered on", readonly=True)
    reason = fields.Text(
        "Reason",
        states={
            'readonly': ~Eval('state').in_(
                list(OPEN_STATES) + ['draft']),
            },
        help="Why the case is rejected, cancelled or paused: required to "
        "reject or cancel it.")
    # Ratings are the citizen's (the public rating page): read-only for staff
    rating = fields.Integer(
        "Satisfaction", readonly=True,
        states={
            'invisible': Eval('state') != 'delivered',
            },
        help="The citizen's satisfaction, from 1 (poor) to 5 (excellent).")
    rating_comment = fields.Text(
        "Comment", readonly=True, states={
            'invisible': Eval('state') != 'delivered',
            })
    rated_at = fields.DateTime("Rated at", readonly=True)
    rating_token = fields.Char(
        "Rating Token", readonly=True,
        help="The secret of the satisfaction link sent to the citizen.")
    recipient_kind = fields.Selection([
            (None, ""),
            ('citizen', "The Citizen"),
            ('proxy', "A Proxy"),
            ('partner', "Sent by the Partner"),
            ], "Collected by",
        states={
            'readonly': Eval('state') != 'ready',
            'invisible': ~Eval('state').in_(['ready', 'delivered']),
            },
        help="Who collected the document: the citizen, or a proxy with "
        "the citizen's authorisation.")
    recipient_name = fields.Char(
        "Name of the Proxy",
        states={
            'readonly': Eval('state') != 'ready',
            'invisible': Eval('recipient_kind') != 'proxy',
            'required': (Eval('state') == 'ready')
            & (Eval('recipient_kind') == 'proxy'),
            })
    recipient_id_type = fields.Selection([
            (None, ""),
            ('cni', "National ID Card (CNI)"),
            ('passport', "Passport"),
            ('residence', "Residence Permit"),
            ('consular', "Consular Card"),
            ('other', "Other Document"),
            ], "Identity Document Checked",
        states={
            'readonly': Eval('state') != 'ready',
            'invisible': ~Eval('recipient_kind').in_(['citizen', 'proxy']),
            })
    recipient_id_number = fields.Char(
        "Number of the Identity Document",
        states={
            'readonly': Eval('state') != 'ready',
            'invisible': ~Eval('recipient_kind').in_(['citizen', 'proxy']),
            })
    refunds = One2Many(
        'case.refund', 'case', "Refunds", readonly=True,
        states={
            'invisible': ~Bool(Eval('paid_at')),
            })
    history = One2Many(
        'case.history', 'case', "History", readonly=True)
    notifications = One2Many(
        'case.notification', 'case', "Notifications", readonly=True)

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('number_unique', Unique(t, t.number),
                'service_case.msg_case_number_unique'),
            ('rating_token_unique', Unique(t, t.rating_token),
                'service_case.msg_case_rating_token_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality())),
                Index(t, (t.due_date, Index.Range())),
                Index(t, (t.assignee, Index.Range()),
                    (t.state, Index.Equality())),
                # The indicators per site and day: the network-wide
                # dashboard filters on dates first
                Index(t, (t.create_date, Index.Range()),
                    (t.site, Index.Equality())),
                # the deliveries of a period in an index-only scan, with
                # what the indicators add up of them
                Index(t, (t.delivery_date, Index.Range()),
                    (t.site, Index.Equality()),
                    include=[t.due_date, t.rating]),
                # a site's cases by state (the agents' lists), and its
                # citizens: the rule letting site staff read a citizen
                # (personal_data.xml) tests it at every citizen read
                Index(t, (t.site, Index.Equality()),
                    (t.state, Index.Equality()),
                    include=[t.citizen]),
                })
        cls._order.insert(0, ('number', 'DESC NULLS FIRST'))
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'transmitted'),
            ('transmitted', 'at_partner'),
            ('transmitted', 'ready'),
            ('at_partner', 'ready'),
            ('ready', 'delivered'),
            ('submitted', 'waiting_citizen'),
            ('transmitted', 'waiting_citizen'),
            ('at_partner', 'waiting_citizen'),
            ('transmitted', 'waiting_partner'),
            ('at_partner', 'waiting_partner'),
            ('submitted', 'rejected'),
            ('transmitted', 'rejected'),
            ('at_partner', 'rejected'),
            ('waiting_partner', 'rejected'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
            ('waiting_citizen', 'cancelled'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'collect': {
                    'invisible': (Eval('state').in_(
                            ['draft', 'rejected', 'cancelled'])
                        | Bool(Eval('paid_at'))),
                    'depends': ['state', 'paid_at'],
                    },
                'transmit': {
                    'invisible': Eval('state') != 'submitted',
                    'depends': ['state'],
                    },
                'receive_at_partner': {
                    'invisible': Eval('state') != 'transmitted',
                    'depends': ['state'],
                    },
                'make_ready': {
                    'invisible': ~Eval('state').in_(
                        ['transmitted', 'at_partner']),
                    'depends': ['state'],
                    },
                'deliver': {
                    'invisible': Eval('state') != 'ready',
                    'depends': ['state'],
                    },
                'change_fees': {
                    'invisible': (Eval('state').in_(
                            ['draft', 'rejected', 'cancelled'])
                        | Bool(Eval('paid_at'))),
                    'depends': ['state', 'paid_at'],
                    },
                'refund': {
                    'invisible': ~Bool(Eval('paid_at')),
                    'depends': ['paid_at'],
                    },
                'wait_citizen': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'transmitted', 'at_partner']),
                    'depends': ['state'],
                    },
                'wait_partner': {
                    'invisible': ~Eval('state').in_(
                        ['transmitted', 'at_partner']),
                    'depends': ['state'],
                    },
                'resume': {
                    'invisible': ~Eval('state').in_(list(PAUSE_STATES)),
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'transmitted', 'at_partner',
                            'waiting_partner']),
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'submitted', 'waiting_citizen']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        History = pool.get('case.history')
        table_h = cls.__table_handler__(module)
        fill_transmitted = not table_h.column_exist('transmitted_at')
        super().__register__(module)
        if fill_transmitted and backend.TableHandler.table_exist(
                History._table):
            cls._fill_transmitted_at()

    @classmethod
    def _fill_transmitted_at(cls):
        "Store the first transmission of each case, searched in its history"
        pool = Pool()
        History = pool.get('case.history')
        case = cls.__table__()
        history = History.__table__()
        cursor = Transaction().connection.cursor()
        transmitted = history.to_state == 'transmitted'
        cursor.execute(*case.update(
                columns=[case.transmitted_at],
                values=[history.select(
                        Min(history.date),
                        where=transmitted & (history.case == case.id))],
                where=case.id.in_(history.select(
                        history.case, where=transmitted))))

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_channel(cls):
        return 'counter'

    @classmethod
    def default_late_flagged(cls):
        return False

    @classmethod
    def default_assignee(cls):
        employee = current_employee()
        return employee.id if employee else None

    @classmethod
    def default_site(cls):
        pool = Pool()
        User = pool.get('res.user')
        sites = User.get_sites()
        if len(sites) == 1:
            return sites[0]

    @classmethod
    def get_rec_name(cls, cases, name):
        # the number alone read: a case's attribute loads its 46 stored
        # fields (the desk names its case at every reload, lists of fees,
        # documents and invoice lines name theirs)
        return column_names(cls, cases, ['number', 'id'],
            lambda number, id_: number or f'({id_})')

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_fields(clause, ['number', 'citizen'])

    @fields.depends('citizen', 'phone')
    def on_change_citizen(self):
        # the phone typed once on the citizen form
        if self.citizen and self.citizen.citizen_phone:
            self.phone = self.citizen.citizen_phone

    @fields.depends('sla_status')
    def on_change_with_sla_color(self, name=None):
        "The colour of the delay status on the form: those of the lists"
        return SLA_COLORS.get(self.sla_status)

    @classmethod
    def view_attributes(cls):
        # late in red, at risk in orange, as the lists of Tryton colour
        # them (the bootstrap classes of sao)
        visual = If(Eval('sla_status') == 'late', 'danger',
            If(Eval('sla_status') == 'at_risk', 'warning', ''))
        return super().view_attributes() + [
            (f'/tree/field[@name="{name}"]', 'visual', visual)
            for name in ['due_date', 'days_left', 'sla_status']]

    @fields.depends('procedure')
    def on_change_with_legal_delay(self, name=None):
        return self.procedure.legal_delay if self.procedure else None

    @classmethod
    def get_total_fee(cls, cases, name):
        # the amounts only, in one query per slice: each case's fees were
        # read whole, one case after the other
        pool = Pool()
        Fee = pool.get('case.fee')
        fee = Fee.__table__()
        totals = {c.id: Decimal(0) for c in cases}
        for case_id, amount in rows_by_ids(
                fee, fee.case, [fee.amount], list(totals)):
            totals[case_id] += amount or Decimal(0)
        return totals

    # the case opened alone at a counter is checked in one query too, and
    # its site and citizen by one count each instead of an ORM search
    _set_validation_size = 1

    @classmethod
    def _set_targets_valid(cls, name, ids):
        # validation runs without access checks: no record rule applies to
        # the search these counts replace (inactive records included)
        pool = Pool()
        Site = pool.get('network.site')
        Party = pool.get('party.party')
        if name == 'site' and cls.site.domain == OPEN_SITE:
            table = Site.__table__()
            condition = table.state == 'open'
        elif name == 'citizen' and cls.citizen.domain == CITIZEN:
            table = Party.__table__()
            condition = table.partner_kind == Null
        else:
            return super()._set_targets_valid(name, ids)
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Count(table.id),
                where=table.id.in_(sorted(ids)) & condition))
        return cursor.fetchone()[0] == len(ids)

    @classmethod
    def _before_create(cls, vlist):
        # Numbers are reserved for the whole batch, one counter update per
        # site instead of one per case: this needs the list, hence here and
        # not in preprocess_values; after the access checks of super, which
        # refuse a number given by the user.
        vlist = [v.copy() for v in super()._before_create(vlist)]
        cls.open_values(vlist)
        return vlist

    @classmethod
    def open_values(cls, vlist):
        """Give each new case its number per site and year
        (ZIG-2026-000123) and its due date from today"""
        pool = Pool()
        Numbering = pool.get('case.numbering')
        Site = pool.get('network.site')
        Procedure = pool.get('network.procedure')
        opened = Pool().get('ir.date').today()
        to_number = defaultdict(list)
        for values in vlist:
            if not values.get('number') and values.get('site') is not None:
                to_number[values['site']].append(values)
        for site in Site.browse(list(to_number)):
            numbers = Numbering.next_numbers(
                site, f'case-{opened.year}', len(to_number[site.id]))
            for values, number in zip(
                    to_number[site.id], numbers, strict=True):
                values['number'] = (
                    f'{site_code(site.id)}-{opened.year}-{number:06d}')
        procedures = Procedure.browse(list({
                    v['procedure'] for v in vlist
                    if v.get('procedure') is not None
                    and not v.get('due_date')}))
        due_dates = cls.due_dates(opened, procedures)
        for values in vlist:
            procedure = values.get('procedure')
            if procedure is not None and not values.get('due_date'):
                values['due_date'] = due_dates[Procedure(procedure)]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('rating') is not None and not values.get('rated_at'):
            values['rated_at'] = dt.datetime.now()
        if values.get('phone'):
            values['phone'] = format_sn_phone(values['phone'])
        return values

    @classmethod
    def validate_fields(cls, cases, field_names):
        super().validate_fields(cases, field_names)
        phone = field_names is None or 'phone' in field_names
        rating = field_names is None or bool({'rating', 'state'} & field_names)
        if not (phone or rating):
            return
        # only the cases with a phone or a rating, read in one query per
        # slice: the record's attributes cost more than the checks
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        rated = []
        for sub_ids in grouped_slice(
                [c.id for c in cases], backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.id, table.phone, table.rating,
                    where=reduce_ids(table.id, sub_ids)
                    & ((table.phone != Null) | (table.rating != Null))))
            for case_id, case_phone, case_rating in cursor.fetchall():
                if (phone and case_phone
                        and parse_sn_phone(case_phone) is None):
                    # the names only for the message: they cost reads
                    check_sn_phone(case_phone,
                        cls.__names__('phone')['field'], cls(case_id).rec_name)
                if rating and case_rating is not None:
                    rated.append(case_id)
        # the rated cases browsed together: one read for all of them
        for case in cls.browse(rated):
            case.check_rating()

    def check_rating(self):
        if self.rating is None:
            return
        if not 1 <= self.rating <= 5:
            raise CaseValidationError(gettext(
                    'service_case.msg_case_rating_range',
                    case=self.rec_name, rating=self.rating))
        if self.state != 'delivered':
            raise CaseValidationError(gettext(
                    'service_case.msg_case_rating_not_delivered',
                    case=self.rec_name))

    @classmethod
    def on_modification(cls, mode, cases, field_names=None):
        super().on_modification(mode, cases, field_names=field_names)
        if mode == 'create':
            cls.copy_checklist(cases)

    @classmethod
    def copy_checklist(cls, cases):
        """Copy the documents required by the procedure into the cases that
        have no document yet: one INSERT ... SELECT for all of them (the
        lines are what the ORM would write: no default, no translation,
        nothing computed)"""
        pool = Pool()
        Document = pool.get('case.document')
        Required = pool.get('network.procedure.document')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        document = Document.__table__()
        existing = Document.__table__()
        required = Required.__table__()
        case = cls.__table__()
        columns = [document.case, document.sequence, document.name,
            document.mandatory, document.provided, document.create_uid,
            document.create_date]
        if not cases:
            return
        query = case.join(required,
            condition=required.procedure == case.procedure
            ).select(
            case.id, required.sequence, required.name,
            Coalesce(required.mandatory, False), Literal(False),
            Literal(transaction.user), CurrentTimestamp(),
            where=fields.SQL_OPERATORS['in'](case.id, [c.id for c in cases])
            & ~Exists(existing.select(Literal(1),
                    where=existing.case == case.id)),
            order_by=[case.id, NullsFirst(required.sequence), required.id])
        cursor.execute(*document.insert(columns, query))
        # as the ORM's create: the records cached in the transaction are
        # read again, the estimated count follows
        transaction.counter += 1
        count = Document._count_cache.get(Document.__name__)
        if count is not None and cursor.rowcount > 0:
            Document._count_cache.set(
                Document.__name__, count + cursor.rowcount)

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'fees', 'history', 'paid_at',
                'transmitted_at', 'submission_date', 'due_date', 'paused_on',
                'paused_state', 'delivery_date', 'reason', 'rating',
                'rating_comment',
                'rated_at', 'rating_token', 'notifications',
                'payment_method', 'payment_reference']:
            default.setdefault(name, None)
        for name in ['recipient_kind', 'recipient_name', 'recipient_id_type',
                'recipient_id_number', 'refunds']:
            default.setdefault(name, None)
        default.setdefault('late_flagged', False)
        return super().copy(cases, default=default)

    @classmethod
    def check_modification(cls, mode, cases, values=None, external=False):
        super().check_modification(
            mode, cases, values=values, external=external)
        if (mode == 'write' and external and 'assignee' in values
                and not cls.may_reassign(cases, values['assignee'])):
            raise CaseAccessError(gettext(
                    'service_case.msg_case_reassign',
                    case=cases[0].rec_name if cases else ''))
        if mode == 'delete':
            for case in cases:
                if case.state not in {'draft', 'cancelled'}:
                    raise CaseError(gettext(
                            'service_case.msg_case_delete_draft',
                            case=case.rec_name))

    @classmethod
    def may_reassign(cls, cases, assignee):
        """Site managers and network administrators reassign cases; an agent
        only takes a case nobody follows"""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        groups = set(User.get_groups())
        if any(ModelData.get_id('service_network', g) in groups
                for g in REASSIGN_GROUPS):
            return True
        employee = current_employee()
        return (employee is not None and assignee == employee.id
            and all(not c.assignee for c in cases))

    @classmethod
    def check_transition(cls, cases, state):
        "Refuse the whole action if one case cannot reach state"
        names = dict(cls.fields_get(['state'])['state']['selection'])
        for case in cases:
            if (case.state, state) not in cls._transitions:
                raise CaseError(gettext(
                        'service_case.msg_case_transition',
                        case=case.rec_name, from_=case.state_string,
                        to=names[state]))

    @classmethod
    def record_event(cls, notes):
        """Add to the history of each case of notes {case: note} a line
        that keeps its state: a payment, a fee changed, a refund"""
        pool = Pool()
        History = pool.get('case.history')
        employee = current_employee()
        now = dt.datetime.now()
        History.save([
                History(
                    case=case, from_state=case.state, to_state=case.state,
                    date=now, employee=employee, note=note)
                for case, note in notes.items()])

    @classmethod
    def record_history(cls, cases, before):
        "Add a history line for each case whose state changed"
        pool = Pool()
        History = pool.get('case.history')
        employee = current_employee()
        now = dt.datetime.now()
        History.save([
                History(
                    case=case, from_state=before[case.id],
                    to_state=case.state, date=now, employee=employee,
                    note=case.reason if case.state in {
                        'rejected', 'cancelled', 'waiting_citizen',
                        'waiting_partner'} else None)
                for case in cases if case.state != before[case.id]])

    def check_documents(self):
        missing = [d.name for d in self.documents
            if d.mandatory and not d.provided]
        if missing:
            raise CaseError(gettext(
                    'service_case.msg_case_missing_documents',
                    case=self.rec_name, documents=', '.join(missing)))

    @classmethod
    def set_fees(cls, cases):
        "Copy the fee components of the procedure into the cases"
        pool = Pool()
        Fee = pool.get('case.fee')
        Fee.delete([f for c in cases for f in c.fees])
        Fee.save([
                Fee(
                    case=case, sequence=f.sequence, label=f.label,
                    kind=f.kind, amount=f.amount,
                    beneficiary=f.beneficiary)
                for case in cases for f in case.procedure.fees])

    @classmethod
    @ModelView.button
    @transition('submitted')
    def submit(cls, cases):
        pool = Pool()
        Notification = pool.get('case.notification')
        for case in cases:
            case.check_documents()
        cls.set_fees(cases)
        submitted = Pool().get('ir.date').today()
        due_dates = cls.due_dates(submitted, {c.procedure for c in cases})
        moving = [c for c in cases if c.state != 'submitted']
        for case in cases:
            case.submission_date = submitted
            case.due_date = due_dates[case.procedure]
            # written with its dates, logged as Workflow.transition logs:
            # the transition finds the state written and writes no more
            case.state = 'submitted'
        cls.save(cases)
        cls.log(moving, 'transition', 'state:submitted')
        Notification.notify(cases, 'submitted')

    @classmethod
    @ModelView.button
    def collect(cls, cases):
        "Record that the fees were paid"
        for case in cases:
            if case.state in {'draft', 'rejected', 'cancelled'}:
                raise CaseError(gettext(
                        'service_case.msg_case_collect_state',
                        case=case.rec_name))
            if not case.payment_method:
                raise CaseError(gettext(
                        'service_case.msg_case_payment_method',
                        case=case.rec_name))
            if (case.payment_method == 'mobile_money'
                    and not case.payment_reference):
                raise CaseError(gettext(
                        'service_case.msg_case_payment_reference',
                        case=case.rec_name))
        to_pay = [c for c in cases if not c.paid_at]
        cls.write(to_pay, {
                'paid_at': dt.datetime.now(),
                })
        cls.record_event({
                c: gettext('service_case.msg_case_history_paid',
                    amount=format_xof(c.total_fee),
                    method=c.payment_method_string,
                    reference=c.payment_reference or '-')
                for c in to_pay})

    @classmethod
    @ModelView.button
    @transition('transmitted')
    def transmit(cls, cases):
        for case in cases:
            if case.total_fee and not case.paid_at:
                raise CaseError(gettext(
                        'service_case.msg_case_not_paid',
                        case=case.rec_name))
        # Stored for the partners' billing, which counts the first
        # transmission only
        first = [c for c in cases if not c.transmitted_at]
        if first:
            cls.write(first, {'transmitted_at': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @transition('at_partner')
    def receive_at_partner(cls, cases):
        pass

    @classmethod
    @ModelView.button
    @transition('ready')
    def make_ready(cls, cases):
        pool = Pool()
        Notification = pool.get('case.notification')
        Notification.notify(cases, 'ready')

    def check_recipient(self):
        "Delivering records who collected the document and the ID checked"
        if self.recipient_kind == 'partner' and Transaction().context.get(
                '_partner_delivery'):
            return
        if self.recipient_kind not in {'citizen', 'proxy'}:
            raise CaseError(gettext(
                    'service_case.msg_case_recipient_required',
                    case=self.rec_name))
        if self.recipient_kind == 'proxy' and not self.recipient_name:
            raise CaseError(gettext(
                    'service_case.msg_case_recipient_name',
                    case=self.rec_name))
        if not self.recipient_id_type or not (
                self.recipient_id_number or '').strip():
            raise CaseError(gettext(
                    'service_case.msg_case_recipient_id',
                    case=self.rec_name))

    @classmethod
    @ModelView.button
    @transition('delivered')
    def deliver(cls, cases):
        pool = Pool()
        Notification = pool.get('case.notification')
        for case in cases:
            case.check_recipient()
        delivered = Pool().get('ir.date').today()
        for case in cases:
            case.delivery_date = delivered
            # The secret of the citizen's satisfaction link, 96 bits: short
            # for the SMS (notification.RATING_TOKEN_LENGTH)
            case.rating_token = secrets.token_urlsafe(12)
        cls.save(cases)
        Notification.notify(cases, 'delivered')

    @classmethod
    @ModelView.button_action('service_case.wizard_fee_change')
    def change_fees(cls, cases):
        pass

    @classmethod
    @ModelView.button_action('service_case.wizard_refund')
    def refund(cls, cases):
        pass

    @classmethod
    def rate(cls, case, rating, comment=None):
        "Record the citizen's satisfaction once; return False if already rated"
        if case.rating is not None:
            return False
        cls.write([case], {
                'rating': rating,
                'rating_comment': comment or None,
                'rated_at': dt.datetime.now(),
                })
        return True

    @classmethod
    def _check_reason(cls, cases):
        for case in cases:
            if not case.reason:
                raise CaseError(gettext(
                        'service_case.msg_case_reason_required',
                        case=case.rec_name))

    @classmethod
    @ModelView.button
    @transition('rejected')
    def reject(cls, cases):
        cls._check_reason(cases)

    @classmethod
    @ModelView.button
    @transition('cancelled')
    def cancel(cls, cases):
        cls._check_reason(cases)
