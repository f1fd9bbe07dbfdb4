"""The waiting room's pages, served by trytond without login:

- /<database>/ecran/<secret>: the display screen of a site (a TV in full
  screen), which polls /<database>/ecran/<secret>/etat every second and
  plays the site's recorded clips from /<database>/ecran/<secret>/son/<id>;
- /<database>/borne/<secret>: the kiosk where a visitor touches a sector
  to take a ticket (a form protected by a double-submit CSRF cookie), then
  /<database>/borne/<secret>/ticket/<ticket secret>, the ticket sized for
  the site's 80 mm thermal printer, printed by the browser;
- /<database>/ticket/<ticket secret>: the visitor's phone page, reached by
  the QR code of the ticket: the people ahead and the estimated wait.

Secrets are 256-bit random values: no page lists or counts anything else,
and nothing personal is shown. A client that asks for too many unknown
secrets, or a kiosk asked for too many tickets, is refused for a minute."""
import datetime as dt
import hmac
import json
import pathlib
import re
import secrets
import threading
import time
from collections import deque
from functools import wraps

from genshi.core import Markup
from genshi.template import TemplateLoader
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect

from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    HTTPStatus,
    Response,
    with_pool,
    with_transaction,
)
from trytond.transaction import Transaction
from trytond.wsgi import app

from service_network.http_headers import API_POLICY, secure_headers
from service_network.qr import qr_code

from .exceptions import WaitingRoomError
from .remote_queue import MORE_TIME, remote_sectors
from .routes import TOO_MANY, page, unknown_page
from .waiting_room import estimated_minutes, public_base, queue_state

HERE = pathlib.Path(__file__).resolve().parent / 'public'
TEMPLATES = TemplateLoader([str(HERE)], auto_reload=False)
DISPLAY_SCRIPT = Markup((HERE / 'display.js').read_text(encoding='utf-8'))
# The alphabet of secrets.token_urlsafe, 43 characters for 32 bytes
SECRET = re.compile(r'[A-Za-z0-9_-]{43}')
CSRF_COOKIE = 'ess_kiosk'
# Unknown secrets a client may ask for in a minute, tickets a kiosk may
# print in a minute
UNKNOWN_PER_MINUTE = 30
TICKETS_PER_MINUTE = 30
# The phone page reloads itself after these seconds
FOLLOW_REFRESH = 20

# The pictograms of the kiosk's buttons by sector code (simple strokes in
# the page's colour, no image file nor font needed)
PICTOGRAMS = {
    'info': '<circle cx="24" cy="24" r="20"/><path d="M24 21v13"/>'
    '<circle cx="24" cy="14" r="1.5" fill="currentColor"/>',
    'justice': '<path d="M24 6v34M12 40h24M8 14h32M8 14l-5 12h10zM40 14l-5 '
    '12h10z"/><path d="M3 26a5 4 0 0 0 10 0M35 26a5 4 0 0 0 10 0"/>',
    'family': '<circle cx="17" cy="13" r="5"/><circle cx="33" cy="17" r="4"/>'
    '<path d="M7 42V28a10 10 0 0 1 20 0v14M27 42V31a6 6 0 0 1 12 0v11"/>',
    'house': '<path d="M5 23L24 6l19 17M10 19v23h28V19M20 42V30h8v12"/>',
    'envelope': '<rect x="5" y="11" width="38" height="26" rx="2"/>'
    '<path d="M5 13l19 14 19-14"/>',
    'briefcase': '<rect x="5" y="15" width="38" height="25" rx="2"/>'
    '<path d="M17 15V9h14v6M5 26h38"/>',
    'ticket': '<path d="M6 12h36v8a4 4 0 0 0 0 8v8H6v-8a4 4 0 0 0 0-8z"/>'
    '<path d="M18 12v24" stroke-dasharray="3 3"/>',
    }
SECTOR_PICTOGRAMS = {'A': 'info', 'J': 'justice', 'C': 'family',
    'U': 'house', 'P': 'envelope', 'E': 'briefcase'}


def t(name, **params):
    "The text of a public page in the transaction's language"
    return gettext(f'service_case.msg_page_{name}', **params)


def pictogram(sector):
    paths = PICTOGRAMS[SECTOR_PICTOGRAMS.get(sector.code, 'ticket')]
    return Markup(
        '<svg viewBox="0 0 48 48" fill="none" stroke="currentColor" '
        'stroke-width="3" stroke-linecap="round" stroke-linejoin="round" '
        f'aria-hidden="true">{paths}</svg>')


def page_policy(nonce=None, connect=False, media=False):
    "The Content-Security-Policy of a page: its own inline style, forms to "
    "itself, the script with the nonce only"
    policy = ["default-src 'none'", "style-src 'unsafe-inline'",
        "img-src 'self'", "form-action 'self'", "frame-ancestors 'none'",
        "base-uri 'none'"]
    if nonce:
        policy.append(f"script-src 'nonce-{nonce}'")
    if connect:
        policy.append("connect-src 'self'")
    if media:
        policy.append("media-src 'self'")
    return '; '.join(policy)


def render(name, status=HTTPStatus.OK, policy=None, referrer='no-referrer',
        **context):
    template = TEMPLATES.load(name)
    body = template.generate(t=t, **context).render(
        'html', doctype='html5', encoding='utf-8')
    return secure_headers(
        Response(body, status, content_type='text/html; charset=utf-8'),
        policy=policy or page_policy(), no_store=True, referrer=referrer)


def too_many_page():
    return page(None, 'too_many', TOO_MANY, HTTPStatus.TOO_MANY_REQUESTS)


class RateLimit:
    "At most limit events per key in a sliding minute, in this process"

    def __init__(self, limit, period=60):
        self.limit = limit
        self.period = period
        self.events = {}
        self.lock = threading.Lock()

    def _recent(self, key, now):
        events = self.events.get(key)
        if events is None:
            events = self.events[key] = deque()
        while events and now - events[0] > self.period:
            events.popleft()
        return events

    def exceeded(self, key):
        now = time.monotonic()
        with self.lock:
            return len(self._recent(key, now)) >= self.limit

    def add(self, key):
        now = time.monotonic()
        with self.lock:
            self._recent(key, now).append(now)
            if len(self.events) > 10000:
                # forget the quiet keys rather than grow without end
                for old in [k for k, v in self.events.items()
                        if not v or now - v[-1] > self.period]:
                    del self.events[old]

    def clear(self):
        with self.lock:
            self.events.clear()


UNKNOWN = RateLimit(UNKNOWN_PER_MINUTE)
KIOSK_TICKETS = RateLimit(TICKETS_PER_MINUTE)
# Tickets taken from phones: per address in an hour
REMOTE_JOINS_PER_HOUR = 5
REMOTE_JOINS = RateLimit(REMOTE_JOINS_PER_HOUR, 3600)


def client_key(request):
    return request.remote_addr or ''


def public_page(func):
    """A public page: an unknown database or address is the French unknown
    page; a client asking for too many unknown secrets is refused"""
    @wraps(func)
    def wrapper(request, database_name, *args, **kwargs):
        client = client_key(request)
        if UNKNOWN.exceeded(client):
            return too_many_page()
        secrets_ = [v for k, v in kwargs.items() if k.endswith('token')]
        if not all(SECRET.fullmatch(s) for s in secrets_):
            UNKNOWN.add(client)
            return unknown_page()
        try:
            response = func(request, database_name, *args, **kwargs)
        except NotFound:
            response = unknown_page()
        if response.status_code == HTTPStatus.NOT_FOUND:
            UNKNOWN.add(client)
        return response
    return wrapper


# The code of a site in a public address (ZIG, DKR)
SITE_CODE = re.compile(r'[A-Za-z0-9]{2,8}')


def site_by_code(pool, code):
    "The site whose code is in a public address, or None"
    if not SITE_CODE.fullmatch(code or ''):
        return None
    sites = pool.get('network.site').search(
        [('code', '=', code.upper())], limit=1)
    return sites[0] if sites else None


def base_url(request):
    return public_base() or request.host_url.rstrip('/')


def wait_text(state):
    if not state.waiting:
        return t('queue_none')
    minutes = estimated_minutes(
        state.waiting, state.service_minutes, state.counters)
    return t('queue_waiting', count=state.waiting, minutes=minutes)


def shown(screen, queue):
    "The sector states of the queue the screen shows, in its order"
    sectors = {s.id for s in screen.shown_sectors()}
    return [s for s in queue.sectors if s.sector in sectors]


def spoken(number, counter):
    "The French sentence of a call: « Ticket J 17, guichet 2 »"
    letters, _, digits = (number or '').partition('-')
    digits = str(int(digits)) if digits.isdigit() else digits
    return t('call_spoken', letters=letters, digits=digits, counter=counter)


@app.route('/<database_name>/ecran/<token>', methods={'GET'})
@public_page
@with_pool
@with_transaction(readonly=True)
def display(request, pool, token):
    Screen = pool.get('case.screen')
    screen = Screen.from_token(token, 'display')
    if screen is None:
        return unknown_page()
    nonce = secrets.token_urlsafe(16)
    return render('display.html',
        policy=page_policy(nonce, connect=True, media=True),
        site=screen.site.name, now=dt.datetime.now().strftime('%H:%M'),
        nonce=nonce, script=DISPLAY_SCRIPT,
        state_url=f'{request.path}/etat')


@app.route('/<database_name>/ecran/<token>/etat', methods={'GET'})
@public_page
@with_pool
@with_transaction(readonly=True)
def display_state(request, pool, token):
    from .results_pages import screen_line
    Screen = pool.get('case.screen')
    Clip = pool.get('case.call_clip')
    screen = Screen.from_token(token, 'display')
    if screen is None:
        return unknown_page()
    queue = queue_state(screen.site.id)
    clip = Clip.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*clip.select(clip.id, clip.language, clip.word,
            where=clip.site == screen.site.id))
    clips = {}
    for clip_id, language, word in cursor:
        clips.setdefault(language, {})[word] = (
            f'{request.script_root}/{pool.database_name}/ecran/{token}'
            f'/son/{clip_id}')
    state = {
        'now': dt.datetime.now().strftime('%H:%M'),
        'texts': {'ticket': t('display_ticket'),
            'welcome': t('display_welcome')},
        'calls': [{
                'key': c.key, 'number': c.number, 'sector': c.sector,
                'counter': c.counter, 'counter_number': c.counter_number,
                'at': c.called_at.strftime('%H:%M'),
                'speech': spoken(c.number, c.counter),
                } for c in queue.calls],
        'sectors': [{
                'code': s.code, 'name': s.name, 'waiting': s.waiting,
                'text': wait_text(s),
                } for s in shown(screen, queue)],
        'clips': clips,
        # shown between calls
        'results': screen_line(pool, screen.site.id),
        }
    return secure_headers(Response(
            json.dumps(state, ensure_ascii=False, separators=(',', ':')),
            content_type='application/json; charset=utf-8'),
        policy=API_POLICY, no_store=True)


@app.route('/<database_name>/ecran/<token>/son/<int:clip_id>',
    methods={'GET'})
@public_page
@with_pool
@with_transaction(readonly=True)
def display_clip(request, pool, token, clip_id):
    Screen = pool.get('case.screen')
    Clip = pool.get('case.call_clip')
    screen = Screen.from_token(token, 'display')
    clips = Clip.search([
            ('id', '=', clip_id), ('site', '=', screen.site.id),
            ], limit=1) if screen else []
    if not clips or not clips[0].mime_type:
        return unknown_page()
    clip, = clips
    response = secure_headers(
        Response(bytes(clip.sound), content_type=clip.mime_type),
        policy=API_POLICY)
    # a clip changes rarely: the screen plays it from its cache
    response.headers['Cache-Control'] = 'private, max-age=3600'
    return response


def csrf_token(request, cookie=CSRF_COOKIE):
    "The client's CSRF secret of the double-submit cookie, or a new one"
    csrf = request.cookies.get(cookie)
    if not csrf or not SECRET.fullmatch(csrf):
        csrf = secrets.token_urlsafe(32)
    return csrf


def with_csrf(response, request, csrf, path=None, cookie=CSRF_COOKIE):
    """Set the CSRF cookie of a page whose forms post under path (the
    page's own address by default)"""
    response.set_cookie(cookie, csrf, httponly=True, samesite='Strict',
        secure=request.is_secure, path=path or request.path)
    return response


def csrf_ok(request, cookie=CSRF_COOKIE):
    "Whether the form's CSRF value is the page's cookie"
    form_csrf = request.form.get('csrf', '')
    cookie_csrf = request.cookies.get(cookie, '')
    return bool(cookie_csrf and form_csrf
        and hmac.compare_digest(form_csrf, cookie_csrf))


def kiosk_page(request, screen, error=None, status=HTTPStatus.OK,
        path=None):
    "The kiosk's page; path is its address when another one answers"
    path = path or request.path
    queue = queue_state(screen.site.id)
    states = {s.sector: s for s in queue.sectors}
    sectors = []
    for sector in screen.shown_sectors():
        state = states.get(sector.id)
        sectors.append({'id': sector.id, 'code': sector.code,
                'name': sector.name,
                'text': wait_text(state) if state else t('queue_none')})
    csrf = csrf_token(request)
    response = render('kiosk.html', status=status,
        site=screen.site.name, sectors=[Item(s) for s in sectors],
        pictogram=pictogram, csrf=csrf, error=error, action=path,
        check_in=f'{path}/rendez-vous' if screen.site.appointments
        else None,
        # its form posts with the page's origin, which trytond checks
        referrer='same-origin')
    return with_csrf(response, request, csrf, path)


class Item(dict):
    "A dict whose keys the template reads as attributes (sector.name)"
    __getattr__ = dict.__getitem__


@app.route('/<database_name>/borne/<token>', methods={'GET', 'POST'})
@public_page
@with_pool
@with_transaction()
def kiosk(request, pool, token):
    Screen = pool.get('case.screen')
    Sector = pool.get('network.sector')
    Ticket = pool.get('case.ticket')
    screen = Screen.from_token(token, 'kiosk')
    if screen is None:
        return unknown_page()
    if request.method == 'GET':
        return kiosk_page(request, screen)
    if not csrf_ok(request):
        return kiosk_page(request, screen, t('kiosk_expired'),
            HTTPStatus.FORBIDDEN)
    if KIOSK_TICKETS.exceeded(screen.id):
        return kiosk_page(request, screen, t('kiosk_busy'),
            HTTPStatus.TOO_MANY_REQUESTS)
    try:
        sector_id = int(request.form.get('sector', ''))
    except ValueError:
        sector_id = None
    offered = {s.id for s in screen.shown_sectors()}
    if sector_id not in offered:
        return kiosk_page(request, screen, t('kiosk_sector'),
            HTTPStatus.BAD_REQUEST)
    ticket = Ticket.take_at_kiosk(screen, Sector(sector_id))
    KIOSK_TICKETS.add(screen.id)
    return secure_headers(redirect(
            f'{request.path}/ticket/{ticket.follow_token}',
            HTTPStatus.SEE_OTHER), no_store=True)


def ahead_text(ahead):
    if ahead is None:
        return ''
    if ahead == 0:
        return t('ahead_none')
    if ahead == 1:
        return t('ahead_one')
    return t('ahead', count=ahead)


def ticket_wait(ticket):
    "The people ahead of the waiting ticket and the minutes to wait"
    ahead = ticket.position()
    if ahead is None:
        return None, None
    states = {s.sector: s for s in queue_state(ticket.site.id).sectors}
    state = states.get(ticket.sector.id)
    if state is None:
        return ahead, None
    return ahead, estimated_minutes(
        ahead, state.service_minutes, state.counters)


@app.route('/<database_name>/borne/<token>/ticket/<follow_token>',
    methods={'GET'})
@public_page
@with_pool
@with_transaction(readonly=True)
def kiosk_ticket(request, pool, token, follow_token):
    Screen = pool.get('case.screen')
    Ticket = pool.get('case.ticket')
    screen = Screen.from_token(token, 'kiosk')
    ticket = Ticket.from_follow_token(follow_token) if screen else None
    if ticket is None or ticket.site != screen.site:
        return unknown_page()
    ahead, minutes = ticket_wait(ticket)
    nonce = secrets.token_urlsafe(16)
    kiosk_url = request.path.rsplit('/ticket/', 1)[0]
    follow_url = f'{base_url(request)}/{pool.database_name}/ticket/' \
        f'{ticket.follow_token}'
    return render('ticket.html', policy=page_policy(nonce),
        site=screen.site.name, number=ticket.number,
        sector=ticket.sector.name,
        issued=t('ticket_issued',
            date=ticket.arrived_at.strftime('%d/%m/%Y'),
            time=ticket.arrived_at.strftime('%H:%M')),
        ahead=ahead_text(ahead),
        wait=t('ticket_wait', minutes=minutes) if minutes else None,
        appointment=t('ticket_appointment',
            time=ticket.appointment.start.strftime('%H:%M'))
        if ticket.appointment else None,
        qr=qr_code(follow_url), back=kiosk_url, nonce=nonce,
        print_script=request.args.get('imprimer') != '0')


@app.route('/<database_name>/ticket/<follow_token>', methods={'GET'})
@public_page
@with_pool
@with_transaction(readonly=True)
def follow(request, pool, follow_token):
    Ticket = pool.get('case.ticket')
    Date = pool.get('ir.date')
    ticket = Ticket.from_follow_token(follow_token)
    if ticket is None:
        return unknown_page()
    refresh = None
    detail = None
    notice = None
    more_time = None
    state_class = ''
    if ticket.date != Date.today() and ticket.state in {'waiting', 'called'}:
        state = t('follow_expired')
    elif ticket.state == 'waiting':
        ahead, minutes = ticket_wait(ticket)
        state = ahead_text(ahead)
        detail = t('ticket_wait', minutes=minutes) if minutes else None
        refresh = FOLLOW_REFRESH
        if ticket.more_time_until and (
                ticket.more_time_until > dt.datetime.now()):
            notice = t('more_time_until',
                time=ticket.more_time_until.strftime('%H:%M'))
        elif ticket.requeued:
            notice = t('requeued')
        if ticket.remote and not ticket.more_time_until:
            more_time = f'{request.path}/plus-de-temps'
    elif ticket.state == 'called':
        counter = ticket.counter.call_label if ticket.counter else ''
        state = t('follow_called', counter=counter)
        state_class = 'called'
        refresh = FOLLOW_REFRESH
    elif ticket.state == 'done':
        state = t('follow_done')
    else:
        state = t('follow_absent')
    csrf = csrf_token(request)
    response = render('follow.html', title=t('follow_title'),
        network=t('network'), site=ticket.site.name, number=ticket.number,
        sector=ticket.sector.name, state=state, state_class=state_class,
        detail=detail, refresh=refresh, notice=notice, more_time=more_time,
        csrf=csrf, minutes=MORE_TIME,
        # its form posts with the page's origin, which trytond checks
        referrer='same-origin' if more_time else 'no-referrer')
    if more_time:
        with_csrf(response, request, csrf)
    return response


@app.route('/<database_name>/ticket/<follow_token>/plus-de-temps',
    methods={'POST'})
@public_page
@with_pool
@with_transaction()
def more_time(request, pool, follow_token):
    "The visitor who joined from a phone asks for more time, once"
    Ticket = pool.get('case.ticket')
    ticket = Ticket.from_follow_token(follow_token)
    if ticket is None:
        return unknown_page()
    page = request.path.rsplit('/', 1)[0]
    if not csrf_ok(request):
        return secure_headers(redirect(page, HTTPStatus.SEE_OTHER),
            no_store=True)
    if ticket.remote and ticket.state == 'waiting' \
            and not ticket.more_time_until:
        ticket.ask_more_time()
    return secure_headers(redirect(page, HTTPStatus.SEE_OTHER),
        no_store=True)


def remote_page(request, site, error=None, status=HTTPStatus.OK,
        phone=''):
    queue = queue_state(site.id)
    states = {s.sector: s for s in queue.sectors}
    sectors = []
    if site.remote_queue:
        for sector in remote_sectors(site):
            state = states.get(sector.id)
            sectors.append(Item({'id': sector.id, 'name': sector.name,
                    'text': wait_text(state) if state
                    else t('queue_none')}))
    else:
        error = error or t('remote_closed')
    csrf = csrf_token(request)
    response = render('remote.html', status=status,
        title=t('remote_title'), site=site.name, sectors=sectors,
        csrf=csrf, error=error, action=request.path, phone=phone,
        referrer='same-origin')
    return with_csrf(response, request, csrf)


@app.route('/<database_name>/file/<code>', methods={'GET', 'POST'})
@public_page
@with_pool
@with_transaction()
def remote_join(request, pool, code):
    "Join a site's queue from a phone"
    Sector = pool.get('network.sector')
    Ticket = pool.get('case.ticket')
    site = site_by_code(pool, code)
    if site is None:
        return unknown_page()
    if request.method == 'GET' or not site.remote_queue:
        return remote_page(request, site)
    phone = request.form.get('phone', '')[:30]
    if not csrf_ok(request):
        return remote_page(request, site, t('kiosk_expired'),
            HTTPStatus.FORBIDDEN, phone)
    client = client_key(request)
    if REMOTE_JOINS.exceeded(client):
        return remote_page(request, site, t('remote_busy'),
            HTTPStatus.TOO_MANY_REQUESTS, phone)
    try:
        sector = Sector(int(request.form.get('sector', '')))
    except ValueError:
        sector = None
    if sector is None or sector not in remote_sectors(site):
        return remote_page(request, site, t('kiosk_sector'),
            HTTPStatus.BAD_REQUEST, phone)
    try:
        ticket = Ticket.join_remotely(site, sector, phone)
    except WaitingRoomError as error:
        return remote_page(request, site, error.message,
            HTTPStatus.BAD_REQUEST, phone)
    REMOTE_JOINS.add(client)
    return secure_headers(redirect(
            f'/{pool.database_name}/ticket/{ticket.follow_token}',
            HTTPStatus.SEE_OTHER), no_store=True)


@app.route('/<database_name>/ecran', methods={'GET', 'POST'})
@app.route('/<database_name>/ecran/', methods={'GET', 'POST'})
@app.route('/<database_name>/ecran/<path:rest>', methods={'GET', 'POST'})
@app.route('/<database_name>/borne', methods={'GET', 'POST'})
@app.route('/<database_name>/borne/', methods={'GET', 'POST'})
@app.route('/<database_name>/borne/<path:rest>', methods={'GET', 'POST'})
@app.route('/<database_name>/ticket', methods={'GET', 'POST'})
@app.route('/<database_name>/ticket/', methods={'GET', 'POST'})
@app.route('/<database_name>/ticket/<path:rest>', methods={'GET', 'POST'})
def unknown(request, database_name, rest=''):
    "Any other address under these pages: the French unknown page"
    client = client_key(request)
    if UNKNOWN.exceeded(client):
        return too_many_page()
    UNKNOWN.add(client)
    return unknown_page()
