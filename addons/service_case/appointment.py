"""Appointments: a citizen books a slot at a site for a procedure, from the
public booking page (the phone confirmed by a code sent by SMS) or at a
counter through an agent.

The slots of a day follow the site's opening days and hours, its public
holidays and its state (a closed site offers none), on a grid of SLOT_STEP
minutes; an appointment takes its procedure's average service time, and at
any time at most as many appointments run in a sector as the site has
active counters of that sector taking appointments.

The day before, an SMS reminds the citizen. On the day, the citizen checks
in at the kiosk (the phone number or the appointment's code) or at a
counter: the ticket it gets is called before the walk-ins of its sector.
When a site closes, its coming appointments are cancelled and the citizens
told by SMS.

The phone is kept while the appointment is to come: it is cleared once the
appointment is checked in, cancelled or missed (docs/PERSONAL_DATA.md)."""
import datetime as dt
import hashlib
import hmac
import math
import secrets

from sql import Null

from trytond.i18n import gettext
from trytond.model import (
    Index,
    ModelSQL,
    ModelView,
    Unique,
    Workflow,
    fields,
)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from service_network.phone import format_sn_phone, parse_sn_phone
from service_network.protection import ReadonlyGuardMixin, check_user_sites

from .configuration import DEFAULT_REMINDER_HOUR
from .exceptions import AppointmentError
from .tracking import ALPHABET
from .waiting_room import forget_queue, new_token, public_base

# The minutes between two slots' starts
SLOT_STEP = 15
# The days ahead the booking page offers
BOOKING_DAYS = 30
# The minutes before a slot it can still be booked
BOOKING_LEAD = 30
# An unconfirmed booking holds its slot this long; its code is this long
# valid; this many wrong codes cancel it
CODE_MINUTES = 15
CODE_LENGTH = 6
CODE_ATTEMPTS = 5
# The minutes before and after its start an appointment may check in
CHECK_IN_BEFORE = 30
CHECK_IN_AFTER = 15
# Appointments to come a phone may hold
PHONE_APPOINTMENTS = 3
DEFAULT_SERVICE_MINUTES = 15
REFERENCE_LENGTH = 6
NAME_LENGTH = 80
# The states that hold a slot
HOLDING = ('pending', 'booked', 'checked_in')


def new_reference():
    "The code a citizen gives at the kiosk: 6 characters easy to read"
    return ''.join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))


def code_digest(token, code):
    return hashlib.sha256(f'{token}:{code}'.encode()).hexdigest()


def to_datetime(value):
    "SQLite returns datetimes as text"
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


class Procedure(metaclass=PoolMeta):
    __name__ = 'network.procedure'
    service_minutes = fields.Integer("Average Service Time (min)",
        domain=['OR', ('service_minutes', '=', None),
            ('service_minutes', '>', 0)],
        help="The minutes a visit for this procedure takes at the counter: "
        "the length of its appointments.")
    bookable = fields.Boolean("By Appointment",
        help="Citizens may book an appointment for this procedure.")

    @classmethod
    def default_service_minutes(cls):
        return DEFAULT_SERVICE_MINUTES

    @classmethod
    def default_bookable(cls):
        return True

    @property
    def appointment_minutes(self):
        return self.service_minutes or DEFAULT_SERVICE_MINUTES


class Site(metaclass=PoolMeta):
    __name__ = 'network.site'
    appointments = fields.Boolean("Appointments",
        help="Citizens may book appointments at the site "
        "(/<database>/rdv/<site code>).")
    closure_appointments_to = fields.Many2One('network.site',
        "Move Appointments to",
        domain=[
            ('appointments', '=', True),
            ('state', '=', 'open'),
            ('id', '!=', Eval('id', -1)),
            ],
        states={'readonly': Eval('state') != 'open'},
        help="When the site closes, its appointments move to this site at "
        "the same time where a slot is free there; the others are "
        "cancelled. The citizens are told by SMS.")

    @classmethod
    def default_appointments(cls):
        return False

    @classmethod
    def reopen(cls, sites):
        super().reopen(sites)
        cls.write(sites, {'closure_appointments_to': None})

    @classmethod
    def close_for_works(cls, sites):
        super().close_for_works(sites)
        cls._cancel_appointments(sites)

    @classmethod
    def close(cls, sites):
        super().close(sites)
        cls._cancel_appointments(sites)

    @classmethod
    def _cancel_appointments(cls, sites):
        """Move the appointments to come of the closed sites, up to their
        planned reopening, to the site chosen where a slot is free, cancel
        the others, and tell the citizens by SMS"""
        pool = Pool()
        Appointment = pool.get('case.appointment')
        Date = pool.get('ir.date')
        today = Date.today()
        for site in sites:
            domain = [
                ('site', '=', site.id),
                ('state', 'in', ['pending', 'booked']),
                ('date', '>=', today),
                ]
            if site.closure_planned_end:
                domain.append(('date', '<', site.closure_planned_end))
            # the closure is the site's to decide: its appointments follow
            with without_check_access():
                appointments = Appointment.search(domain)
                moved = Appointment.move_to(
                    appointments, site.closure_appointments_to)
                others = [a for a in appointments if a not in moved]
                if others:
                    Appointment.cancel_for(others, 'closure')


class Holiday(metaclass=PoolMeta):
    __name__ = 'network.holiday'

    @classmethod
    def on_modification(cls, mode, holidays, field_names=None):
        """A day that becomes a public holiday cancels the appointments of
        the day, the citizens told by SMS"""
        pool = Pool()
        Appointment = pool.get('case.appointment')
        super().on_modification(mode, holidays, field_names=field_names)
        if mode not in {'create', 'write'}:
            return
        dates = {h.date for h in holidays if h.active}
        if not dates:
            return
        with without_check_access():
            appointments = Appointment.search([
                    ('date', 'in', sorted(dates)),
                    ('state', 'in', ['pending', 'booked']),
                    ])
            if appointments:
                Appointment.cancel_for(appointments, 'holiday')


class Counter(metaclass=PoolMeta):
    __name__ = 'network.counter'
    appointments = fields.Boolean("Takes Appointments",
        help="The counter serves appointments: the slots of its sector "
        "count one appointment at a time per such counter.")

    @classmethod
    def default_appointments(cls):
        return True


class Appointment(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Appointment"
    __name__ = 'case.appointment'
    _to_come = {'readonly': ~Eval('state').in_(['pending', 'booked'])}

    reference = fields.Char("Reference", readonly=True,
        help="The code the citizen gives at the kiosk or the counter.")
    site = fields.Many2One('network.site', "Site", required=True,
        domain=[('appointments', '=', True), ('state', '=', 'open')],
        states=_to_come)
    procedure = fields.Many2One('network.procedure', "Procedure",
        required=True, domain=[('bookable', '=', True)], states=_to_come)
    sector = fields.Many2One('network.sector', "Sector", readonly=True)
    date = fields.Date("Date", readonly=True)
    start = fields.DateTime("Start", required=True, format='%H:%M',
        states=_to_come)
    end = fields.DateTime("End", readonly=True, format='%H:%M')
    name = fields.Char("Name", required=True, states=_to_come,
        help="The name the citizen gave, to greet them at the counter.")
    phone = fields.Char("Phone",
        states={
            'required': Eval('state').in_(['pending', 'booked']),
            'readonly': ~Eval('state').in_(['pending', 'booked']),
            },
        help="The number the SMS go to; cleared once the appointment is "
        "over.")
    state = fields.Selection([
            ('pending', "Awaiting Confirmation"),
            ('booked', "Booked"),
            ('checked_in', "Checked In"),
            ('cancelled', "Cancelled"),
            ('missed', "Missed"),
            ], "State", readonly=True, required=True, sort=False)
    cancel_reason = fields.Selection([
            (None, ""),
            ('citizen', "By the Citizen"),
            ('agent', "By the Site"),
            ('closure', "Site Closed"),
            ('holiday', "Public Holiday"),
            ('unconfirmed', "Not Confirmed"),
            ], "Cancellation", readonly=True,
        states={'invisible': Eval('state') != 'cancelled'})
    ticket = fields.Many2One('case.ticket', "Ticket", readonly=True,
        ondelete='SET NULL', states={'invisible': ~Eval('ticket')})
    reminded = fields.Boolean("Reminded", readonly=True)
    token = fields.Char("Secret", readonly=True, strip=False)
    code_digest = fields.Char("Code Digest", readonly=True)
    code_expires = fields.DateTime("Code Valid Until", readonly=True)
    code_attempts = fields.Integer("Wrong Codes", readonly=True)
    documents = fields.Function(fields.Text("Documents to Bring"),
        'get_documents')
    free_times = fields.Function(fields.Text("Free Slots That Day",
            help="The times still free that day for the procedure at the "
            "site.",
            states={
                'invisible': ~Eval('state').in_(['pending', 'booked']),
                }),
        'on_change_with_free_times')

    del _to_come

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('token_unique', Unique(t, t.token),
                'service_case.msg_appointment_token_unique'),
            ]
        # the slots of a day read the appointments of a site and sector
        cls._sql_indexes.add(Index(t,
                (t.site, Index.Range()), (t.date, Index.Range()),
                (t.sector, Index.Equality())))
        cls._sql_indexes.add(Index(t, (t.token, Index.Equality()),
                where=t.token != Null))
        cls._sql_indexes.add(Index(t, (t.phone, Index.Equality()),
                where=t.phone != Null))
        cls._order = [('start', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('pending', 'booked'),
            ('pending', 'cancelled'),
            ('booked', 'checked_in'),
            ('booked', 'cancelled'),
            ('booked', 'missed'),
            }
        cls._buttons.update({
                'check_in': {
                    'invisible': Eval('state') != 'booked',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['pending', 'booked']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        # booked at a counter: the agent saw the citizen
        return 'booked'

    @classmethod
    def default_site(cls):
        sites = Pool().get('res.user').get_sites()
        if len(sites) == 1:
            return sites[0]

    @classmethod
    def default_reminded(cls):
        return False

    @classmethod
    def default_code_attempts(cls):
        return 0

    def get_rec_name(self, name):
        return f'{self.reference or ""} {self.name or ""}'.strip()

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        return ['OR', ('reference', operator, value),
            ('name', operator, value)]

    def get_documents(self, name):
        return '\n'.join(f'- {d.name}' for d in self.procedure.documents) \
            if self.procedure else ''

    @fields.depends('site', 'procedure', 'start', 'state', 'id')
    def on_change_with_free_times(self, name=None):
        if (self.state not in {'pending', 'booked', None} or not self.site
                or not self.procedure or not self.start):
            return None
        slots = self.free_slots(self.site, self.procedure,
            self.start.date(),
            ignore=self.id if self.id and self.id > 0 else None)
        if not slots:
            return gettext('service_case.msg_appointment_no_free_time')
        return ', '.join(s.strftime('%H:%M') for s in slots)

    @fields.depends('procedure', 'start')
    def on_change_with_end(self):
        if self.procedure and self.start:
            return self.start + dt.timedelta(
                minutes=self.procedure.appointment_minutes)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values.setdefault('token', new_token())
            values.setdefault('reference', new_reference())
            if values.get('procedure') and values.get('start'):
                values.update(cls._timing(
                        values['procedure'], values['start']))
        if values.get('phone'):
            values['phone'] = format_sn_phone(values['phone'])
        if values.get('name'):
            values['name'] = ' '.join(values['name'].split())
        return values

    @classmethod
    def _timing(cls, procedure, start):
        "The sector, date and end of an appointment at start"
        procedure = Pool().get('network.procedure')(procedure)
        return {
            'sector': procedure.sector.id,
            'date': start.date(),
            'end': start + dt.timedelta(
                minutes=procedure.appointment_minutes),
            }

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Notification = pool.get('case.notification')
        # the slots are read and taken one booking at a time
        cls.lock()
        appointments = super().create(vlist)
        for appointment in appointments:
            if appointment.state == 'booked':
                Notification.notify_appointment(
                    appointment, 'appointment_booked')
        return appointments

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        args = []
        for appointments, values in zip(actions, actions, strict=True):
            if not {'start', 'procedure'} & set(values):
                args.extend([appointments, values])
                continue
            cls.lock()
            for appointment in appointments:
                args.extend([[appointment], {**values, **cls._timing(
                                values.get('procedure',
                                    appointment.procedure.id),
                                values.get('start', appointment.start))}])
        super().write(*args)

    @classmethod
    def validate_fields(cls, appointments, field_names):
        super().validate_fields(appointments, field_names)
        if field_names and not {'start', 'procedure', 'site', 'phone',
                'name'} & field_names:
            return
        for appointment in appointments:
            if appointment.state not in {'pending', 'booked'}:
                continue
            if field_names is None or 'phone' in field_names:
                appointment.check_phone()
            # a change of name or phone keeps the slot, even close to it
            if field_names is None or {'start', 'procedure', 'site'} \
                    & field_names:
                appointment.check_slot()

    def check_phone(self):
        if parse_sn_phone(self.phone or '') is None:
            raise AppointmentError(gettext(
                    'service_case.msg_remote_phone', phone=self.phone or ''))

    def check_slot(self):
        "Refuse a start that is not a free slot of the site's day"
        free = self.free_slots(self.site, self.procedure, self.date,
            ignore=self.id)
        if self.start not in free:
            raise AppointmentError(gettext(
                    'service_case.msg_appointment_slot_taken',
                    date=self.start.strftime('%d/%m/%Y'),
                    time=self.start.strftime('%H:%M'),
                    site=self.site.rec_name,
                    procedure=self.procedure.rec_name))

    @classmethod
    def capacity(cls, site, sector):
        "The appointments that may run at once in sector at site"
        Counter = Pool().get('network.counter')
        return Counter.search_count([
                ('site', '=', site.id),
                ('sector', '=', sector.id),
                ('appointments', '=', True),
                ])

    @classmethod
    def open_on(cls, site, date):
        "Whether site receives the public on date"
        Holiday = Pool().get('network.holiday')
        return (site.state == 'open' and site.active
            and str(date.weekday()) in (site.opening_days or ())
            and date not in Holiday.holiday_dates(date, date))

    @classmethod
    def free_slots(cls, site, procedure, date, ignore=None):
        """The starts of the free slots for procedure at site on date, in
        order: within the opening hours, in the future, with a counter of
        the procedure's sector free for its whole length"""
        pool = Pool()
        Date = pool.get('ir.date')
        if (not site or not procedure or not date
                or not site.appointments or not procedure.bookable
                or not procedure.active):
            return []
        today = Date.today()
        if not today <= date <= today + dt.timedelta(days=BOOKING_DAYS):
            return []
        if not cls.open_on(site, date):
            return []
        capacity = cls.capacity(site, procedure.sector)
        if not capacity:
            return []
        minutes = procedure.appointment_minutes
        steps = math.ceil(minutes / SLOT_STEP)
        opening = dt.datetime.combine(date, site.opening_time)
        closing = dt.datetime.combine(date, site.closing_time)
        # the count of appointments running in each step of the day
        busy = {}
        for start, end in cls._taken(site, procedure.sector, date, ignore):
            step = math.floor((start - opening).total_seconds()
                / 60 / SLOT_STEP)
            last = math.ceil((end - opening).total_seconds() / 60
                / SLOT_STEP)
            for i in range(step, last):
                busy[i] = busy.get(i, 0) + 1
        earliest = dt.datetime.now() + dt.timedelta(minutes=BOOKING_LEAD)
        slots = []
        i = 0
        while True:
            start = opening + dt.timedelta(minutes=i * SLOT_STEP)
            if start + dt.timedelta(minutes=minutes) > closing:
                break
            if start >= earliest and all(
                    busy.get(i + j, 0) < capacity for j in range(steps)):
                slots.append(start)
            i += 1
        return slots

    @classmethod
    def _taken(cls, site, sector, date, ignore=None):
        "The (start, end) of the appointments holding a slot that day"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = dt.datetime.now()
        where = ((table.site == site.id) & (table.sector == sector.id)
            & (table.date == date)
            & (table.state.in_(['booked', 'checked_in'])
                | ((table.state == 'pending')
                    & (table.code_expires > now))))
        if ignore:
            where &= table.id != ignore
        cursor.execute(*table.select(table.start, table.end, where=where))
        return [(to_datetime(s), to_datetime(e)) for s, e in cursor]

    @classmethod
    def days_with_slots(cls, site, procedure, count=10):
        "The next count days with a free slot, and their number of slots"
        Date = Pool().get('ir.date')
        today = Date.today()
        days = []
        for offset in range(BOOKING_DAYS + 1):
            date = today + dt.timedelta(days=offset)
            slots = cls.free_slots(site, procedure, date)
            if slots:
                days.append((date, len(slots)))
                if len(days) >= count:
                    break
        return days

    # The public booking

    @classmethod
    def request(cls, site, procedure, start, name, phone):
        """Book start for procedure at site for the citizen at phone, to be
        confirmed by the code sent by SMS; return the appointment"""
        pool = Pool()
        Notification = pool.get('case.notification')
        Date = pool.get('ir.date')
        name = ' '.join((name or '').split())
        if not name or len(name) > NAME_LENGTH:
            raise AppointmentError(gettext(
                    'service_case.msg_appointment_name',
                    length=NAME_LENGTH))
        if parse_sn_phone(phone or '') is None:
            raise AppointmentError(gettext(
                    'service_case.msg_remote_phone', phone=phone or ''))
        phone = format_sn_phone(phone)
        cls.lock()
        others = cls.search([
                ('phone', '=', phone),
                ('state', 'in', ['pending', 'booked']),
                ('date', '>=', Date.today()),
                ])
        if any(a.date == start.date() for a in others):
            raise AppointmentError(gettext(
                    'service_case.msg_appointment_same_day', phone=phone))
        if len(others) >= PHONE_APPOINTMENTS:
            raise AppointmentError(gettext(
                    'service_case.msg_appointment_too_many', phone=phone,
                    count=PHONE_APPOINTMENTS))
        code = ''.join(secrets.choice('0123456789')
            for _ in range(CODE_LENGTH))
        token = new_token()
        appointment, = cls.create([{
                    'site': site.id,
                    'procedure': procedure.id,
                    'start': start,
                    'name': name,
                    'phone': phone,
                    'state': 'pending',
                    'token': token,
                    'code_digest': code_digest(token, code),
                    'code_expires': dt.datetime.now() + dt.timedelta(
                        minutes=CODE_MINUTES),
                    }])
        Notification.notify_appointment(appointment, 'appointment_code',
            code=code, minutes=CODE_MINUTES)
        return appointment

    def confirm(self, code):
        """Confirm the pending appointment with the code of its SMS: return
        None, or the French reason of a refusal. Wrong codes are counted
        (their count is saved whatever the answer): CODE_ATTEMPTS of them
        cancel the appointment."""
        pool = Pool()
        Appointment = pool.get('case.appointment')
        Notification = pool.get('case.notification')
        if self.state != 'pending':
            return gettext('service_case.msg_appointment_not_pending')
        if self.code_expires and self.code_expires < dt.datetime.now():
            Appointment.cancel_for([self], 'unconfirmed')
            return gettext('service_case.msg_appointment_code_expired')
        code = ''.join(c for c in (code or '') if c.isdigit())
        if not hmac.compare_digest(
                code_digest(self.token, code), self.code_digest or ''):
            attempts = (self.code_attempts or 0) + 1
            Appointment.write([self], {'code_attempts': attempts})
            if attempts >= CODE_ATTEMPTS:
                Appointment.cancel_for([self], 'unconfirmed')
                return gettext('service_case.msg_appointment_code_expired')
            return gettext('service_case.msg_appointment_code_wrong',
                left=CODE_ATTEMPTS - attempts)
        Appointment.write([self], {
                'code_digest': None, 'code_expires': None})
        Appointment.book([self])
        Notification.notify_appointment(self, 'appointment_booked')
        return None

    @classmethod
    @Workflow.transition('booked')
    def book(cls, appointments):
        pass

    def link(self):
        "The address of the appointment's page, for its SMS"
        base = public_base()
        if not base:
            return ''
        return f'{base}/{Transaction().database.name}/rendez-vous/' \
            f'{self.token}'

    @classmethod
    def from_token(cls, token):
        appointments = cls.search([('token', '=', token)], limit=1)
        return appointments[0] if appointments else None

    # On the day

    @classmethod
    def find_for_check_in(cls, site, text):
        """Today's appointment at site with the reference or the phone
        number typed, or None"""
        Date = Pool().get('ir.date')
        text = (text or '').strip()
        domain = [
            ('site', '=', site.id),
            ('date', '=', Date.today()),
            ('state', '=', 'booked'),
            ]
        reference = ''.join(c for c in text.upper() if c.isalnum())
        if len(reference) == REFERENCE_LENGTH and not reference.isdigit():
            domain.append(('reference', '=', reference))
        elif parse_sn_phone(text) is not None:
            domain.append(('phone', '=', format_sn_phone(text)))
        else:
            return None
        appointments = cls.search(domain, limit=1)
        return appointments[0] if appointments else None

    @classmethod
    @ModelView.button
    def check_in(cls, appointments):
        """The citizens came to the counter: each gets a ticket called
        before the walk-ins of its sector"""
        cls.give_tickets(appointments)

    @classmethod
    def give_tickets(cls, appointments):
        """Check the citizens in: return for each appointment its ticket,
        called before the walk-ins of its sector"""
        pool = Pool()
        Ticket = pool.get('case.ticket')
        Date = pool.get('ir.date')
        check_user_sites({a.site.id for a in appointments},
            appointments[0].rec_name if appointments else '')
        now = dt.datetime.now()
        for appointment in appointments:
            if appointment.state != 'booked':
                raise AppointmentError(gettext(
                        'service_case.msg_appointment_not_booked',
                        appointment=appointment.rec_name))
            if appointment.date != Date.today():
                raise AppointmentError(gettext(
                        'service_case.msg_appointment_other_day',
                        date=appointment.start.strftime('%d/%m/%Y'),
                        time=appointment.start.strftime('%H:%M')))
            opens = appointment.start - dt.timedelta(minutes=CHECK_IN_BEFORE)
            if now < opens:
                raise AppointmentError(gettext(
                        'service_case.msg_appointment_too_early',
                        time=appointment.start.strftime('%H:%M'),
                        opens=opens.strftime('%H:%M')))
            if now > appointment.start + dt.timedelta(
                    minutes=CHECK_IN_AFTER):
                raise AppointmentError(gettext(
                        'service_case.msg_appointment_too_late',
                        time=appointment.start.strftime('%H:%M')))
        tickets = Ticket.create([{
                    'site': a.site.id,
                    'sector': a.sector.id,
                    'follow_token': new_token(),
                    'priority': 1,
                    } for a in appointments])
        cls._checked_in(appointments)
        for appointment, ticket in zip(appointments, tickets, strict=True):
            cls.write([appointment], {'ticket': ticket.id, 'phone': None})
            forget_queue(appointment.site.id)
        return tickets

    @classmethod
    @Workflow.transition('checked_in')
    def _checked_in(cls, appointments):
        pass

    @classmethod
    @ModelView.button
    def cancel(cls, appointments):
        "Cancelled at the site: the citizen is told by SMS"
        check_user_sites({a.site.id for a in appointments},
            appointments[0].rec_name if appointments else '')
        cls.cancel_for(appointments, 'agent')

    @classmethod
    def cancel_for(cls, appointments, reason):
        """Cancel the appointments for reason; those confirmed get an SMS
        (an unconfirmed one was never announced)"""
        pool = Pool()
        Notification = pool.get('case.notification')
        appointments = [a for a in appointments
            if a.state in {'pending', 'booked'}]
        told = [a for a in appointments
            if a.state == 'booked' and reason != 'citizen']
        for appointment in told:
            Notification.notify_appointment(appointment,
                'appointment_cancelled',
                reason=gettext(f'service_case.msg_appointment_why_{reason}'))
        cls._cancel(appointments)
        cls.write(appointments, {
                'cancel_reason': reason,
                'phone': None,
                'code_digest': None,
                'code_expires': None,
                })

    @classmethod
    def move_to(cls, appointments, site):
        """Move the booked appointments to site at the same time where a
        slot of their procedure is free there, each citizen told by SMS;
        return those moved"""
        pool = Pool()
        Notification = pool.get('case.notification')
        if site is None:
            return []
        cls.lock()
        moved = []
        for appointment in appointments:
            if appointment.state != 'booked':
                continue
            if appointment.start not in cls.free_slots(
                    site, appointment.procedure, appointment.date):
                continue
            closed = appointment.site
            cls.write([appointment], {'site': site.id})
            Notification.notify_appointment(appointment, 'appointment_moved',
                closed=closed.name)
            moved.append(appointment)
        return moved

    @classmethod
    @Workflow.transition('cancelled')
    def _cancel(cls, appointments):
        pass

    @classmethod
    @Workflow.transition('missed')
    def _missed(cls, appointments):
        pass

    @classmethod
    def send_reminders(cls):
        """Scheduled task: remind tomorrow's appointments by SMS, mark the
        past ones missed and drop the bookings never confirmed"""
        pool = Pool()
        Notification = pool.get('case.notification')
        Configuration = pool.get('case.configuration')
        Date = pool.get('ir.date')
        today = Date.today()
        now = dt.datetime.now()
        hour = Configuration(1).appointment_reminder_hour
        if hour is None:
            hour = DEFAULT_REMINDER_HOUR
        # no SMS at night: from the configured hour of the day before
        tomorrow = cls.search([
                ('state', '=', 'booked'),
                ('date', '=', today + dt.timedelta(days=1)),
                ('reminded', '!=', True),
                ]) if now.hour >= hour else []
        for appointment in tomorrow:
            Notification.notify_appointment(
                appointment, 'appointment_reminder')
        if tomorrow:
            cls.write(tomorrow, {'reminded': True})
        missed = cls.search([
                ('state', '=', 'booked'),
                ['OR',
                    ('date', '<', today),
                    ('start', '<', now - dt.timedelta(
                            minutes=CHECK_IN_AFTER)),
                    ],
                ])
        if missed:
            cls._missed(missed)
            cls.write(missed, {'phone': None})
        expired = cls.search([
                ('state', '=', 'pending'),
                ('code_expires', '<', now),
                ])
        if expired:
            cls.cancel_for(expired, 'unconfirmed')

    @classmethod
    def copy(cls, appointments, default=None):
        default = default.copy() if default is not None else {}
        for name in ['token', 'reference', 'ticket', 'code_digest',
                'code_expires', 'code_attempts', 'reminded',
                'cancel_reason']:
            default.setdefault(name, None)
        default.setdefault('state', 'booked')
        return super().copy(appointments, default=default)


class Ticket(metaclass=PoolMeta):
    __name__ = 'case.ticket'
    priority = fields.Integer("Priority", readonly=True,
        help="Tickets of a higher priority are called first: "
        "appointments checked in.")
    appointment = fields.Function(fields.Many2One(
            'case.appointment', "Appointment"), 'get_appointment')

    @classmethod
    def default_priority(cls):
        return 0

    @classmethod
    def _next_order(cls):
        return [('priority', 'DESC')] + super()._next_order()

    @classmethod
    def get_appointment(cls, tickets, name):
        Appointment = Pool().get('case.appointment')
        result = dict.fromkeys([t.id for t in tickets])
        for appointment in Appointment.search([
                    ('ticket', 'in', [t.id for t in tickets]),
                    ]):
            result[appointment.ticket.id] = appointment.id
        return result

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('priority', 0)
        return super().copy(tickets, default=default)


class Desk(metaclass=PoolMeta):
    __name__ = 'case.desk'

    def _propose_procedure(self):
        "An appointment's ticket comes for the appointment's procedure"
        appointment = self.ticket.appointment if self.ticket else None
        if appointment:
            return appointment.procedure
        return super()._propose_procedure()

    def _take(self, ticket, message):
        appointment = ticket.appointment
        if appointment:
            message = ' '.join(filter(None, [message, gettext(
                            'service_case.msg_desk_appointment',
                            time=appointment.start.strftime('%H:%M'),
                            name=appointment.name,
                            procedure=appointment.procedure.rec_name)]))
        super()._take(ticket, message)
