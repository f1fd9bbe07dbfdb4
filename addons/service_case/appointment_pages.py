"""The appointments' public pages, served by trytond without login:

- /<database>/rdv: the sites taking appointments;
- /<database>/rdv/<site code>: the procedures, then for one of them
  (?demarche=<code>) the documents to bring and the days with free slots,
  then for a day (&jour=<date>) its free slots and the form (name, mobile
  number) that books one, to be confirmed by the code sent by SMS;
- /<database>/rendez-vous/<secret>: the appointment's page: the form of
  the SMS code while unconfirmed, then the date, the place, the documents,
  the code to give at the kiosk and the cancellation;
- /<database>/borne/<secret>/rendez-vous (POST): the kiosk's check-in.

Forms carry a double-submit CSRF cookie; bookings are limited per client,
wrong SMS codes per appointment, unknown check-ins per kiosk. A page never
shows the citizen's name nor phone."""
import datetime as dt
import re

from werkzeug.utils import redirect

from trytond.protocols.wrappers import HTTPStatus, with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_network.http_headers import secure_headers
from service_network.qr import qr_code

from .appointment import CHECK_IN_BEFORE, CODE_MINUTES
from .exceptions import AppointmentError
from .routes import unknown_page
from .waiting_pages import (
    Item,
    RateLimit,
    base_url,
    client_key,
    csrf_ok,
    csrf_token,
    kiosk_page,
    public_page,
    render,
    site_by_code,
    t,
    unknown,
    with_csrf,
)

# Bookings a client may ask for in an hour; unknown check-ins a kiosk may
# get in a minute
BOOKINGS_PER_HOUR = 5
BOOKINGS = RateLimit(BOOKINGS_PER_HOUR, 3600)
CHECK_IN_MISSES = RateLimit(20)
# The longest name kept from the booking form
NAME_FIELD = 100
DAY = re.compile(r'\d{4}-\d{2}-\d{2}')
WEEKDAYS = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi',
    'dimanche']
MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet',
    'août', 'septembre', 'octobre', 'novembre', 'décembre']


def long_date(date):
    "« lundi 7 décembre 2026 »"
    return f'{WEEKDAYS[date.weekday()]} {date.day} ' \
        f'{MONTHS[date.month - 1]} {date.year}'


def see_other(url):
    return secure_headers(redirect(url, HTTPStatus.SEE_OTHER), no_store=True)


def booking_sites(pool):
    Site = pool.get('network.site')
    return Site.search([
            ('appointments', '=', True), ('state', '=', 'open')],
        order=[('name', 'ASC')])


def bookable_procedures(pool, site):
    """The procedures bookable at site: of the sectors of its counters
    taking appointments"""
    Counter = pool.get('network.counter')
    Procedure = pool.get('network.procedure')
    sectors = {c.sector.id for c in Counter.search([
                ('site', '=', site.id), ('appointments', '=', True)])}
    if not sectors:
        return []
    return Procedure.search([
            ('sector', 'in', list(sectors)), ('bookable', '=', True)],
        order=[('sector', 'ASC'), ('name', 'ASC')])


@app.route('/<database_name>/rdv', methods={'GET'})
@app.route('/<database_name>/rdv/', methods={'GET'})
@public_page
@with_pool
@with_transaction(readonly=True)
def sites(request, pool):
    return render('booking.html', title=t('booking_title'),
        site=t('network'), step='sites', error=None,
        sites=[Item({'name': s.name, 'city': s.city or '',
                    'url': f'{request.script_root}/{pool.database_name}'
                    f'/rdv/{s.code}'}) for s in booking_sites(pool)])


def booking_page(request, pool, site, error=None, status=HTTPStatus.OK,
        name='', phone=''):
    """The booking page of site at its step: the procedures, the days of
    one, the slots of a day"""
    Appointment = pool.get('case.appointment')
    procedures = bookable_procedures(pool, site) \
        if site.appointments and site.state == 'open' else []
    base = f'{request.script_root}/{pool.database_name}/rdv/{site.code}'
    context = dict(title=t('booking_title'), site=site.name, error=error,
        citizen=name, phone=phone, action=request.path, procedure=None,
        day=None, days=[], slots=[], documents=[], sectors=[], csrf='')
    if not procedures:
        context['error'] = error or t('booking_closed')
        return render('booking.html', status=status, step='closed',
            **context)
    code = (request.values.get('demarche') or '').upper()
    procedure = next((p for p in procedures if p.code == code), None)
    if procedure is None:
        sectors = {}
        for p in procedures:
            sectors.setdefault(p.sector, []).append(Item({
                        'name': p.name,
                        'url': f'{base}?demarche={p.code}'}))
        context['sectors'] = [Item({'name': s.name, 'procedures': ps})
            for s, ps in sectors.items()]
        return render('booking.html', status=status, step='procedure',
            **context)
    context['procedure'] = procedure.name
    context['documents'] = [d.name + ('' if d.mandatory
            else f" ({t('booking_optional')})")
        for d in procedure.documents]
    context['minutes'] = procedure.appointment_minutes
    day = request.values.get('jour') or ''
    try:
        date = dt.date.fromisoformat(day) if DAY.fullmatch(day) else None
    except ValueError:
        date = None
    slots = Appointment.free_slots(site, procedure, date) if date else []
    if not slots:
        if date is not None and not error:
            context['error'] = t('booking_day_full')
        context['days'] = [Item({
                    'label': long_date(d),
                    'count': t('booking_slots', count=n),
                    'url': f'{base}?demarche={procedure.code}'
                    f'&jour={d.isoformat()}'})
            for d, n in Appointment.days_with_slots(site, procedure)]
        if not context['days']:
            context['error'] = error or t('booking_no_day')
        context['back'] = base
        return render('booking.html', status=status, step='day', **context)
    csrf = csrf_token(request)
    context.update(csrf=csrf, day=long_date(date),
        back=f'{base}?demarche={procedure.code}',
        slots=[Item({'value': s.strftime('%H:%M'),
                    'label': s.strftime('%H:%M')}) for s in slots])
    response = render('booking.html', status=status, step='slot',
        referrer='same-origin', hidden={'demarche': procedure.code,
            'jour': date.isoformat()}, **context)
    return with_csrf(response, request, csrf)


@app.route('/<database_name>/rdv/<code>', methods={'GET', 'POST'})
@public_page
@with_pool
@with_transaction()
def booking(request, pool, code):
    "Book an appointment at a site"
    Appointment = pool.get('case.appointment')
    site = site_by_code(pool, code)
    if site is None:
        return unknown_page()
    if request.method == 'GET':
        return booking_page(request, pool, site)
    name = request.form.get('name', '')[:NAME_FIELD]
    phone = request.form.get('phone', '')[:30]
    if not csrf_ok(request):
        return booking_page(request, pool, site, t('kiosk_expired'),
            HTTPStatus.FORBIDDEN, name, phone)
    client = client_key(request)
    if BOOKINGS.exceeded(client):
        return booking_page(request, pool, site, t('booking_busy'),
            HTTPStatus.TOO_MANY_REQUESTS, name, phone)
    procedures = {p.code: p for p in bookable_procedures(pool, site)}
    procedure = procedures.get(
        (request.form.get('demarche') or '').upper())
    day = request.form.get('jour') or ''
    time = request.form.get('creneau') or ''
    try:
        start = dt.datetime.combine(dt.date.fromisoformat(day),
            dt.time.fromisoformat(time)) if DAY.fullmatch(day) \
            and re.fullmatch(r'\d{2}:\d{2}', time) else None
    except ValueError:
        start = None
    if (procedure is None or start is None or not site.appointments
            or start not in Appointment.free_slots(
                site, procedure, start.date())):
        return booking_page(request, pool, site, t('booking_slot_gone'),
            HTTPStatus.CONFLICT, name, phone)
    try:
        appointment = Appointment.request(
            site, procedure, start, name, phone)
    except AppointmentError as error:
        return booking_page(request, pool, site, error.message,
            HTTPStatus.BAD_REQUEST, name, phone)
    BOOKINGS.add(client)
    return see_other(f'{request.script_root}/{pool.database_name}'
        f'/rendez-vous/{appointment.token}')


def appointment_page(request, pool, appointment, error=None,
        status=HTTPStatus.OK):
    state = appointment.state
    start = appointment.start
    when = t('appointment_when', date=long_date(start.date()),
        time=start.strftime('%H:%M'))
    csrf = csrf_token(request)
    again = f'{request.script_root}/{pool.database_name}/rdv/' \
        f'{appointment.site.code}'
    address = ', '.join(filter(None, [
                (appointment.site.street or '').replace('\n', ', '),
                appointment.site.city]))
    path = f'{request.script_root}/{pool.database_name}/rendez-vous/' \
        f'{appointment.token}'
    page_url = f'{base_url(request)}/{pool.database_name}/rendez-vous/' \
        f'{appointment.token}'
    response = render('appointment.html', status=status,
        title=t('appointment_title'), site=appointment.site.name,
        address=address, procedure=appointment.procedure.name, when=when,
        state=state, state_text=t(f'appointment_{state}'),
        reference=appointment.reference, error=error, csrf=csrf,
        code_action=f'{path}/code', cancel_action=f'{path}/annuler',
        documents=[d.name for d in appointment.procedure.documents],
        minutes=CODE_MINUTES, before=CHECK_IN_BEFORE, again=again,
        qr=qr_code(page_url) if state == 'booked' else None,
        referrer='same-origin')
    return with_csrf(response, request, csrf, path)


def from_token(pool, token):
    return pool.get('case.appointment').from_token(token)


@app.route('/<database_name>/rendez-vous/<token>', methods={'GET'})
@public_page
@with_pool
@with_transaction(readonly=True)
def appointment_view(request, pool, token):
    appointment = from_token(pool, token)
    if appointment is None:
        return unknown_page()
    return appointment_page(request, pool, appointment)


@app.route('/<database_name>/rendez-vous/<token>/code', methods={'POST'})
@public_page
@with_pool
@with_transaction()
def appointment_code(request, pool, token):
    "The citizen types the code of the SMS"
    appointment = from_token(pool, token)
    if appointment is None:
        return unknown_page()
    page = request.path.rsplit('/', 1)[0]
    if not csrf_ok(request):
        return see_other(page)
    error = appointment.confirm(request.form.get('code', '')[:20])
    if error:
        # the wrong code is counted: the transaction is committed
        return appointment_page(request, pool, appointment, error,
            HTTPStatus.BAD_REQUEST)
    return see_other(page)


@app.route('/<database_name>/rendez-vous/<token>/annuler',
    methods={'POST'})
@public_page
@with_pool
@with_transaction()
def appointment_cancel(request, pool, token):
    "The citizen cancels the appointment"
    Appointment = pool.get('case.appointment')
    appointment = from_token(pool, token)
    if appointment is None:
        return unknown_page()
    page = request.path.rsplit('/', 1)[0]
    if csrf_ok(request) and appointment.state in {'pending', 'booked'}:
        Appointment.cancel_for([appointment], 'citizen')
    return see_other(page)


@app.route('/<database_name>/borne/<token>/rendez-vous', methods={'POST'})
@public_page
@with_pool
@with_transaction()
def kiosk_check_in(request, pool, token):
    """The citizen with an appointment types the phone number or the code
    at the kiosk: the ticket is printed, called before the walk-ins"""
    Screen = pool.get('case.screen')
    Appointment = pool.get('case.appointment')
    screen = Screen.from_token(token, 'kiosk')
    if screen is None:
        return unknown_page()
    kiosk = request.path.rsplit('/', 1)[0]
    if not csrf_ok(request):
        return kiosk_page(request, screen, t('kiosk_expired'),
            HTTPStatus.FORBIDDEN, path=kiosk)
    if CHECK_IN_MISSES.exceeded(screen.id):
        return kiosk_page(request, screen, t('kiosk_busy'),
            HTTPStatus.TOO_MANY_REQUESTS, path=kiosk)
    appointment = Appointment.find_for_check_in(
        screen.site, request.form.get('appointment', '')[:40])
    if appointment is None:
        CHECK_IN_MISSES.add(screen.id)
        return kiosk_page(request, screen, t('check_in_unknown'),
            HTTPStatus.BAD_REQUEST, path=kiosk)
    try:
        ticket, = Appointment.give_tickets([appointment])
    except AppointmentError as error:
        Transaction().rollback()
        return kiosk_page(request, screen, error.message,
            HTTPStatus.BAD_REQUEST, path=kiosk)
    return see_other(f'{kiosk}/ticket/{ticket.follow_token}')


@app.route('/<database_name>/rendez-vous', methods={'GET', 'POST'})
@app.route('/<database_name>/rendez-vous/', methods={'GET', 'POST'})
@app.route('/<database_name>/rendez-vous/<path:rest>',
    methods={'GET', 'POST'})
def unknown_appointment(request, database_name, rest=''):
    "Any other address under the appointment's pages"
    return unknown(request, database_name, rest)
