"""The citizen's SMS, for real: the demo served through HTTP, its SMS
gateway pointed by scripts/demo_db.py at the SMS simulator of
scripts/partner_stubs.py, agent.zig delivers a case over JSON-RPC, the
scheduled task sends its SMS, which reaches the simulator's log with an
absolute link to the rating page; the page, a used and an unknown link
answer French pages. Without a public address the SMS is not sent but
failed with a French error, and Retry sends it once the address is set."""
import datetime as dt
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from browser_tools import ROOT, SCREENSHOTS, free_port
from connector.tests.servers import LocalServer
from security_tools import RPCError, SecurityServer
from service_case.sms import SMS_LENGTH, gsm_length, is_gsm

sys.path.insert(0, str(ROOT / 'scripts'))
import partner_stubs  # noqa: E402


@pytest.fixture(scope='module')
def sms_log(tmp_path_factory):
    return tmp_path_factory.mktemp('sms') / 'sms.log'


@pytest.fixture(scope='module')
def gateway(sms_log):
    with LocalServer(partner_stubs.SmsGateway(sms_log), free_port()) as server:
        yield server


@pytest.fixture(scope='module')
def server(gateway):
    server = SecurityServer('ess_sms')
    # what demo.sh gives scripts/demo_db.py: the simulator's port; the
    # public address is the server's own (TRYTOND_WEB__LISTEN)
    server.env['ESS_SMS_PORT'] = str(gateway.port)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def users(server):
    return {login: server.rpc().login(login)
        for login in ['admin', 'reseau', 'agent.zig']}


def fetch(url, data=None):
    "The status and text of a page, errors included"
    body = urllib.parse.urlencode(data).encode() if data else None
    try:
        with urllib.request.urlopen(url, body, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def title(page):
    return re.search(r'<title>(.*?)</title>', page).group(1)


def ready_case(agent):
    "A case of Ziguinchor ready to be collected, with its citizen's phone"
    cases = agent.model('case.case', 'search_read', [
            ('site.code', '=', 'ZIG'), ('state', '=', 'ready'),
            ('phone', '!=', None), ('notifications', '=', None),
            ], 0, 1, None, ['number'])
    if not cases:
        cases = agent.model('case.case', 'search_read', [
                ('site.code', '=', 'ZIG'), ('state', '=', 'ready'),
                ('phone', '!=', None),
                ], 0, 1, None, ['number'])
    assert cases, "the demo has no ready case at Ziguinchor"
    return cases[0]


def deliver(agent, case):
    "The citizen collects the document, showing the national ID card"
    agent.model('case.case', 'write', [case['id']], {
            'recipient_kind': 'citizen', 'recipient_id_type': 'cni',
            'recipient_id_number': '1 751 1990 01234'})
    agent.model('case.case', 'deliver', [case['id']])


def delivered_sms(agent, case):
    notifications = agent.model('case.notification', 'search_read', [
            ('case', '=', case['id']), ('event', '=', 'delivered'),
            ('channel', '=', 'sms'),
            ], 0, None, None, ['state', 'text', 'last_error'])
    assert len(notifications) == 1
    return notifications[0]


def send(admin, agent, case):
    """Run the scheduled task of the notifications as the scheduler does
    until the case's delivery SMS has left (the demo's own pending ones
    go first)"""
    cron, = admin.model('ir.cron', 'search', [
            ('method', '=', 'case.notification|send_pending')])
    for _ in range(20):
        admin.model('ir.cron', 'run_once', [cron])
        notification = delivered_sms(agent, case)
        if notification['state'] != 'pending':
            return notification
    raise AssertionError("the delivery SMS never left the outbox")


def logged_sms(sms_log, number):
    "The SMS of the delivery of case number in the simulator's log"
    entries = re.findall(
        r'^(\S+ \S+ SMS à .*?)\n    (.*)$', sms_log.read_text(), re.M)
    texts = [text for head, text in entries
        if f'({number}, delivered,' in head]
    assert len(texts) == 1, entries[-5:]
    return texts[0]


def configuration(server):
    row, = server.sql('SELECT public_url FROM case_configuration')
    return row[0]


def test_demo_configured(server, gateway):
    "The demo's SMS go to the simulator, with links to the demo's address"
    assert configuration(server) == server.url
    row, = server.sql(
        'SELECT notification_sender, sms_gateway_url '
        'FROM case_configuration')
    assert row == ('http', f'http://127.0.0.1:{gateway.port}/sms')


def test_delivered_sms_opens_the_rating_page(server, users, sms_log):
    admin, agent = users['admin'], users['agent.zig']
    case = ready_case(agent)
    deliver(agent, case)
    notification = send(admin, agent, case)
    assert notification['state'] == 'sent', notification['last_error']
    text = logged_sms(sms_log, case['number'])
    assert text == notification['text']
    assert is_gsm(text) and gsm_length(text) <= SMS_LENGTH
    assert text.startswith("Espace Sénégal Services de Ziguinchor : "
        f"dossier {case['number']} remis. Merci ! Votre avis : ")
    link = text.rsplit(' ', 1)[1]
    assert re.fullmatch(
        re.escape(f'{server.url}/{server.database}/avis/')
        + r'[A-Za-z0-9_-]{16}', link)

    status, page = fetch(link)
    assert status == 200
    assert '<html lang="fr">' in page
    assert title(page) == "Votre avis - Espace Sénégal Services"
    assert "Espace Sénégal Services de Ziguinchor" in page
    assert case['number'] in page and "Êtes-vous satisfait" in page

    status, page = fetch(link, {'rating': '5', 'comment': "Rapide"})
    assert status == 200
    assert "Merci ! Votre avis sur le dossier" in page
    rated = agent.model('case.case', 'read', [case['id']], ['rating'])
    assert rated[0]['rating'] == 5

    # used: 410, a French thanks, and the first rating kept
    for url, data in [(link, None), (link, {'rating': '1'}),
            (link.replace('/avis/', '/service_case/rate/'), None)]:
        status, page = fetch(url, data)
        assert status == 410
        assert title(page) == "Avis déjà donné - Espace Sénégal Services"
        assert "Vous avez déjà donné votre avis" in page
        assert "Merci" in page
    rated = agent.model('case.case', 'read', [case['id']], ['rating'])
    assert rated[0]['rating'] == 5


@pytest.mark.parametrize('path', [
        'avis/AAAAAAAAAAAAAAAAAAAAAAAA',
        'avis/court',
        'avis/',
        'avis',
        'avis/a/b',
        'service_case/rate/AAAAAAAAAAAAAAAAAAAAAAAA',
        'service_case/rate/',
        'service_case/inconnu',
        'service_case',
        ])
def test_unknown_links_french(server, path):
    for url in [f'{server.url}/{server.database}/{path}',
            f'{server.url}/base_inconnue/{path}']:
        status, page = fetch(url)
        assert status == 404, url
        assert '<html lang="fr">' in page
        assert title(page) == "Lien inconnu - Espace Sénégal Services"
        assert "Ce lien est inconnu ou n'est plus valable" in page
        assert 'Not Found' not in page


def test_no_public_address(server, users, sms_log):
    """Without a public address the delivery SMS fails with a French error
    (no relative link reaches a phone); Retry sends it once it is set"""
    admin, reseau, agent = users['admin'], users['reseau'], users['agent.zig']
    config = admin.model('case.configuration', 'search', [])

    # a wrong address is refused in French, and nothing is written
    time.sleep(1.1)
    with pytest.raises(RPCError) as refusal:
        reseau.model('case.configuration', 'write', config,
            {'public_url': 'ess.sn'})
    assert "n'est pas une adresse web" in refusal.value.message
    assert configuration(server) == server.url

    reseau.model('case.configuration', 'write', config, {'public_url': None})
    case = ready_case(agent)
    deliver(agent, case)
    notification = delivered_sms(agent, case)
    assert notification['state'] == 'failed'
    assert "l'adresse publique de l'ERP n'est pas configurée" in (
        notification['last_error'])
    assert '/avis/' not in notification['text']
    send(admin, agent, case)
    assert f'({case["number"]}, delivered,' not in sms_log.read_text()

    reseau.model('case.configuration', 'write', config,
        {'public_url': server.url + '/'})
    ids = agent.model('case.notification', 'search', [
            ('case', '=', case['id']), ('event', '=', 'delivered')])
    reseau.model('case.notification', 'retry', ids)
    notification = send(admin, agent, case)
    assert notification['state'] == 'sent'
    link = logged_sms(sms_log, case['number']).rsplit(' ', 1)[1]
    assert link.startswith(f'{server.url}/{server.database}/avis/')
    status, page = fetch(link)
    assert status == 200 and "Êtes-vous satisfait" in page


def queue_sms(sms_log, number, event):
    "The texts of the SMS of event about queue ticket number in the log"
    entries = re.findall(
        r'^(\S+ \S+ SMS à .*?)\n    (.*)$', sms_log.read_text(), re.M)
    return [(head, text) for head, text in entries
        if f'({number}, {event},' in head]


def run_sender(admin):
    cron, = admin.model('ir.cron', 'search', [
            ('method', '=', 'case.notification|send_pending')])
    admin.model('ir.cron', 'run_once', [cron])


def test_walk_in_joins_remotely(server, users, sms_log, browser):
    """A walk-in joins Ziguinchor's Justice queue from a phone in Chromium,
    gets the SMS of the ticket, then the one saying few people are ahead
    once agent.zig called the others; asks for more time once; the same
    phone cannot join twice"""
    from test_browser_waiting_room import open_desk
    admin, agent = users['admin'], users['agent.zig']
    justice, = agent.model('network.sector', 'search', [
            ('code', '=', 'J')], 0, None, None)
    # four visitors took their tickets at the kiosk before
    agent.model('case.ticket', 'create', [{'sector': justice}] * 4)

    phone = browser.new_context(locale='fr-FR',
        viewport={'width': 390, 'height': 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(f'{server.url}/{server.database}/file/ZIG')
    assert page.locator('h1').inner_text() == "Rejoindre la file d'attente"
    page.locator('label.choice', has_text='Justice').locator(
        'input').check()
    page.get_by_label('Votre numéro de portable').fill('77 245 18 64')
    page.screenshot(path=str(SCREENSHOTS / 'remote-join.png'))
    tickets = server.count('case_ticket')
    page.get_by_role('button', name='Prendre mon ticket').click()
    page.wait_for_url(re.compile(r'/ticket/[\w-]{43}$'))
    assert server.count('case_ticket') == tickets + 1
    number = page.locator('.number').inner_text()
    assert re.fullmatch(r'J-\d{3}', number), number
    assert page.locator('.state').inner_text() == '4 personnes avant vous'
    page.screenshot(path=str(SCREENSHOTS / 'remote-ticket.png'))

    # the same phone again: refused, nothing saved
    page.goto(f'{server.url}/{server.database}/file/ZIG')
    page.locator('label.choice', has_text='Justice').locator(
        'input').check()
    page.get_by_label('Votre numéro de portable').fill('+221772451864')
    page.get_by_role('button', name='Prendre mon ticket').click()
    page.wait_for_selector('text=a déjà un ticket dans cette file')
    assert server.count('case_ticket') == tickets + 1
    page.go_back()
    page.go_back()

    run_sender(admin)
    (head, text), = queue_sms(sms_log, number, 'queue_joined')
    assert 'SMS à +221 77 245 18 64' in head
    assert '4 personne(s) avant vous' in text

    # agent.zig calls the first one: 3 ahead, the default of the sector
    desk_id = open_desk(agent, 'Guichet 2')
    agent.model('case.desk', 'call_next', [desk_id])
    run_sender(admin)
    (head, text), = queue_sms(sms_log, number, 'queue_ahead')
    assert 'plus que 3 personne(s) avant vous' in text, text
    assert f'/{server.database}/ticket/' in text

    # more time, once
    page.reload()
    assert page.locator('.state').inner_text() == '3 personnes avant vous'
    page.get_by_role('button', name="J'ai besoin de plus de temps").click()
    page.wait_for_selector('text=Vous ne serez pas appelé avant')
    assert not page.get_by_role(
        'button', name="J'ai besoin de plus de temps").count()
    page.screenshot(path=str(SCREENSHOTS / 'remote-more-time.png'))
    phone.close()
    agent.model('case.desk', 'finish', [desk_id])


def soon_today(minutes):
    """A time today, minutes from now, or 5 minutes ago when that would be
    tomorrow: an appointment checked in from 30 minutes before its time to
    15 minutes after"""
    now = dt.datetime.now().replace(second=0, microsecond=0)
    start = now + dt.timedelta(minutes=minutes)
    if start.date() != now.date():
        start = now - dt.timedelta(minutes=5)
    return start


def test_appointment_journey(server, users, sms_log, browser):
    """A citizen books an appointment at Ziguinchor on a phone in
    Chromium, confirms it with the code of the SMS (the simulator's log),
    gets the reminder the day before; on the day checks in at the kiosk
    with the appointment's code, and is called first, before four
    walk-ins, on the display screen within a poll of agent.zig's click"""
    from test_browser_waiting_room import RECORDER, open_desk, screen_url
    admin, agent = users['admin'], users['agent.zig']
    database = server.database
    phone = browser.new_context(locale='fr-FR',
        viewport={'width': 390, 'height': 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(f'{server.url}/{database}/rdv')
    page.get_by_role('link', name=re.compile('Ziguinchor')).click()
    assert page.locator('h1').inner_text() == 'Prendre rendez-vous'
    page.get_by_role('link',
        name='Extrait du bulletin n° 3 du casier judiciaire').click()
    assert 'Pièces à apporter' in page.content()
    page.screenshot(path=str(SCREENSHOTS / 'appointment-days.png'))
    page.locator('ul.links a').first.click()
    page.locator('.slots label.choice').first.locator('input').check()
    slot = page.locator('.slots label.choice').first.inner_text().strip()
    page.get_by_label('Votre nom').fill('Mariama Coly')
    page.get_by_label('Votre numéro de portable').fill('70 411 22 33')
    page.screenshot(path=str(SCREENSHOTS / 'appointment-slots.png'))
    appointments = server.count('case_appointment')
    page.get_by_role('button', name='Réserver ce créneau').click()
    page.wait_for_url(re.compile(r'/rendez-vous/[\w-]{43}$'))
    assert server.count('case_appointment') == appointments + 1
    token = page.url.rsplit('/', 1)[1]
    (reference, state, start), = server.sql(
        'SELECT reference, state, start FROM case_appointment '
        'WHERE token = %s', (token,))
    assert state == 'pending' and f' {slot}' in str(start), (start, slot)
    assert 'Mariama' not in page.content()

    run_sender(admin)
    (head, text), = queue_sms(sms_log, reference, 'appointment_code')
    assert 'SMS à +221 70 411 22 33' in head
    code = re.search(r'\b(\d{6})\b', text).group(1)
    # a wrong code first: refused, counted, nothing else changes
    page.get_by_label('Code reçu par SMS').fill('000000' if code != '000000'
        else '111111')
    page.get_by_role('button', name='Confirmer').click()
    page.wait_for_selector('text=Code erroné : encore 4 essai(s).')
    assert server.sql('SELECT state, code_attempts FROM case_appointment '
        'WHERE token = %s', (token,)) == [('pending', 1)]
    page.get_by_label('Code reçu par SMS').fill(code)
    page.get_by_role('button', name='Confirmer').click()
    page.wait_for_selector('text=Rendez-vous confirmé')
    assert page.locator('.reference').inner_text() == reference
    page.screenshot(path=str(SCREENSHOTS / 'appointment-confirmed.png'))
    run_sender(admin)
    (_, text), = queue_sms(sms_log, reference, 'appointment_booked')
    assert f'/{database}/rendez-vous/{token}' in text, text

    # the reminder the day before (the appointment moved to tomorrow)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    server.sql('UPDATE case_appointment SET date = %s, start = %s '
        'WHERE token = %s', (tomorrow, dt.datetime.combine(
                tomorrow, dt.time(9)), token))
    cron, = admin.model('ir.cron', 'search', [
            ('method', '=', 'case.appointment|send_reminders')])
    # the reminders leave from 17:00: from midnight for the test's sake
    admin.model('case.configuration', 'write', [1],
        {'appointment_reminder_hour': 0})
    admin.model('ir.cron', 'run_once', [cron])
    admin.model('ir.cron', 'run_once', [cron])
    admin.model('case.configuration', 'write', [1],
        {'appointment_reminder_hour': 17})
    run_sender(admin)
    (_, text), = queue_sms(sms_log, reference, 'appointment_reminder')
    assert 'rappel' in text and 'demain' in text and '09:00' in text, text

    # the day: due in 10 minutes; four walk-ins took tickets before
    start = soon_today(10)
    server.sql('UPDATE case_appointment SET date = %s, start = %s, '
        '"end" = %s WHERE token = %s', (start.date(), start,
            start + dt.timedelta(minutes=15), token))
    justice, = agent.model('network.sector', 'search', [
            ('code', '=', 'J')], 0, None, None)
    walk_ins = agent.model('case.ticket', 'create', [{'sector': justice}] * 4)

    room = browser.new_context(locale='fr-FR',
        viewport={'width': 1920, 'height': 1080})
    room.add_init_script(RECORDER)
    display = room.new_page()
    display.goto(screen_url(server, 'display'))
    display.wait_for_selector('#queue li')

    kiosk = browser.new_context(locale='fr-FR',
        viewport={'width': 1080, 'height': 1920}, has_touch=True)
    touch = kiosk.new_page()
    touch.goto(screen_url(server, 'kiosk'))
    tickets = server.count('case_ticket')
    touch.get_by_label("J'ai un rendez-vous").fill('70 000 00 00')
    touch.get_by_role('button', name='Enregistrer mon arrivée').tap()
    touch.wait_for_selector('text=Aucun rendez-vous aujourd')
    assert server.count('case_ticket') == tickets
    touch.get_by_label("J'ai un rendez-vous").fill(reference.lower())
    touch.screenshot(path=str(SCREENSHOTS / 'appointment-kiosk.png'))
    touch.get_by_role('button', name='Enregistrer mon arrivée').tap()
    touch.wait_for_url(re.compile('/ticket/'))
    assert server.count('case_ticket') == tickets + 1
    number = touch.locator('.ticket .number').inner_text()
    assert touch.locator('.ticket .ahead').inner_text() \
        == 'Personne avant vous'
    assert f"Rendez-vous de {start:%H:%M} : appelé en priorité" \
        in touch.content()
    touch.screenshot(path=str(SCREENSHOTS / 'appointment-ticket.png'))

    # agent.zig calls the next Justice ticket: the appointment's
    desk_id = open_desk(agent, 'Guichet 2')
    clicked = time.monotonic()
    agent.model('case.desk', 'call_next', [desk_id])
    desk, = agent.model('case.desk', 'read', [desk_id],
        ['ticket.number', 'message', 'procedure.code'])
    assert desk['ticket.']['number'] == number
    # the desk says who comes for what, the procedure proposed
    assert f'Rendez-vous de {start:%H:%M} : Mariama Coly' \
        in desk['message'], desk['message']
    assert desk['procedure.']['code'] == 'CJ-B3'
    display.wait_for_function(
        'n => document.querySelector("#current .number") '
        '&& document.querySelector("#current .number").textContent '
        '=== n', arg=number, timeout=30000)
    print(f"the appointment's call showed on the screen "
        f"{time.monotonic() - clicked:.2f} s after the agent's click")
    display.screenshot(path=str(SCREENSHOTS / 'appointment-display.png'))
    assert server.sql('SELECT state, phone FROM case_appointment '
        'WHERE token = %s', (token,)) == [('checked_in', None)]
    waiting = agent.model('case.ticket', 'read', walk_ins, ['state'])
    assert {t['state'] for t in waiting} == {'waiting'}
    agent.model('case.desk', 'finish', [desk_id])
    for context in [phone, room, kiosk]:
        context.close()


def working_day(after_days):
    "A weekday that is no Senegal public holiday, some days from today"
    import holidays
    date = dt.date.today() + dt.timedelta(days=after_days)
    closed = holidays.country_holidays('SN', years=[date.year, date.year + 1])
    while date.weekday() >= 5 or date in closed:
        date += dt.timedelta(days=1)
    return date


def zig_criminal_record(client):
    "The ids of Ziguinchor and of the criminal record extract, as client"
    site, = client.model('network.site', 'search',
        [('code', '=', 'ZIG')], 0, None, None)
    procedure, = client.model('network.procedure', 'search',
        [('code', '=', 'CJ-B3')], 0, None, None)
    return site, procedure


def as_json(value):
    "A datetime as Tryton's JSON-RPC writes it"
    return {'__class__': 'datetime', 'year': value.year,
        'month': value.month, 'day': value.day, 'hour': value.hour,
        'minute': value.minute, 'second': value.second,
        'microsecond': value.microsecond}


def test_agent_books_at_the_counter(server, users, sms_log):
    """agent.zig books an appointment for a citizen at the counter over
    JSON-RPC (the form lists the free times), cannot book a taken slot;
    agent.ths cannot book nor see Ziguinchor's; agent.zig cancels it and
    the citizen gets the SMS"""
    admin, agent = users['admin'], users['agent.zig']
    other = server.rpc().login('agent.ths')
    other.context['language'] = 'en'
    site, procedure = zig_criminal_record(agent)
    start = dt.datetime.combine(working_day(20), dt.time(11, 15))
    values = {'site': site, 'procedure': procedure,
        'start': as_json(start),
        'name': 'Ousmane Badji', 'phone': '76 222 33 44'}
    appointment, = agent.model('case.appointment', 'create', [values])
    row, = agent.model('case.appointment', 'read', [appointment],
        ['state', 'reference', 'end', 'phone', 'free_times'])
    assert row['state'] == 'booked'
    assert row['phone'] == '+221 76 222 33 44'
    assert row['end'] == as_json(start + dt.timedelta(minutes=15))
    assert '11:15' in row['free_times'] and '08:00' in row['free_times']
    run_sender(admin)
    (head, text), = queue_sms(sms_log, row['reference'],
        'appointment_booked')
    assert 'SMS à +221 76 222 33 44' in head and '11:15' in text
    assert f'/{server.database}/rendez-vous/' in text, text

    # the same slot again (one Justice counter at Ziguinchor takes
    # appointments): refused in French, nothing saved
    before = server.snapshot('case_appointment', 'case_notification')
    with pytest.raises(RPCError, match="n'est pas un créneau libre"):
        agent.model('case.appointment', 'create', [{
                    **values, 'phone': '76 222 33 45'}])
    # another site's agent: neither books nor sees Ziguinchor's
    with pytest.raises(RPCError):
        other.model('case.appointment', 'create', [{
                    **values,
                    'start': as_json(start + dt.timedelta(hours=2)),
                    'phone': '76 222 33 46'}])
    assert not other.model('case.appointment', 'search',
        [('id', '=', appointment)], 0, None, None)
    with pytest.raises(RPCError, match='You are not allowed'):
        other.model('case.appointment', 'cancel', [appointment])
    assert server.snapshot('case_appointment', 'case_notification') \
        == before

    agent.model('case.appointment', 'cancel', [appointment])
    row, = agent.model('case.appointment', 'read', [appointment],
        ['state', 'cancel_reason', 'phone'])
    assert row == {'id': appointment, 'state': 'cancelled',
        'cancel_reason': 'agent', 'phone': None}
    run_sender(admin)
    (_, text), = queue_sms(sms_log, row_reference(agent, appointment),
        'appointment_cancelled')
    assert "annulé (par l'Espace)" in text, text
    assert f'/{server.database}/rendez-vous/' in text, text


def test_agent_checks_in_at_the_counter(server, users):
    """The citizen comes to the counter: agent.zig checks the appointment
    in with the button; the ticket is first in the queue; agent.ths
    cannot; a second click is refused, nothing saved"""
    agent = users['agent.zig']
    other = server.rpc().login('agent.ths')
    other.context['language'] = 'en'
    site, procedure = zig_criminal_record(agent)
    start = dt.datetime.combine(working_day(22), dt.time(8, 30))
    appointment, = agent.model('case.appointment', 'create', [{
                'site': site, 'procedure': procedure,
                'start': as_json(start), 'name': 'Khady Mendy',
                'phone': '76 555 66 77'}])
    soon = soon_today(5)
    server.sql('UPDATE case_appointment SET date = %s, start = %s, '
        '"end" = %s WHERE id = %s', (soon.date(), soon,
            soon + dt.timedelta(minutes=15), appointment))
    # a name corrected close to the time keeps the slot
    agent.model('case.appointment', 'write', [appointment],
        {'name': 'Khady Mendy Sané'})
    before = server.snapshot('case_appointment', 'case_ticket')
    with pytest.raises(RPCError):
        other.model('case.appointment', 'check_in', [appointment])
    assert server.snapshot('case_appointment', 'case_ticket') == before

    justice, = agent.model('network.sector', 'search', [
            ('code', '=', 'J')], 0, None, None)
    walk_ins = agent.model('case.ticket', 'create', [{'sector': justice}] * 2)
    assert agent.model('case.appointment', 'check_in', [appointment]) \
        is None
    row, = agent.model('case.appointment', 'read', [appointment],
        ['state', 'ticket', 'ticket.priority', 'phone'])
    assert row['state'] == 'checked_in' and row['phone'] is None
    assert row['ticket.']['priority'] == 1
    before = server.snapshot('case_appointment', 'case_ticket')
    # the button is gone once checked in: Tryton refuses the call
    with pytest.raises(RPCError, match='check_in'):
        agent.model('case.appointment', 'check_in', [appointment])
    assert server.snapshot('case_appointment', 'case_ticket') == before
    # first of the Justice queue, before the walk-ins who came earlier
    first, = agent.model('case.ticket', 'search', [
            ('site', '=', site), ('sector.code', '=', 'J'),
            ('state', '=', 'waiting')],
        0, 1, [('priority', 'DESC'), ('arrived_at', 'ASC')])
    assert first == row['ticket']
    assert [t['state'] for t in agent.model('case.ticket', 'read',
            walk_ins, ['state'])] == ['waiting', 'waiting']


def row_reference(agent, appointment):
    return agent.model('case.appointment', 'read', [appointment],
        ['reference'])[0]['reference']


def test_closure_moves_appointments(server, users, sms_log):
    """reseau closes Thiès for works with its appointments moved to
    Ziguinchor: the one whose time is free there moves, its citizen told
    by SMS; chef.zig cannot close Thiès, nothing saved"""
    admin, reseau = users['admin'], users['reseau']
    chef = server.rpc().login('chef.zig')
    sites = dict((s['code'], s['id']) for s in reseau.model(
            'network.site', 'search_read', [('code', 'in', ['THS', 'ZIG'])],
            0, None, None, ['code']))
    procedure, = reseau.model('network.procedure', 'search',
        [('code', '=', 'CJ-B3')], 0, None, None)
    appointment = None
    for days in range(25, 45):
        start = dt.datetime.combine(working_day(days), dt.time(14, 30))
        try:
            appointment, = reseau.model('case.appointment', 'create', [{
                        'site': sites['THS'], 'procedure': procedure,
                        'start': as_json(start), 'name': 'Babacar Seck',
                        'phone': '78 444 55 66'}])
            break
        except RPCError:
            continue  # a time taken at Thiès: the next day
    assert appointment
    reference = row_reference(reseau, appointment)

    before = server.snapshot('network_site', 'case_appointment')
    with pytest.raises(RPCError):
        chef.model('network.site', 'write', [sites['THS']], {
                'closure_reason': 'Travaux',
                'closure_appointments_to': sites['ZIG']})
        chef.model('network.site', 'close_for_works', [sites['THS']])
    assert server.snapshot('network_site', 'case_appointment') == before

    reseau.model('network.site', 'write', [sites['THS']], {
            'closure_reason': "Réfection de la toiture",
            'closure_appointments_to': sites['ZIG']})
    try:
        reseau.model('network.site', 'close_for_works', [sites['THS']])
        row, = reseau.model('case.appointment', 'read', [appointment],
            ['site', 'state', 'start'])
        assert (row['site'], row['state']) == (sites['ZIG'], 'booked')
        run_sender(admin)
        (head, text), = queue_sms(sms_log, reference, 'appointment_moved')
        assert 'SMS à +221 78 444 55 66' in head
        assert 'Thiès est fermé' in text and 'Ziguinchor' in text, text
        assert '14:30' in text, text
    finally:
        reseau.model('network.site', 'reopen', [sites['THS']])
    site, = reseau.model('network.site', 'read', [sites['THS']],
        ['state', 'closure_appointments_to'])
    assert site['state'] == 'open' and not site['closure_appointments_to']
