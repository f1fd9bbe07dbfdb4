"""The counter workspace: where an agent serves the queue, all day.

One desk per user: the counter they sit at, the ticket they are serving
and the citizen in front of them, with the buttons of a serving day
(call the next ticket, call again, absent, transfer, open a case, finish,
finish and call the next one). Each button says what it did in the desk's
message, so that a call on an empty queue is not silent. The queue of the
desk's site, per sector, is shown beside it (case.ticket.queue, also the
site manager's home panel).

A citizen is served without leaving the desk: the checklist of the
procedure is on the desk (case.desk.document), the agent ticks the
documents brought and picks how the fees are paid, and Open Case opens the
case, submits it when no mandatory document is missing and collects its
fees; a case still missing documents, or whose fees are left to
collect, opens in its own tab. Served
that way, a citizen costs a handful of calls to the server (the counter's
busy morning, benchmarks/load_agents.py).
"""
import collections
import datetime as dt
from decimal import Decimal

from sql import Literal, Null, NullsFirst
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case as SQLCase
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import StateAction, Wizard

from service_network.procedure import XOF_DIGITS
from service_network.protection import (
    ReadonlyGuardMixin,
    check_user_sites,
    user_sites,
)
from service_network.rec_names import rows_by_ids
from service_network.validation_sources import ValidationSourcesMixin

from .case import PAYMENT_METHODS
from .exceptions import TicketError
from .receipt import format_xof
from .ticket import minutes_between
from .workflow import current_employee

# The id of a queue row derives from its site and sector, so that a row
# keeps its id while the queue moves
QUEUE_ID_FACTOR = 100000


class Desk(ReadonlyGuardMixin, ValidationSourcesMixin, ModelSQL, ModelView):
    "Counter workspace"
    __name__ = 'case.desk'
    # the function fields the desk's domains and required states read: the
    # user's sites (the counter's domain) depend on no field of the desk,
    # the ticket's sector on its ticket (the procedure's and the transfer's
    # domains), the fee on its procedure (the payment reference required)
    _validation_sources = {
        'user_sites': set(),
        'ticket_sector': {'ticket'},
        'fee': {'procedure'},
        }
    # not in trytond's audit trail (ir.model.log): the desk is the agent's
    # workspace, rewritten at every citizen; what its buttons do is logged
    # on the tickets and cases they move (transitions, the case's history)
    _log = False
    _serving = {'invisible': ~Eval('ticket')}

    user = fields.Many2One(
        'res.user', "User", required=True, readonly=True, ondelete='CASCADE')
    counter = fields.Many2One(
        'network.counter', "Counter",
        domain=[
            ('active', '=', True),
            ('site', 'in', Eval('user_sites', [])),
            ],
        states={'readonly': Bool(Eval('ticket'))},
        help="The counter you sit at: its sector's tickets are yours to "
        "call.")
    site = fields.Many2One('network.site', "Site", readonly=True)
    user_sites = fields.Function(
        fields.Many2Many(
            'network.site', None, None, "User Sites", readonly=True),
        'get_user_sites')
    ticket = fields.Many2One('case.ticket', "Ticket", readonly=True)
    ticket_sector = fields.Function(
        fields.Many2One('network.sector', "Sector", states=_serving),
        'get_ticket_field')
    ticket_arrived_at = fields.Function(
        fields.DateTime("Arrived at", states=_serving),
        'get_ticket_field')
    ticket_waiting_time = fields.Function(
        fields.Integer("Waited (min)", states=_serving),
        'get_ticket_field')
    ticket_recalls = fields.Function(
        fields.Integer("Calls Again", states=_serving),
        'get_ticket_field')
    citizen = fields.Many2One(
        'party.party', "Citizen", states=_serving,
        domain=[('partner_kind', '=', None)],
        help="The citizen in front of you, if known: the case opened "
        "from the ticket is theirs.")
    procedure = fields.Many2One(
        'network.procedure', "Procedure",
        domain=[If(Bool(Eval('ticket_sector')),
                ('sector', '=', Eval('ticket_sector', -1)), ())],
        states={
            'invisible': ~Eval('ticket') | Bool(Eval('case')),
            },
        help="Proposed from the ticket's sector: the procedure most asked "
        "for at this site.")
    documents = fields.One2Many(
        'case.desk.document', 'desk', "Documents Brought",
        states={
            'invisible': ~Eval('ticket') | Bool(Eval('case')),
            },
        help="The checklist of the procedure: tick what the citizen "
        "brought; the case opened is submitted when nothing mandatory is "
        "missing.")
    fee = fields.Function(
        fields.Numeric(
            "Fees (XOF)", digits=XOF_DIGITS,
            states={
                'invisible': ~Eval('ticket') | Bool(Eval('case')),
                }),
        'get_fee')
    payment_method = fields.Selection(
        PAYMENT_METHODS, "Payment Method",
        states={
            'invisible': ~Eval('ticket') | Bool(Eval('case')) | ~Eval('fee'),
            },
        help="How the citizen pays: the fees are collected as soon as the "
        "case is submitted.")
    payment_reference = fields.Char(
        "Payment Reference",
        states={
            'invisible': ((Eval('payment_method') != 'mobile_money')
                | Bool(Eval('case')) | ~Eval('fee')),
            'required': ((Eval('payment_method') == 'mobile_money')
                & ~Eval('case') & Bool(Eval('fee'))),
            },
        help="The transaction id of the mobile-money payment.")
    case = fields.Many2One(
        'case.case', "Case", readonly=True, states=_serving)
    outcome = fields.Selection([
            (None, ""),
            ('information', "Information Given"),
            ('oriented', "Oriented Elsewhere"),
            ('case', "Case Opened"),
            ('delivered', "Document Delivered"),
            ], "Outcome",
        states={
            'invisible': ~Eval('ticket'),
            'readonly': Bool(Eval('case')),
            })
    oriented_to = fields.Many2One(
        'party.party', "Oriented to",
        states={
            'invisible': ~Eval('ticket') | (Eval('outcome') != 'oriented'),
            },
        help="The administration or office the citizen was sent to.")
    transfer_sector = fields.Many2One(
        'network.sector', "Transfer to",
        domain=[('id', '!=', Eval('ticket_sector', -1))],
        states={'invisible': ~Eval('ticket') | Bool(Eval('case'))},
        help="The sector whose queue the ticket joins, first in line.")
    message = fields.Char("Message", readonly=True)
    queue = fields.Function(
        fields.Many2Many(
            'case.ticket.queue', None, None, "Queue", readonly=True),
        'get_queue')

    # The procedure proposed per site, sector and day: counting the cases
    # of the last 90 days for each ticket called weighs on a busy morning,
    # and the count moves little within an hour
    _proposed_cache = Cache(
        'case.desk.propose_procedure', duration=3600, context=False)

    del _serving

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('user_unique', Unique(t, t.user),
                'service_case.msg_desk_user_unique'),
            ]
        serving = ~Eval('ticket')
        cls._buttons.update({
                'call_next': {
                    'invisible': Bool(Eval('ticket')),
                    'readonly': ~Eval('counter'),
                    'depends': ['ticket', 'counter'],
                    },
                'recall': {
                    'invisible': serving,
                    'depends': ['ticket'],
                    },
                'absent': {
                    'invisible': serving | Bool(Eval('case')),
                    'depends': ['ticket', 'case'],
                    },
                'transfer': {
                    'invisible': serving | Bool(Eval('case')),
                    'readonly': ~Eval('transfer_sector'),
                    'depends': ['ticket', 'case', 'transfer_sector'],
                    },
                'open_case': {
                    'invisible': serving | Bool(Eval('case')),
                    'readonly': ~Eval('citizen') | ~Eval('procedure'),
                    'depends': ['ticket', 'case', 'citizen', 'procedure'],
                    },
                'finish': {
                    'invisible': serving,
                    'readonly': ~Eval('outcome'),
                    'depends': ['ticket', 'outcome'],
                    },
                'finish_call_next': {
                    'invisible': serving,
                    'readonly': ~Eval('outcome'),
                    'depends': ['ticket', 'outcome'],
                    },
                })

    @classmethod
    def get_rec_name(cls, desks, name):
        # sao names the tabs opened from the desk after it: the counter's
        # name, else the user's (res.user's rec_name: name, else login),
        # from their columns in one query (reading the user loads its
        # preferences, companies and employees)
        pool = Pool()
        Counter = pool.get('network.counter')
        User = pool.get('res.user')
        desk = cls.__table__()
        counter = Counter.__table__()
        user = User.__table__()
        from_ = (desk
            .join(counter, 'LEFT', condition=desk.counter == counter.id)
            .join(user, condition=desk.user == user.id))
        return {desk_id: counter_name or user_name or login
            for desk_id, counter_name, user_name, login in rows_by_ids(
                from_, desk.id, [counter.name, user.name, user.login],
                [d.id for d in desks])}

    @classmethod
    def get_fee(cls, desks, name):
        "The total fee of each desk's procedure, in one query"
        pool = Pool()
        Fee = pool.get('network.procedure.fee')
        fee = Fee.__table__()
        cursor = Transaction().connection.cursor()
        procedures = {d.procedure.id for d in desks if d.procedure}
        totals = {}
        for sub_ids in grouped_slice(list(procedures),
                backend.MAX_QUERY_PARAMS):
            cursor.execute(*fee.select(fee.procedure, Sum(fee.amount),
                    where=fields.SQL_OPERATORS['in'](
                        fee.procedure, list(sub_ids)),
                    group_by=[fee.procedure]))
            totals.update(cursor)
        unit = Decimal(10) ** -XOF_DIGITS[1]
        return {d.id: Decimal(str(totals.get(d.procedure.id) or 0)
                ).quantize(unit) if d.procedure else None
            for d in desks}

    @fields.depends('procedure', 'documents', 'payment_method',
        'payment_reference')
    def on_change_procedure(self):
        # the checklist and the fee of the procedure in one call of the
        # client
        self.documents = self._checklist(self.procedure)
        self.fee = self.procedure.total_fee if self.procedure else None
        if not self.fee:
            # nothing to pay for this procedure
            self.payment_method = None
            self.payment_reference = None

    @classmethod
    def _store(cls, desks):
        "Save desks whose ticket or case changed, with their checklists"
        cls.save(desks)
        cls._refill_checklists(desks)

    @classmethod
    def _refill_checklists(cls, desks):
        """Give each desk its checklist afresh: the documents of its
        procedure while it serves a ticket whose case is not opened yet,
        none otherwise. One DELETE and one INSERT ... SELECT for all of
        them, run after the buttons save the desks (the lines are what the
        ORM would write: nothing computed, no default but provided)"""
        pool = Pool()
        Line = pool.get('case.desk.document')
        Required = pool.get('network.procedure.document')
        line = Line.__table__()
        required = Required.__table__()
        desk = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        in_ = fields.SQL_OPERATORS['in']
        for sub_ids in grouped_slice([d.id for d in desks],
                backend.MAX_QUERY_PARAMS):
            sub_ids = list(sub_ids)
            cursor.execute(*line.delete(where=in_(line.desk, sub_ids)))
            cursor.execute(*line.insert(
                    [line.desk, line.requirement, line.provided,
                        line.create_uid, line.create_date],
                    desk.join(required,
                        condition=required.procedure == desk.procedure
                        ).select(
                        desk.id, required.id, Literal(False),
                        Literal(transaction.user), CurrentTimestamp(),
                        where=in_(desk.id, sub_ids)
                        & (desk.ticket != Null) & (desk.case == Null),
                        order_by=[desk.id, NullsFirst(required.sequence),
                            required.id])))
        # as the ORM's writes: the records cached in the transaction are
        # read again
        transaction.counter += 1

    @staticmethod
    def _checklist(procedure):
        "The lines of the desk's checklist for procedure, none ticked"
        DeskDocument = Pool().get('case.desk.document')
        if not procedure:
            return []
        return [DeskDocument(requirement=r, name=r.name,
                mandatory=bool(r.mandatory), provided=False)
            for r in procedure.documents]

    @classmethod
    def get_user_sites(cls, desks, name):
        "The sites whose counters the user may sit at"
        pool = Pool()
        Site = pool.get('network.site')
        sites = user_sites()
        if sites is None:
            sites = [s.id for s in Site.search([])]
        return {d.id: sorted(sites) for d in desks}

    @classmethod
    def get_ticket_field(cls, desks, names):
        "The ticket's sector, arrival, wait and calls, in one query"
        pool = Pool()
        Ticket = pool.get('case.ticket')
        ticket = Ticket.__table__()
        rows = {ticket_id: values for ticket_id, *values in rows_by_ids(
                ticket, ticket.id, [ticket.sector, ticket.arrived_at,
                    ticket.called_at, ticket.recalls],
                {d.ticket.id for d in desks if d.ticket})}
        result = {n: {} for n in names}
        for desk in desks:
            sector = arrived_at = called_at = recalls = None
            if desk.ticket and desk.ticket.id in rows:
                sector, arrived_at, called_at, recalls = rows[desk.ticket.id]
            values = {
                'ticket_sector': sector,
                'ticket_arrived_at': arrived_at,
                'ticket_waiting_time': (minutes_between(arrived_at, called_at)
                    if desk.ticket else None),
                'ticket_recalls': (recalls or 0) if desk.ticket else None,
                }
            for name in names:
                result[name][desk.id] = values[name]
        return result

    @classmethod
    def get_queue(cls, desks, name):
        """The queues of the desk's site: their ids, from the desk's site
        column (the desk is not loaded whole) and the queues' query (their
        rows are read by the form's read, not by this search)"""
        pool = Pool()
        Queue = pool.get('case.ticket.queue')
        desk = cls.__table__()
        cursor = Transaction().connection.cursor()
        sites = dict(rows_by_ids(
                desk, desk.id, [desk.site], [d.id for d in desks]))
        result = {}
        for record in desks:
            result[record.id] = []
            if sites.get(record.id):
                cursor.execute(*Queue.search(
                        [('site', '=', sites[record.id])], query=True))
                result[record.id] = [queue_id for queue_id, in cursor]
        return result

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Counter = pool.get('network.counter')
        values = super().preprocess_values(mode, values)
        if values.get('counter'):
            values['site'] = Counter(values['counter']).site.id
        return values

    @classmethod
    def check_modification(cls, mode, desks, values=None, external=False):
        super().check_modification(
            mode, desks, values=values, external=external)
        if mode == 'write' and external and values.get('counter'):
            pool = Pool()
            Counter = pool.get('network.counter')
            counter = Counter(values['counter'])
            check_user_sites([counter.site.id], lambda: counter.rec_name)

    @classmethod
    def mine(cls):
        """Return the current user's desk, created at the counter they sat
        at last if they have none"""
        pool = Pool()
        Ticket = pool.get('case.ticket')
        user = Transaction().user
        desks = cls.search([('user', '=', user)], limit=1)
        if desks:
            desk, = desks
            return desk
        counter = None
        # the counter this user called at last, if still theirs
        employee = current_employee()
        if employee:
            with without_check_access():
                tickets = Ticket.search([
                        ('agent', '=', employee.id),
                        ('counter', '!=', None),
                        ], order=[('called_at', 'DESC')], limit=1)
            if tickets:
                counter = tickets[0].counter
        with without_check_access():
            desk = cls(user=user)
            if counter and counter.active:
                desk.counter = counter
                desk.site = counter.site
            desk.save()
        return desk

    def _check_mine(self):
        if self.user.id != Transaction().user and Transaction().user:
            raise TicketError(gettext(
                    'service_case.msg_desk_not_yours',
                    desk=self.user.rec_name))
        if self.counter:
            check_user_sites(
                [self.counter.site.id], lambda: self.counter.rec_name)

    def _reset(self, message):
        self.ticket = None
        self.citizen = None
        self.procedure = None
        self.case = None
        self.outcome = None
        self.oriented_to = None
        self.transfer_sector = None
        self.payment_method = None
        self.payment_reference = None
        self.message = message

    def _propose_procedure(self):
        "The procedure of the ticket's sector most asked for at the site"
        pool = Pool()
        Procedure = pool.get('network.procedure')
        today = pool.get('ir.date').today()
        key = (self.ticket.site.id, self.ticket.sector.id, str(today))
        procedure_id = self._proposed_cache.get(key, -1)
        if procedure_id == -1:
            procedure_id = self._most_asked_procedure(
                self.ticket.site, self.ticket.sector, today)
            self._proposed_cache.set(key, procedure_id)
        if procedure_id is not None:
            return Procedure(procedure_id)

    @classmethod
    def _most_asked_procedure(cls, site, sector, today):
        """The id of the active procedure of sector with the most cases
        submitted at site in the last 90 days, else its first by code"""
        pool = Pool()
        Case = pool.get('case.case')
        Procedure = pool.get('network.procedure')
        case = Case.__table__()
        procedure = Procedure.__table__()
        cursor = Transaction().connection.cursor()
        since = today - dt.timedelta(days=90)
        cursor.execute(*case.join(procedure,
                condition=case.procedure == procedure.id
                ).select(case.procedure,
                where=(case.site == site.id)
                & (procedure.sector == sector.id)
                & (procedure.active == Literal(True))
                & (case.submission_date >= since),
                group_by=[case.procedure],
                order_by=[Count(case.id).desc, case.procedure],
                limit=1))
        row = cursor.fetchone()
        if row:
            return row[0]
        procedures = Procedure.search(
            [('sector', '=', sector.id)], order=[('code', 'ASC')], limit=1)
        return procedures[0].id if procedures else None

    def _take(self, ticket, message):
        self._reset(message)
        self.ticket = ticket
        self.citizen = ticket.party
        self.procedure = self._propose_procedure()
        self.outcome = 'information'

    @classmethod
    @ModelView.button
    def call_next(cls, desks):
        for desk in desks:
            desk._check_mine()
            desk._call_next()
        cls._store(desks)

    def _call_next(self):
        "Take the next ticket of the counter's sector, or say none waits"
        Ticket = Pool().get('case.ticket')
        if self.ticket:
            raise TicketError(gettext(
                    'service_case.msg_desk_finish_first',
                    ticket=self.ticket.rec_name))
        if not self.counter:
            raise TicketError(gettext('service_case.msg_desk_no_counter'))
        ticket = Ticket.call_next(self.counter)
        if ticket:
            self._take(ticket, gettext(
                    'service_case.msg_desk_called',
                    ticket=ticket.rec_name,
                    counter=self.counter.name,
                    minutes=ticket.waiting_time or 0))
        else:
            self._reset(gettext(
                    'service_case.msg_desk_queue_empty',
                    sector=self.counter.sector.rec_name,
                    time=dt.datetime.now().strftime('%H:%M')))

    @classmethod
    @ModelView.button
    def recall(cls, desks):
        pool = Pool()
        Ticket = pool.get('case.ticket')
        for desk in desks:
            desk._check_mine()
            Ticket.recall([desk.ticket])
            ticket = Ticket(desk.ticket.id)
            desk.message = gettext(
                'service_case.msg_desk_recalled',
                ticket=ticket.rec_name, counter=desk.counter.name,
                calls=ticket.recalls + 1)
        cls.save(desks)

    @classmethod
    @ModelView.button
    def absent(cls, desks):
        pool = Pool()
        Ticket = pool.get('case.ticket')
        for desk in desks:
            desk._check_mine()
            ticket = desk.ticket
            Ticket.absent([ticket])
            desk._reset(gettext(
                    'service_case.msg_desk_absent', ticket=ticket.rec_name))
        cls._store(desks)

    @classmethod
    @ModelView.button
    def transfer(cls, desks):
        pool = Pool()
        Ticket = pool.get('case.ticket')
        for desk in desks:
            desk._check_mine()
            ticket, sector = desk.ticket, desk.transfer_sector
            if not sector:
                raise TicketError(gettext(
                        'service_case.msg_desk_transfer_sector'))
            if desk.citizen and not ticket.party:
                Ticket.write([ticket], {'party': desk.citizen.id})
            Ticket.transfer([ticket], sector)
            desk._reset(gettext(
                    'service_case.msg_desk_transferred',
                    ticket=ticket.rec_name, sector=sector.rec_name))
        cls._store(desks)

    @classmethod
    @ModelView.button
    def open_case(cls, desks):
        pool = Pool()
        Case = pool.get('case.case')
        Ticket = pool.get('case.ticket')
        cases = []
        for desk in desks:
            desk._check_mine()
            if not desk.citizen or not desk.procedure:
                raise TicketError(gettext(
                        'service_case.msg_desk_case_needs',
                        ticket=desk.ticket.rec_name))
            # the payment chosen at the desk is the case's, collected below
            # once the case is submitted; a procedure without fee has none
            method = desk.payment_method if desk.fee else None
            if method == 'mobile_money' and not desk.payment_reference:
                raise TicketError(gettext(
                        'service_case.msg_desk_payment_reference',
                        ticket=desk.ticket.rec_name))
            case = Case(
                site=desk.ticket.site, citizen=desk.citizen,
                procedure=desk.procedure, channel='counter',
                payment_method=method,
                payment_reference=(desk.payment_reference
                    if method == 'mobile_money' else None))
            case.on_change_citizen()
            case.save()
            Ticket.write([desk.ticket], {
                    'party': desk.citizen.id,
                    'outcome': 'case',
                    'case': case.id,
                    })
            case, message = desk._serve_case(case)
            desk.case = case
            desk.outcome = 'case'
            desk.message = message
            cases.append(case)
        cls._store(desks)
        # a case still missing documents, or whose fees are still to
        # collect, goes on in its own tab
        unfinished = [c for c in cases
            if c.state == 'draft' or (c.total_fee and not c.paid_at)]
        if len(cases) == 1 and unfinished:
            return cls._case_action(unfinished[0])

    def _serve_case(self, case):
        """Tick on case the documents brought, submit it when no mandatory
        document is missing and collect its fees when the desk says how
        they are paid; return the case read again and the desk's
        message"""
        pool = Pool()
        Case = pool.get('case.case')
        Document = pool.get('case.document')
        ticket = self.ticket.rec_name
        # the case's checklist is a copy of the procedure's: a line matches
        # a requirement by its sequence, name and flag, as many times as
        # the requirement was ticked
        brought = collections.Counter(
            (line.requirement.sequence, line.requirement.name,
                bool(line.requirement.mandatory))
            for line in self.documents
            if line.provided and line.requirement
            and line.requirement.procedure == self.procedure)
        ticked = sum(brought.values())
        if ticked:
            provided = []
            for document in case.documents:
                key = (document.sequence, document.name,
                    bool(document.mandatory))
                if brought[key] > 0:
                    brought[key] -= 1
                    provided.append(document)
            Document.write(provided, {'provided': True})
            case = Case(case.id)
        missing = [d.name for d in case.documents
            if d.mandatory and not d.provided]
        if missing:
            if not ticked:
                return case, gettext('service_case.msg_desk_case_opened',
                    case=case.rec_name, ticket=ticket)
            return case, gettext('service_case.msg_desk_case_missing',
                case=case.rec_name, ticket=ticket,
                documents=', '.join(missing))
        Case.submit([case])
        amount = case.total_fee
        if not amount:
            return case, gettext('service_case.msg_desk_case_submitted',
                case=case.rec_name, ticket=ticket)
        if not case.payment_method:
            return case, gettext('service_case.msg_desk_case_to_collect',
                case=case.rec_name, ticket=ticket, amount=format_xof(amount))
        Case.collect([case])
        return case, gettext('service_case.msg_desk_case_paid',
            case=case.rec_name, ticket=ticket, amount=format_xof(amount),
            method=case.payment_method_string)

    @classmethod
    def _case_action(cls, case):
        "The action opening case in its own tab"
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        action = ActWindow.get('service_case.act_case_from_desk')
        action['res_id'] = [case.id]
        action['name'] = case.rec_name
        return action

    @classmethod
    @ModelView.button
    def finish(cls, desks):
        for desk in desks:
            desk._check_mine()
            desk._finish()
        cls._store(desks)

    @classmethod
    @ModelView.button
    def finish_call_next(cls, desks):
        "Finish the ticket served and call the next one, in one click"
        for desk in desks:
            desk._check_mine()
            finished = desk._finish()
            desk._call_next()
            desk.message = f'{finished} {desk.message}'
        cls._store(desks)

    def _finish(self):
        "Close the ticket served with its outcome; return the message"
        Ticket = Pool().get('case.ticket')
        ticket = self.ticket
        if not ticket:
            raise TicketError(gettext('service_case.msg_desk_no_ticket'))
        values = {'outcome': self.outcome}
        if self.citizen:
            values['party'] = self.citizen.id
        if self.outcome == 'oriented':
            values['oriented_to'] = getattr(self.oriented_to, 'id', None)
        if self.outcome == 'case':
            values['case'] = getattr(self.case, 'id', None)

        def stored(name):
            value = getattr(ticket, name)
            return value.id if hasattr(value, 'id') else value
        # a case opened from the desk wrote them on the ticket already
        values = {name: value for name, value in values.items()
            if stored(name) != value}
        if values:
            Ticket.write([ticket], values)
        Ticket.done([ticket])
        self._reset(gettext(
                'service_case.msg_desk_finished',
                ticket=ticket.rec_name,
                minutes=minutes_between(
                    ticket.called_at, dt.datetime.now()) or 0))
        return self.message


class DeskDocument(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Document brought to the counter"
    __name__ = 'case.desk.document'
    _log = False  # as the desk: the case's checklist is the record kept
    desk = fields.Many2One(
        'case.desk', "Counter Workspace", required=True, ondelete='CASCADE')
    requirement = fields.Many2One(
        'network.procedure.document', "Required Document", required=True,
        ondelete='CASCADE')
    name = fields.Function(
        fields.Char("Document"), 'get_requirement',
        searcher='search_requirement')
    mandatory = fields.Function(
        fields.Boolean("Mandatory"), 'get_requirement',
        searcher='search_requirement')
    provided = fields.Boolean(
        "Brought", help="Tick when the citizen hands the document over.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'ASC')]

    @classmethod
    def default_provided(cls):
        return False

    @classmethod
    def get_requirement(cls, lines, names):
        "The name and mandatory flag of the lines' requirements, one query"
        Required = Pool().get('network.procedure.document')
        line = cls.__table__()
        required = Required.__table__()
        result = {'name': {}, 'mandatory': {}}
        for line_id, name, mandatory in rows_by_ids(
                line.join(required,
                    condition=line.requirement == required.id),
                line.id, [required.name, required.mandatory],
                [record.id for record in lines]):
            result['name'][line_id] = name
            result['mandatory'][line_id] = bool(mandatory)
        return {n: result[n] for n in names}

    @classmethod
    def search_requirement(cls, name, clause):
        return [(f'requirement.{name}', *clause[1:])]


class DeskOpen(Wizard):
    "Open my counter workspace"
    __name__ = 'case.desk.open'
    start = StateAction('service_case.act_desk_form')

    def do_start(self, action):
        pool = Pool()
        Desk = pool.get('case.desk')
        return action, {'res_id': [Desk.mine().id]}


class TicketQueue(ModelSQL, ModelView):
    "Queue of a sector today"
    __name__ = 'case.ticket.queue'
    site = fields.Many2One('network.site', "Site", readonly=True)
    sector = fields.Many2One('network.sector', "Sector", readonly=True)
    waiting = fields.Integer("Waiting", readonly=True)
    serving = fields.Integer("Being Served", readonly=True)
    served = fields.Integer("Served Today", readonly=True)
    first_arrival = fields.DateTime("First Waiting Since", readonly=True)
    longest_wait = fields.Function(
        fields.Integer("Longest Wait (min)"), 'get_longest_wait')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('site', 'ASC'), ('sector', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Ticket = pool.get('case.ticket')
        ticket = Ticket.__table__()

        def count(state):
            return Count(SQLCase((ticket.state == state, ticket.id)))
        return ticket.select(
            (ticket.site * QUEUE_ID_FACTOR + ticket.sector).as_('id'),
            ticket.site.as_('site'),
            ticket.sector.as_('sector'),
            count('waiting').as_('waiting'),
            count('called').as_('serving'),
            count('done').as_('served'),
            Min(SQLCase((ticket.state == 'waiting', ticket.arrived_at),
                    else_=Null)).as_('first_arrival'),
            where=ticket.date == Pool().get('ir.date').today(),
            group_by=[ticket.site, ticket.sector])

    def get_longest_wait(self, name):
        if self.first_arrival:
            return minutes_between(self.first_arrival, dt.datetime.now())

