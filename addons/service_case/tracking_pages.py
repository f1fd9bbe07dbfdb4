"""Track my case, without login:

- /<database>/suivi: a form asking for the case number and the tracking
  code printed on the receipt (a double-submit CSRF cookie protects it);
- /<database>/suivi/<number>/<code>: the same answer from the QR code of
  the receipt;
- /<database>/sms/entrant: the SMS gateway's inbound messages: « SUIVI
  <number> <code> » is answered with the case's progress, in the body of
  the HTTP answer, which gateways such as Kannel (get-url) and most
  aggregators send back to the sender as the reply SMS; « FILE <service
  code> » sent to a site's number joins its queue (the ticket's SMS leaves
  through the outbox). The gateway authenticates with the inbound key of
  the case configuration.

A wrong number and a wrong code get the same answer, so nothing tells
whether a case exists. Failed attempts are limited per client (address or
phone) and per case number; nothing personal is shown."""
import hmac
import re

from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    HTTPStatus,
    Response,
    with_pool,
    with_transaction,
)
from trytond.wsgi import app

from service_network.http_headers import API_POLICY, secure_headers
from service_network.phone import format_sn_phone

from .exceptions import WaitingRoomError
from .notification import fit_sms
from .remote_queue import remote_sectors
from .sms import to_gsm
from .tracking import clean_number
from .waiting_pages import (
    RateLimit,
    client_key,
    csrf_ok,
    csrf_token,
    page_policy,
    render,
    t,
    with_csrf,
)
from .workflow import OPEN_STATES

CSRF_COOKIE = 'ess_suivi'
# Failed attempts allowed: per client in 10 minutes, per case number in an
# hour (against a guess spread over many addresses), per phone in an hour
FAILURES_PER_CLIENT = 10
FAILURES_PER_CASE = 10
FAILURES_PER_PHONE = 5
CLIENT_FAILURES = RateLimit(FAILURES_PER_CLIENT, 600)
CASE_FAILURES = RateLimit(FAILURES_PER_CASE, 3600)
PHONE_FAILURES = RateLimit(FAILURES_PER_PHONE, 3600)
KEYWORD = re.compile(r'^\s*SUIVI\b\s*(.*)$', re.IGNORECASE | re.DOTALL)
QUEUE_KEYWORD = re.compile(r'^\s*FILE\b\s*(\w*)', re.IGNORECASE)
# tickets a phone may take by SMS in an hour
SMS_JOINS = RateLimit(5, 3600)
DATE = '%d/%m/%Y'


def limits():
    "The rate limits of tracking (the tests empty them)"
    return [CLIENT_FAILURES, CASE_FAILURES, PHONE_FAILURES, SMS_JOINS]


def too_many(client, number):
    return CLIENT_FAILURES.exceeded(client) or (
        number is not None and CASE_FAILURES.exceeded(number))


def failed(client, number):
    CLIENT_FAILURES.add(client)
    if number is not None:
        CASE_FAILURES.add(number)


def state_text(facts):
    "What the state of the case means for the citizen, in a sentence"
    return gettext(f'service_case.msg_track_state_{facts["state"]}',
        site=facts['site'])


def result_lines(facts):
    "The facts of the result page, as (label, value) pairs"
    lines = [(t('track_procedure'), facts['procedure']),
        (t('track_site'), facts['site'])]
    if facts['submitted']:
        lines.append((t('track_submitted'),
                facts['submitted'].strftime(DATE)))
    if facts['delivered']:
        lines.append((t('track_delivered'),
                facts['delivered'].strftime(DATE)))
    elif facts['due_date'] and facts['state'] not in {
            'draft', 'rejected', 'cancelled'}:
        lines.append((t('track_due'), facts['due_date'].strftime(DATE)))
    return lines


def form_page(request, number='', error=None, status=HTTPStatus.OK):
    csrf = csrf_token(request, CSRF_COOKIE)
    response = render('track.html', status=status,
        title=t('track_title'), network=t('network'), csrf=csrf,
        number=number, error=error, facts=None, action=request.path,
        # its form posts with the page's origin, which trytond checks
        referrer='same-origin')
    return with_csrf(response, request, csrf, cookie=CSRF_COOKIE)


def result_page(database_name, facts):
    return render('track.html', title=t('track_title'),
        network=t('network'), facts=facts, state=state_text(facts),
        lines=result_lines(facts), late=facts['late'],
        again=f'/{database_name}/suivi', policy=page_policy())


def too_many_attempts(request):
    return render('track.html', status=HTTPStatus.TOO_MANY_REQUESTS,
        title=t('track_title'), network=t('network'), facts=None,
        blocked=t('track_too_many'))


def track(request, pool, number, code):
    """The answer to number and code from client: the result page, or None
    when they do not match (counted as a failure)"""
    Case = pool.get('case.case')
    client = client_key(request)
    case = Case.from_tracking(number, code)
    if case is None:
        failed(client, clean_number(number))
        return None
    return result_page(pool.database_name, case.tracking_facts())


@app.route('/<database_name>/suivi', methods={'GET', 'POST'})
@with_pool
@with_transaction(readonly=True)
def track_form(request, pool):
    client = client_key(request)
    if request.method == 'GET':
        if CLIENT_FAILURES.exceeded(client):
            return too_many_attempts(request)
        return form_page(request)
    number = request.form.get('number', '')[:40]
    code = request.form.get('code', '')[:40]
    if too_many(client, clean_number(number)):
        return too_many_attempts(request)
    if not csrf_ok(request, CSRF_COOKIE):
        return form_page(request, number, t('track_expired'),
            HTTPStatus.FORBIDDEN)
    if not number.strip() or not code.strip():
        return form_page(request, number, t('track_missing'),
            HTTPStatus.BAD_REQUEST)
    response = track(request, pool, number, code)
    if response is None:
        return form_page(request, number, t('track_unknown'),
            HTTPStatus.NOT_FOUND)
    return response


@app.route('/<database_name>/suivi/<number>/<code>', methods={'GET'})
@with_pool
@with_transaction(readonly=True)
def track_link(request, pool, number, code):
    "The address of the receipt's QR code"
    client = client_key(request)
    if too_many(client, clean_number(number)):
        return too_many_attempts(request)
    response = track(request, pool, number, code)
    if response is None:
        return form_page(request, '', t('track_unknown'),
            HTTPStatus.NOT_FOUND)
    return response


def sms_answer(text, status=HTTPStatus.OK):
    "The reply SMS, in the GSM alphabet, as the body of the answer"
    return secure_headers(Response(to_gsm(text), status,
            content_type='text/plain; charset=utf-8'),
        policy=API_POLICY, no_store=True)


def sms_reply(pool, phone, text):
    """The reply to the SMS text from phone, or None when it is not a
    tracking request"""
    Case = pool.get('case.case')
    match = KEYWORD.match(text or '')
    if not match:
        return None
    if PHONE_FAILURES.exceeded(phone):
        return gettext('service_case.msg_track_sms_too_many')
    words = match.group(1).split()
    if len(words) < 2:
        return gettext('service_case.msg_track_sms_help')
    number, code = ' '.join(words[:-1]), words[-1]
    if len(words) > 2 and clean_number(' '.join(words[:-2])) and len(
            re.sub(r'[^0-9A-Za-z]', '', words[-2] + words[-1])) == 8:
        # the code typed in two groups (K7MQ RT3X)
        number, code = ' '.join(words[:-2]), words[-2] + words[-1]
    clean = clean_number(number)
    if clean is not None and CASE_FAILURES.exceeded(clean):
        return gettext('service_case.msg_track_sms_too_many')
    case = Case.from_tracking(number, code)
    if case is None:
        PHONE_FAILURES.add(phone)
        if clean is not None:
            CASE_FAILURES.add(clean)
        return gettext('service_case.msg_track_sms_unknown')
    facts = case.tracking_facts()
    text = state_text(facts)
    if facts['due_date'] and facts['state'] in OPEN_STATES - {'ready'}:
        text += ' ' + gettext('service_case.msg_track_sms_due',
            due_date=facts['due_date'].strftime(DATE))
    # the procedure's name is shortened if that makes one SMS
    return fit_sms(f'{facts["number"]} (%(procedure)s) : {text}',
        {'procedure': facts['procedure']})


def queue_reply(pool, phone, to, text):
    """Join the queue of the site whose number is to: « FILE <sector
    code> »; the reply when the SMS cannot be taken (the ticket's SMS goes
    through the outbox), '' once taken, None when it is not such an SMS"""
    Site = pool.get('network.site')
    Ticket = pool.get('case.ticket')
    match = QUEUE_KEYWORD.match(text or '')
    if not match:
        return None
    if SMS_JOINS.exceeded(phone):
        return gettext('service_case.msg_track_sms_too_many')
    number = format_sn_phone(to or '')
    sites = [s for s in Site.search([('remote_queue', '=', True)])
        if s.phone and format_sn_phone(s.phone) == number]
    if not sites:
        return gettext('service_case.msg_remote_sms_no_site')
    site, = sites[:1]
    offered = remote_sectors(site)
    code = match.group(1).upper()
    chosen = [s for s in offered if (s.code or '').upper() == code]
    if not chosen:
        return gettext('service_case.msg_remote_sms_help', site=site.name,
            sectors=', '.join(f'{s.code} ({s.name})' for s in offered))
    try:
        Ticket.join_remotely(site, chosen[0], phone)
    except WaitingRoomError as error:
        return error.message
    SMS_JOINS.add(phone)
    return ''


@app.route('/<database_name>/sms/entrant', methods={'GET', 'POST'})
@with_pool
@with_transaction()
def sms_inbound(request, pool):
    """An SMS received by the gateway: its sender in « from », the number
    it was sent to in « to » and its text in « text », as form fields or
    query parameters; the gateway's key in « key »"""
    Configuration = pool.get('case.configuration')
    values = request.form if request.method == 'POST' else request.args
    key = request.args.get('key') or values.get('key', '')
    expected = Configuration(1).sms_inbound_key
    if not expected or not hmac.compare_digest(
            key.encode('utf-8'), expected.encode('utf-8')):
        return sms_answer('', HTTPStatus.FORBIDDEN)
    phone = re.sub(r'[^0-9+]', '', values.get('from', ''))[:20]
    text = values.get('text', '')[:480]
    if not phone:
        return sms_answer('', HTTPStatus.BAD_REQUEST)
    reply = sms_reply(pool, phone, text)
    if reply is None:
        reply = queue_reply(pool, phone, values.get('to', '')[:30], text)
    if reply == '':
        # taken: its SMS leaves through the outbox
        return sms_answer('', HTTPStatus.NO_CONTENT)
    if reply is None:
        # not ours to answer: no reply SMS
        return sms_answer('', HTTPStatus.NO_CONTENT)
    return sms_answer(reply)
