"""Queue tickets: a visitor takes a ticket for a sector, a counter of that
sector calls the oldest waiting one."""
import datetime as dt

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If

from service_network.empty_write import SkipEmptyWriteMixin
from service_network.ids_search import IdsSearchMixin
from service_network.protection import ReadonlyGuardMixin, check_user_sites
from service_network.rec_names import column_names, rows_by_ids

from .exceptions import TicketError
from .workflow import current_employee


def minutes_between(start, end):
    if not start or not end:
        return None
    return int((end - start).total_seconds() // 60)


class Ticket(
        SkipEmptyWriteMixin, ReadonlyGuardMixin, IdsSearchMixin, Workflow,
        ModelSQL, ModelView):
    "Queue ticket"
    __name__ = 'case.ticket'
    _waiting = {'readonly': Eval('state') != 'waiting'}

    site = fields.Many2One(
        'network.site', "Site", required=True, states=_waiting,
        domain=[
            If(Eval('state') == 'waiting', ('state', '=', 'open'), ()),
            ])
    sector = fields.Many2One(
        'network.sector', "Sector", required=True, states=_waiting)
    party = fields.Many2One(
        'party.party', "Citizen", ondelete='RESTRICT',
        states={'readonly': Eval('state').in_(['done', 'absent'])},
        help="The citizen who took the ticket, when known.")
    date = fields.Date("Date", required=True, readonly=True)
    number = fields.Char("Number", readonly=True)
    arrived_at = fields.DateTime("Arrived at", required=True, readonly=True)
    called_at = fields.DateTime("Called at", readonly=True)
    counter = fields.Many2One(
        'network.counter', "Counter", readonly=True)
    agent = fields.Many2One('company.employee', "Agent", readonly=True)
    recalls = fields.Integer("Calls Again", readonly=True)
    done_at = fields.DateTime("Done at", readonly=True)
    outcome = fields.Selection([
            (None, ""),
            ('information', "Information Given"),
            ('oriented', "Oriented Elsewhere"),
            ('case', "Case Opened"),
            ('delivered', "Document Delivered"),
            ], "Outcome",
        states={
            'readonly': Eval('state') != 'called',
            'required': Eval('state') == 'done',
            })
    oriented_to = fields.Many2One(
        'party.party', "Oriented to",
        states={
            'readonly': Eval('state') != 'called',
            'invisible': Eval('outcome') != 'oriented',
            'required': (Eval('state') == 'done')
            & (Eval('outcome') == 'oriented'),
            },
        help="The administration or office the visitor was sent to.")
    case = fields.Many2One(
        'case.case', "Case",
        domain=[('site', '=', Eval('site', -1))],
        states={
            'readonly': Eval('state') != 'called',
            'invisible': Eval('outcome') != 'case',
            'required': (Eval('state') == 'done')
            & (Eval('outcome') == 'case'),
            })
    waiting_time = fields.Function(
        fields.Integer("Waiting Time (min)"), 'get_times')
    service_time = fields.Function(
        fields.Integer("Service Time (min)"), 'get_times')
    state = fields.Selection([
            ('waiting', "Waiting"),
            ('called', "Called"),
            ('done', "Done"),
            ('absent', "Absent"),
            ], "State", readonly=True, required=True, sort=False)

    del _waiting

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('number_unique', Unique(t, t.site, t.date, t.number),
                'service_case.msg_ticket_number_unique'),
            ]
        cls._sql_indexes.add(Index(t,
                (t.site, Index.Range()),
                (t.sector, Index.Range()),
                (t.state, Index.Equality()),
                (t.arrived_at, Index.Range())))
        # The indicators per site and day (kpi.SiteDay) read the tickets
        # of a period: an index-only scan of the days wanted, with the
        # times of the average wait
        cls._sql_indexes.add(Index(t,
                (t.date, Index.Range()),
                (t.site, Index.Equality()),
                include=[t.arrived_at, t.called_at]))
        # Tryton indexes a Many2One only when the target has the One2Many
        # back: without this, deleting a case scans every ticket twice
        # (trytond's SET NULL, then PostgreSQL's foreign key)
        cls._sql_indexes.add(
            Index(t, (t.case, Index.Range()), where=t.case != Null))
        cls._order[0:0] = [('date', 'DESC'), ('arrived_at', 'DESC')]
        cls._transitions |= {
            ('waiting', 'called'),
            ('called', 'done'),
            # the citizen did not come when called again
            ('called', 'absent'),
            # transferred to another sector's queue
            ('called', 'waiting'),
            }
        cls._buttons.update({
                'done': {
                    'invisible': Eval('state') != 'called',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'waiting'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_arrived_at(cls):
        return dt.datetime.now()

    @classmethod
    def default_site(cls):
        pool = Pool()
        User = pool.get('res.user')
        sites = User.get_sites()
        if len(sites) == 1:
            return sites[0]

    @classmethod
    def get_rec_name(cls, tickets, name):
        # the number alone read (the desk names its ticket at every reload)
        return column_names(cls, tickets, ['number', 'id'],
            lambda number, id_: number or f'({id_})')

    @classmethod
    def get_times(cls, tickets, names):
        """The minutes waited and served, from the three times' columns in
        one query: the tickets' attributes loaded every stored field of a
        list's 83 tickets, record by record (27 of its 28 ms)"""
        table = cls.__table__()
        result = {name: {} for name in names}
        for ticket_id, arrived_at, called_at, done_at in rows_by_ids(
                table, table.id,
                [table.arrived_at, table.called_at, table.done_at],
                [t.id for t in tickets]):
            if 'waiting_time' in result:
                result['waiting_time'][ticket_id] = minutes_between(
                    arrived_at, called_at)
            if 'service_time' in result:
                result['service_time'][ticket_id] = minutes_between(
                    called_at, done_at)
        return result

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Numbering = pool.get('case.numbering')
        Site = pool.get('network.site')
        Sector = pool.get('network.sector')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('site'):
            # the defaults are not set yet: a ticket taken without its site
            # is taken at the user's one site, and numbered
            site = cls.default_site()
            if site is not None:
                values['site'] = site
        if (mode == 'create' and not values.get('number')
                and values.get('site') and values.get('sector')):
            site = Site(values['site'])
            sector = Sector(values['sector'])
            date = values.get('date') or cls.default_date()
            values['date'] = date
            values['arrived_at'] = (
                values.get('arrived_at') or cls.default_arrived_at())
            number = Numbering.next_number(
                site, f'ticket-{date.isoformat()}-{sector.code}')
            values['number'] = f'{sector.code}-{number:03d}'
        return values

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'date', 'arrived_at', 'called_at', 'counter',
                'agent', 'done_at', 'outcome', 'oriented_to', 'case',
                'recalls']:
            default.setdefault(name, None)
        return super().copy(tickets, default=default)

    @classmethod
    def _next_domain(cls, counter):
        "The tickets counter may call next"
        return [
            ('site', '=', counter.site.id),
            ('sector', '=', counter.sector.id),
            ('state', '=', 'waiting'),
            ('date', '=', Pool().get('ir.date').today()),
            ]

    @classmethod
    def _next_order(cls):
        "The order tickets are called in: by arrival"
        return [('arrived_at', 'ASC'), ('id', 'ASC')]

    @classmethod
    def call_next(cls, counter):
        """Call at counter the first ticket waiting for its sector at its
        site (the oldest, appointments first); return the ticket, or None
        when nobody waits"""
        tickets = cls.search(cls._next_domain(counter),
            order=cls._next_order(), limit=1)
        if not tickets:
            return None
        ticket, = tickets
        cls.call([ticket], counter)
        return ticket

    @classmethod
    @Workflow.transition('called')
    def call(cls, tickets, counter):
        check_user_sites([counter.site.id], lambda: counter.rec_name)
        check_user_sites({t.site.id for t in tickets},
            lambda: tickets[0].rec_name)
        cls._write_transition(tickets, 'called', {
                'called_at': dt.datetime.now(),
                'counter': counter.id,
                'agent': getattr(current_employee(), 'id', None),
                })

    @classmethod
    def _write_transition(cls, tickets, state, values):
        """Write values and state on tickets in one write, logged as the
        transition Workflow.transition logs: the transition then finds the
        state written and writes nothing more (its second write validated
        the tickets again: two of the four writes of Finish and Call
        Next)"""
        moving = [t for t in tickets if t.state != state]
        cls.write(tickets, {**values, 'state': state})
        if moving:
            cls.log(moving, 'transition', f'state:{state}')

    @classmethod
    def recall(cls, tickets):
        "Call tickets again at their counter"
        check_user_sites({t.site.id for t in tickets},
            lambda: tickets[0].rec_name)
        for ticket in tickets:
            if ticket.state != 'called':
                raise TicketError(gettext(
                        'service_case.msg_ticket_not_called',
                        ticket=ticket.rec_name))
            cls.write([ticket], {'recalls': (ticket.recalls or 0) + 1})

    @classmethod
    @Workflow.transition('absent')
    def absent(cls, tickets):
        "The citizens called did not come to the counter"
        check_user_sites({t.site.id for t in tickets},
            lambda: tickets[0].rec_name)
        cls._write_transition(
            tickets, 'absent', {'done_at': dt.datetime.now()})

    @classmethod
    def transfer(cls, tickets, sector):
        """Send tickets to the queue of sector at their site, first in line
        as they keep their arrival time"""
        check_user_sites({t.site.id for t in tickets},
            lambda: tickets[0].rec_name)
        for ticket in tickets:
            if ticket.state != 'called':
                raise TicketError(gettext(
                        'service_case.msg_ticket_not_called',
                        ticket=ticket.rec_name))
        cls.write(tickets, {
                'state': 'waiting',
                'sector': sector.id,
                'called_at': None,
                'counter': None,
                'agent': None,
                'outcome': None,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, tickets):
        check_user_sites({t.site.id for t in tickets},
            lambda: tickets[0].rec_name)
        for ticket in tickets:
            if not ticket.outcome:
                raise TicketError(gettext(
                        'service_case.msg_ticket_outcome',
                        ticket=ticket.rec_name))
        cls._write_transition(
            tickets, 'done', {'done_at': dt.datetime.now()})


class Counter(metaclass=PoolMeta):
    __name__ = 'network.counter'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'call_next': {
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                })

    @classmethod
    @ModelView.button
    def call_next(cls, counters):
        pool = Pool()
        Ticket = pool.get('case.ticket')
        for counter in counters:
            check_user_sites([counter.site.id], counter.rec_name)
            Ticket.call_next(counter)
