"""The remote queue: a citizen joins a site's queue from a phone (the QR
code at the entrance, or a link) with the number the SMS go to; the ticket
waits in its sector's queue as any other. An SMS says when only N people
are ahead (N per sector); the citizen may ask once for more time (not
called for MORE_TIME minutes, the place kept); a remote ticket called but
not come is put back in the queue once, then dropped.

The phone of a remote ticket is kept only while the ticket is in the queue:
it is cleared once the ticket is done or dropped."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from service_network.phone import format_sn_phone, parse_sn_phone
from service_network.protection import check_user_sites

from .exceptions import WaitingRoomError
from .waiting_room import forget_queue, new_token, public_base

MORE_TIME = 15  # minutes
DEFAULT_ALERT_AHEAD = 3


class Site(metaclass=PoolMeta):
    __name__ = 'network.site'
    remote_queue = fields.Boolean("Remote Queue",
        help="Citizens may join the queue of the site from their phones "
        "(/<database>/file/<site code>).")

    @classmethod
    def default_remote_queue(cls):
        return False


class Sector(metaclass=PoolMeta):
    __name__ = 'network.sector'
    remote_alert_ahead = fields.Integer("SMS when Ahead",
        domain=[('remote_alert_ahead', '>=', 0)],
        help="Citizens who joined the queue from a phone get an SMS when "
        "this number of people or fewer are ahead of them.")

    @classmethod
    def default_remote_alert_ahead(cls):
        return DEFAULT_ALERT_AHEAD


class Ticket(metaclass=PoolMeta):
    __name__ = 'case.ticket'
    remote = fields.Boolean("From a Phone", readonly=True)
    phone = fields.Char("Phone", readonly=True,
        help="The number the SMS of a ticket taken from a phone go to; "
        "cleared once the ticket leaves the queue.")
    alerted = fields.Boolean("Told It Comes", readonly=True)
    more_time_until = fields.DateTime("Not Called Before", readonly=True)
    requeued = fields.Boolean("Put Back Once", readonly=True)

    @classmethod
    def default_remote(cls):
        return False

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        for name in ['remote', 'phone', 'alerted', 'more_time_until',
                'requeued']:
            default.setdefault(name, None)
        return super().copy(tickets, default=default)

    @classmethod
    def join_remotely(cls, site, sector, phone):
        """Return a new ticket of sector at site for the citizen at phone,
        with the secret of its page, and queue its SMS"""
        pool = Pool()
        Notification = pool.get('case.notification')
        Date = pool.get('ir.date')
        number = parse_sn_phone(phone or '')
        if number is None:
            raise WaitingRoomError(gettext(
                    'service_case.msg_remote_phone', phone=phone or ''))
        phone = format_sn_phone(phone)
        if not site.remote_queue:
            raise WaitingRoomError(gettext(
                    'service_case.msg_remote_closed', site=site.rec_name))
        if sector not in remote_sectors(site):
            raise WaitingRoomError(gettext(
                    'service_case.msg_kiosk_sector',
                    sector=sector.rec_name))
        if cls.search([
                    ('site', '=', site.id),
                    ('phone', '=', phone),
                    ('date', '=', Date.today()),
                    ('state', 'in', ['waiting', 'called']),
                    ], limit=1):
            raise WaitingRoomError(gettext(
                    'service_case.msg_remote_already', phone=phone))
        ticket, = cls.create([{
                    'site': site.id,
                    'sector': sector.id,
                    'follow_token': new_token(),
                    'remote': True,
                    'phone': phone,
                    }])
        forget_queue(site.id)
        Notification.notify_ticket(ticket, 'queue_joined',
            ahead=ticket.position() or 0, link=follow_link(ticket))
        return ticket

    def ask_more_time(self):
        """Not called for MORE_TIME minutes, the place kept: once, while
        waiting"""
        if self.state != 'waiting' or self.more_time_until:
            raise WaitingRoomError(gettext(
                    'service_case.msg_remote_more_time_once'))
        self.more_time_until = dt.datetime.now() + dt.timedelta(
            minutes=MORE_TIME)
        self.save()
        forget_queue(self.site.id)

    @classmethod
    def _next_domain(cls, counter):
        return super()._next_domain(counter) + [['OR',
                ('more_time_until', '=', None),
                ('more_time_until', '<=', dt.datetime.now()),
                ]]

    @classmethod
    def call(cls, tickets, counter):
        super().call(tickets, counter)
        cls.alert_ahead(counter.site, counter.sector)

    @classmethod
    def alert_ahead(cls, site, sector):
        """Send its SMS to each remote ticket of the queue with at most its
        sector's number of people ahead, once"""
        pool = Pool()
        Notification = pool.get('case.notification')
        Date = pool.get('ir.date')
        limit = sector.remote_alert_ahead
        if limit is None:
            return
        tickets = cls.search([
                ('site', '=', site.id),
                ('sector', '=', sector.id),
                ('date', '=', Date.today()),
                ('state', '=', 'waiting'),
                ('remote', '=', True),
                ('alerted', '!=', True),
                ])
        alerted = []
        for ticket in tickets:
            ahead = ticket.position()
            if ahead is not None and ahead <= limit:
                Notification.notify_ticket(ticket, 'queue_ahead',
                    ahead=ahead, link=follow_link(ticket))
                alerted.append(ticket)
        if alerted:
            cls.write(alerted, {'alerted': True})

    @classmethod
    def absent(cls, tickets):
        """A remote ticket called but not come goes back in the queue, its
        place kept, once; the second time it is dropped"""
        pool = Pool()
        Notification = pool.get('case.notification')
        check_user_sites({t.site.id for t in tickets},
            lambda: tickets[0].rec_name)
        again = [t for t in tickets
            if t.remote and not t.requeued and t.state == 'called']
        dropped = [t for t in tickets if t not in again]
        if dropped:
            super().absent(dropped)
            cls._forget_phones(dropped)
        if again:
            cls.write(again, {
                    'state': 'waiting',
                    'called_at': None,
                    'counter': None,
                    'agent': None,
                    'requeued': True,
                    })
            for ticket in again:
                Notification.notify_ticket(ticket, 'queue_requeued',
                    link=follow_link(ticket))
            for site in {t.site.id for t in again}:
                forget_queue(site)

    @classmethod
    def done(cls, tickets):
        super().done(tickets)
        cls._forget_phones(tickets)

    @classmethod
    def _forget_phones(cls, tickets):
        "The phone is kept only while the ticket is in the queue"
        remote = [t for t in tickets if t.phone]
        if remote:
            cls.write(remote, {'phone': None})


def remote_sectors(site):
    "The sectors of site's active counters, which a phone may join"
    Counter = Pool().get('network.counter')
    counters = Counter.search([('site', '=', site.id)])
    return sorted({c.sector for c in counters if c.sector},
        key=lambda s: (s.code or '', s.id))


def follow_link(ticket):
    "The address of the ticket's page, for its SMS"
    base = public_base()
    if not base:
        return ''
    return f'{base}/{Transaction().database.name}/ticket/' \
        f'{ticket.follow_token}'

