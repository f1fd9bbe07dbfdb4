"""The counter workspace: where an agent serves the queue, all day.

One desk per user: the counter they sit at, the ticket they are serving
and the citizen in front of them, with the buttons of a serving day
(call the next ticket, call again, absent, transfer, open a case, finish).
Each button says what it did in the desk's message, so that a call on an
empty queue is not silent. The queue of the desk's site, per sector, is
shown beside it (case.ticket.queue, also the site manager's home panel).
"""
import datetime as dt

from sql import Literal, Null
from sql.aggregate import Count, Min
from sql.conditionals import Case as SQLCase

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import StateAction, Wizard

from service_network.protection import check_user_sites, user_sites
from service_network.rec_names import rows_by_ids

from .exceptions import TicketError
from .ticket import minutes_between
from .workflow import current_employee

# The id of a queue row derives from its site and sector, so that a row
# keeps its id while the queue moves
QUEUE_ID_FACTOR = 100000


class Desk(ModelSQL, ModelView):
    "Counter workspace"
    __name__ = 'case.desk'
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
        result = {n: {} for n in names}
        for desk in desks:
            ticket = desk.ticket
            for name in names:
                value = None
                if ticket:
                    if name == 'ticket_sector':
                        value = ticket.sector.id
                    elif name == 'ticket_arrived_at':
                        value = ticket.arrived_at
                    elif name == 'ticket_waiting_time':
                        value = ticket.waiting_time
                    elif name == 'ticket_recalls':
                        value = ticket.recalls or 0
                result[name][desk.id] = value
        return result

    @classmethod
    def get_queue(cls, desks, name):
        pool = Pool()
        Queue = pool.get('case.ticket.queue')
        result = {}
        for desk in desks:
            if desk.site:
                result[desk.id] = [q.id for q in Queue.search([
                            ('site', '=', desk.site.id),
                            ])]
            else:
                result[desk.id] = []
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
        pool = Pool()
        Ticket = pool.get('case.ticket')
        for desk in desks:
            desk._check_mine()
            if desk.ticket:
                raise TicketError(gettext(
                        'service_case.msg_desk_finish_first',
                        ticket=desk.ticket.rec_name))
            if not desk.counter:
                raise TicketError(gettext('service_case.msg_desk_no_counter'))
            ticket = Ticket.call_next(desk.counter)
            if ticket:
                desk._take(ticket, gettext(
                        'service_case.msg_desk_called',
                        ticket=ticket.rec_name,
                        counter=desk.counter.name,
                        minutes=ticket.waiting_time or 0))
            else:
                desk._reset(gettext(
                        'service_case.msg_desk_queue_empty',
                        sector=desk.counter.sector.rec_name,
                        time=dt.datetime.now().strftime('%H:%M')))
        cls.save(desks)

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
        cls.save(desks)

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
        cls.save(desks)

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
            case = Case(
                site=desk.ticket.site, citizen=desk.citizen,
                procedure=desk.procedure, channel='counter')
            case.on_change_citizen()
            case.save()
            Ticket.write([desk.ticket], {
                    'party': desk.citizen.id,
                    'outcome': 'case',
                    'case': case.id,
                    })
            desk.case = case
            desk.outcome = 'case'
            desk.message = gettext(
                'service_case.msg_desk_case_opened',
                case=case.rec_name, ticket=desk.ticket.rec_name)
            cases.append(case)
        cls.save(desks)
        if len(cases) == 1:
            return cls._case_action(cases[0])

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
        pool = Pool()
        Ticket = pool.get('case.ticket')
        for desk in desks:
            desk._check_mine()
            ticket = desk.ticket
            values = {'outcome': desk.outcome}
            if desk.citizen:
                values['party'] = desk.citizen.id
            if desk.outcome == 'oriented':
                values['oriented_to'] = getattr(desk.oriented_to, 'id', None)
            if desk.outcome == 'case':
                values['case'] = getattr(desk.case, 'id', None)
            Ticket.write([ticket], values)
            Ticket.done([ticket])
            desk._reset(gettext(
                    'service_case.msg_desk_finished',
                    ticket=ticket.rec_name,
                    minutes=minutes_between(
                        ticket.called_at, dt.datetime.now()) or 0))
        cls.save(desks)


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

