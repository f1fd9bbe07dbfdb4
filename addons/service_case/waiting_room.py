"""The waiting room of a site: its display screens and ticket kiosks (pages
served without login, each bound to one site by the secret of its
address), the recorded clips the screens play after the French
announcement, and the state of the site's queue they show.

The queue's state is read with a few set-based queries and kept a moment
per process (QUEUE_TTL), so that the screens of 46 sites polling every
second cost the database a query per site and second at most."""
import datetime as dt
import math
import secrets
import threading
import time
from collections import namedtuple

from sql import Literal, Null
from sql.aggregate import Count
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    Index,
    ModelSQL,
    ModelView,
    Unique,
    fields,
)
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import WaitingRoomError

# The seconds a process reuses a site's queue state: a call shows on the
# screens within this plus their polling period (1 s)
QUEUE_TTL = 0.5
# The minutes a visit takes when the sector served nobody recently
DEFAULT_SERVICE_MINUTES = 10
# The service times averaged for the estimate: the last hours of the day
RECENT_HOURS = 2
# The calls a screen shows (the newest in large type)
SHOWN_CALLS = 6
# What a screen's recorded clips say, in the order of a call: the word
# "ticket", the sector's letter, the ticket's digits, the word "counter",
# the counter's digits
CLIP_WORDS = [('ticket', "The Word \"Ticket\""),
    ('counter', "The Word \"Counter\"")]
CLIP_LETTERS = [(c, c) for c in 'ABCDEFGHIJKLMNOPQRSTUVWXYZ']
CLIP_DIGITS = [(d, d) for d in '0123456789']
CLIP_TYPES = {
    'mp3': 'audio/mpeg', 'ogg': 'audio/ogg', 'oga': 'audio/ogg',
    'opus': 'audio/ogg', 'wav': 'audio/wav', 'm4a': 'audio/mp4',
    'webm': 'audio/webm'}
# The largest clip accepted: a word lasts a second
CLIP_MAX_SIZE = 512 * 1024


def new_token():
    "An unguessable secret for a public address (256 bits)"
    return secrets.token_urlsafe(32)


def public_base():
    "The public address of the ERP, without its trailing slash"
    config = Pool().get('case.configuration')(1)
    return (config.public_url or '').rstrip('/')


class Screen(DeactivableMixin, ModelSQL, ModelView):
    "Waiting Room Screen"
    __name__ = 'case.screen'
    name = fields.Char("Name", required=True)
    site = fields.Many2One(
        'network.site', "Site", required=True, ondelete='CASCADE')
    kind = fields.Selection([
            ('display', "Display Screen"),
            ('kiosk', "Ticket Kiosk"),
            ], "Kind", required=True,
        help="A display screen shows the tickets called and announces them "
        "aloud; a kiosk is a touch screen where visitors take a ticket "
        "per sector.")
    sectors = fields.Many2Many(
        'case.screen-network.sector', 'screen', 'sector', "Sectors",
        help="The sectors shown or offered; leave empty for every sector "
        "of the site's open counters.")
    token = fields.Char("Secret", readonly=True, strip=False)
    url = fields.Function(
        fields.Char("Address",
            help="Open this address in the browser of the screen, in full "
            "screen. Anybody who knows it sees the screen: it changes with "
            "« New Address »."),
        'get_url')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('token_unique', Unique(t, t.token),
                'service_case.msg_screen_token_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.token, Index.Equality())))
        cls._order.insert(0, ('site', 'ASC'))
        cls._buttons.update({
                'renew_token': {
                    'icon': 'tryton-refresh',
                    },
                })

    @classmethod
    def default_kind(cls):
        return 'display'

    @classmethod
    def default_site(cls):
        sites = Pool().get('res.user').get_sites()
        if len(sites) == 1:
            return sites[0]

    def get_url(self, name):
        if not self.token:
            return None
        path = 'ecran' if self.kind == 'display' else 'borne'
        database = Transaction().database.name
        return f'{public_base()}/{database}/{path}/{self.token}'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values['token'] = new_token()
        return values

    @classmethod
    def copy(cls, screens, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('token', None)
        return super().copy(screens, default=default)

    @classmethod
    @ModelView.button
    def renew_token(cls, screens):
        "Give the screens a new address; the old one stops working at once"
        for screen in screens:
            cls.write([screen], {'token': new_token()})

    @classmethod
    def from_token(cls, token, kind):
        "The active screen of kind with token, or None"
        screens = cls.search([
                ('token', '=', token),
                ('kind', '=', kind),
                ('site.state', '=', 'open'),
                ], limit=1)
        return screens[0] if screens else None

    def shown_sectors(self):
        """The sectors of the screen: those chosen, else those of the site's
        active counters, in their order"""
        pool = Pool()
        Counter = pool.get('network.counter')
        if self.sectors:
            return [s for s in self.sectors if s.active]
        counters = Counter.search([('site', '=', self.site.id)])
        sectors = {c.sector for c in counters if c.sector.active}
        return sorted(sectors, key=lambda s: (s.sequence or 0, s.id))


class ScreenSector(ModelSQL):
    "Waiting Room Screen - Sector"
    __name__ = 'case.screen-network.sector'
    screen = fields.Many2One(
        'case.screen', "Screen", required=True, ondelete='CASCADE')
    sector = fields.Many2One(
        'network.sector', "Sector", required=True, ondelete='CASCADE')


class CallClip(ModelSQL, ModelView):
    "Recorded Call Clip"
    __name__ = 'case.call_clip'
    site = fields.Many2One(
        'network.site', "Site", required=True, ondelete='CASCADE')
    language = fields.Selection([
            ('wo', "Wolof"),
            ('ff', "Pulaar"),
            ('srr', "Serer"),
            ('dyo', "Jola"),
            ('mnk', "Mandinka"),
            ('snk', "Soninke"),
            ('en', "English"),
            ('ar', "Arabic"),
            ], "Language", required=True)
    word = fields.Selection(
        CLIP_WORDS + CLIP_LETTERS + CLIP_DIGITS, "Says", required=True,
        sort=False,
        help="The word, letter or digit the clip says: a call plays "
        "« ticket », the letters and digits of the ticket, « counter » and "
        "the counter's number.")
    sound = fields.Binary("Sound", filename='filename', required=True)
    filename = fields.Char("File Name")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('word_unique', Unique(t, t.site, t.language, t.word),
                'service_case.msg_call_clip_unique'),
            ]
        cls._order = [('site', 'ASC'), ('language', 'ASC'), ('word', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def default_site(cls):
        sites = Pool().get('res.user').get_sites()
        if len(sites) == 1:
            return sites[0]

    def get_rec_name(self, name):
        return f'{self.language} - {self.word}'

    @property
    def mime_type(self):
        extension = (self.filename or '').rsplit('.', 1)[-1].lower()
        return CLIP_TYPES.get(extension)

    @classmethod
    def validate_fields(cls, clips, field_names):
        super().validate_fields(clips, field_names)
        if field_names and not field_names & {'sound', 'filename'}:
            return
        for clip in clips:
            if clip.mime_type is None:
                raise WaitingRoomError(gettext(
                        'service_case.msg_call_clip_type',
                        filename=clip.filename or '',
                        types=', '.join(sorted(CLIP_TYPES))))
            if len(clip.sound or b'') > CLIP_MAX_SIZE:
                raise WaitingRoomError(gettext(
                        'service_case.msg_call_clip_size',
                        filename=clip.filename or '',
                        size=CLIP_MAX_SIZE // 1024))


class Counter(metaclass=PoolMeta):
    __name__ = 'network.counter'
    number = fields.Integer(
        "Number on Screens",
        domain=[('number', '>', 0)],
        help="The number the display screens show and announce: "
        "« Guichet 2 ». Without it they show the counter's name.")

    @property
    def call_label(self):
        if self.number:
            return gettext('service_case.msg_counter_label',
                number=self.number)
        return self.name


class Ticket(metaclass=PoolMeta):
    __name__ = 'case.ticket'
    follow_token = fields.Char("Follow-up Secret", readonly=True,
        strip=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.follow_token, Index.Equality()),
                where=t.follow_token != Null))

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('follow_token', None)
        return super().copy(tickets, default=default)

    @classmethod
    def take_at_kiosk(cls, screen, sector):
        """Return a new ticket of sector at the screen's site, with the
        secret of its follow-up page"""
        if sector not in screen.shown_sectors():
            raise WaitingRoomError(gettext(
                    'service_case.msg_kiosk_sector',
                    sector=sector.rec_name))
        ticket, = cls.create([{
                    'site': screen.site.id,
                    'sector': sector.id,
                    'follow_token': new_token(),
                    }])
        forget_queue(screen.site.id)
        return ticket

    @classmethod
    def call(cls, tickets, counter):
        super().call(tickets, counter)
        for site in {t.site.id for t in tickets}:
            # this process's screens show the call at their next poll
            forget_queue(site)

    @classmethod
    def recall(cls, tickets):
        super().recall(tickets)
        for site in {t.site.id for t in tickets}:
            forget_queue(site)

    @classmethod
    def from_follow_token(cls, token):
        tickets = cls.search([('follow_token', '=', token)], limit=1)
        return tickets[0] if tickets else None

    def position(self):
        """The people waiting before the ticket in its sector's queue (None
        unless it waits)"""
        if self.state != 'waiting':
            return None
        pool = Pool()
        Ticket = pool.get('case.ticket')
        table = Ticket.__table__()
        cursor = Transaction().connection.cursor()
        # in the order of call_next: appointments first, then by arrival
        priority = Coalesce(table.priority, 0)
        mine = self.priority or 0
        cursor.execute(*table.select(Count(table.id),
                where=(table.site == self.site.id)
                & (table.sector == self.sector.id)
                & (table.date == self.date)
                & (table.state == 'waiting')
                & ((priority > mine)
                    | ((priority == mine)
                        & ((table.arrived_at < self.arrived_at)
                            | ((table.arrived_at == self.arrived_at)
                                & (table.id < self.id)))))))
        count, = cursor.fetchone()
        return count


SectorState = namedtuple(
    'SectorState', ['sector', 'code', 'name', 'waiting', 'service_minutes',
        'counters'])
Call = namedtuple('Call', ['key', 'number', 'sector', 'counter',
        'counter_number', 'called_at'])
QueueState = namedtuple('QueueState', ['sectors', 'calls', 'read_at'])


def estimated_minutes(ahead, service_minutes, counters):
    """The minutes before a visitor with ahead people before them is
    called: each counter of the sector serves one visitor per average
    service time"""
    if ahead is None:
        return None
    return math.ceil(ahead * service_minutes / max(counters, 1))


_queues = {}
_queues_lock = threading.Lock()


def forget_queue(site_id):
    "Read the site's queue again at the next request of this process"
    with _queues_lock:
        _queues.pop((Transaction().database.name, site_id), None)


def queue_state(site_id, max_age=QUEUE_TTL):
    """The QueueState of the site today: per sector with a ticket or a
    counter, the tickets waiting, the average minutes of the recent visits
    and the counters that called lately; the last calls, those at a
    counter now first, newest first"""
    key = (Transaction().database.name, site_id)
    now = time.monotonic()
    with _queues_lock:
        state = _queues.get(key)
    if state is not None and now - state.read_at < max_age:
        return state
    state = _read_queue(site_id, now)
    with _queues_lock:
        _queues[key] = state
    return state


def _read_queue(site_id, now):
    pool = Pool()
    Ticket = pool.get('case.ticket')
    Counter = pool.get('network.counter')
    Sector = pool.get('network.sector')
    Date = pool.get('ir.date')
    ticket = Ticket.__table__()
    counter = Counter.__table__()
    sector = Sector.__table__()
    cursor = Transaction().connection.cursor()
    today = Date.today()
    since = dt.datetime.now() - dt.timedelta(hours=RECENT_HOURS)
    of_today = (ticket.site == site_id) & (ticket.date == today)

    waiting = {}
    cursor.execute(*ticket.select(ticket.sector, Count(ticket.id),
            where=of_today & (ticket.state == 'waiting'),
            group_by=[ticket.sector]))
    waiting.update(cursor)

    # the recent visits: their count and total minutes per sector, and the
    # counters that called in the period
    service = {}
    cursor.execute(*ticket.select(
            ticket.sector, ticket.called_at, ticket.done_at, ticket.counter,
            where=of_today & (ticket.called_at >= since)
            & (ticket.called_at != Null)))
    counters = {}
    for sector_id, called_at, done_at, counter_id in cursor:
        if counter_id:
            counters.setdefault(sector_id, set()).add(counter_id)
        if done_at and called_at:
            if isinstance(done_at, str):
                done_at = dt.datetime.fromisoformat(done_at)
                called_at = dt.datetime.fromisoformat(called_at)
            minutes = (done_at - called_at).total_seconds() / 60
            total, count = service.get(sector_id, (0, 0))
            service[sector_id] = (total + minutes, count + 1)

    cursor.execute(*counter.join(sector,
            condition=counter.sector == sector.id
            ).select(sector.id, sector.code, sector.sequence,
            Count(counter.id),
            where=(counter.site == site_id)
            & (counter.active == Literal(True))
            & (sector.active == Literal(True)),
            group_by=[sector.id, sector.code, sector.sequence]))
    open_counters = {}
    for sector_id, _, _, count in cursor:
        open_counters[sector_id] = count

    cursor.execute(*ticket.join(counter, 'LEFT',
            condition=ticket.counter == counter.id
            ).select(ticket.id, ticket.number, ticket.sector,
            counter.name, counter.number, ticket.called_at,
            Coalesce(ticket.recalls, 0),
            # the tickets at a counter now first, then the last served; a
            # call dated later than now (a wrong clock) is not shown
            where=of_today & (ticket.called_at != Null)
            & (ticket.called_at <= dt.datetime.now()),
            order_by=[
                Case((ticket.state == 'called', 0), else_=1),
                ticket.called_at.desc, ticket.id.desc],
            limit=SHOWN_CALLS))
    called = list(cursor)

    names = {s.id: s for s in Sector.browse(list(
                set(waiting) | set(open_counters) | {c[2] for c in called}))}
    sectors = []
    for sector_id in sorted(set(waiting) | set(open_counters),
            key=lambda i: (names[i].sequence or 0, i)):
        total, count = service.get(sector_id, (0, 0))
        minutes = (total / count) if count else DEFAULT_SERVICE_MINUTES
        sectors.append(SectorState(
                sector_id, names[sector_id].code, names[sector_id].name,
                waiting.get(sector_id, 0), max(minutes, 1),
                len(counters.get(sector_id, ())) or 1))

    calls = []
    for (ticket_id, number, sector_id, counter_name, counter_number,
            called_at, recalls) in called:
        if isinstance(called_at, str):
            called_at = dt.datetime.fromisoformat(called_at)
        if counter_number:
            label = gettext('service_case.msg_counter_label',
                number=counter_number)
        else:
            label = counter_name or ''
        calls.append(Call(
                f'{ticket_id}-{recalls}', number, names[sector_id].name,
                label, counter_number, called_at))
    return QueueState(sectors, calls, now)
