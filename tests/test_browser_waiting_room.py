"""The waiting room of Ziguinchor in Debian's Chromium, on the demo.

A visitor touches « Justice » on the kiosk and gets a ticket sized for the
80 mm printer (printed to PDF at that size) with the people ahead and a QR
code; the display screen in the waiting room shows agent.zig's call of that
ticket within 2 seconds of the click (the agent works through JSON-RPC as
sao does), says it in French and plays the Wolof clips chef.zig uploaded;
the visitor's phone page says to go to the counter. With the network cut,
the screen says so, then catches up by itself. A kiosk form without its
CSRF cookie saves nothing; agents cannot read the screens' secrets."""
import base64
import datetime as dt
import io
import json
import re
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request

import pytest
from pypdf import PdfReader

from browser_tools import NEEDS_BROWSER, SCREENSHOTS
from security_tools import RPCError, SecurityServer

pytestmark = NEEDS_BROWSER

# A WAV file of silence: 8 kHz, 8 bits, 10 samples
WAV = (b'RIFF' + (46).to_bytes(4, 'little') + b'WAVEfmt '
    + (16).to_bytes(4, 'little') + (1).to_bytes(2, 'little')
    + (1).to_bytes(2, 'little') + (8000).to_bytes(4, 'little')
    + (8000).to_bytes(4, 'little') + (1).to_bytes(2, 'little')
    + (8).to_bytes(2, 'little') + b'data' + (10).to_bytes(4, 'little')
    + b'\x80' * 10)
# What the screen says, plays and asks, recorded in the page: the browser's
# speech synthesis and audio elements are replaced by recorders that end
# at once, as a headless browser has no voice nor loudspeaker; each poll of
# the queue's state keeps the calls it got
RECORDER = """
window.__spoken = [];
window.__played = [];
window.speechSynthesis.speak = function (utterance) {
    window.__spoken.push({text: utterance.text, lang: utterance.lang});
    setTimeout(function () {
        if (utterance.onend) utterance.onend(new Event('end'));
    }, 10);
};
window.__polls = [];
var fetchPage = window.fetch;
window.fetch = function (url, options) {
    var poll = {numbers: null};
    window.__polls.push(poll);
    return fetchPage(url, options).then(function (response) {
        response.clone().json().then(function (state) {
            poll.numbers = state.calls.map(function (c) { return c.number; });
        }).catch(function () {});
        return response;
    });
};
HTMLMediaElement.prototype.play = function () {
    var media = this;
    window.__played.push(media.src);
    setTimeout(function () { media.dispatchEvent(new Event('ended')); }, 10);
    return Promise.resolve();
};
"""


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_waiting').start()
    yield server
    server.stop()


def screen_url(server, kind):
    token, = server.sql(
        "SELECT s.token FROM case_screen s JOIN network_site n "
        "ON n.id = s.site WHERE n.code = 'ZIG' AND s.kind = %s", (kind,))[0]
    path = 'ecran' if kind == 'display' else 'borne'
    return f'{server.url}/{server.database}/{path}/{token}'


def open_desk(agent, counter_name):
    session, _, _ = agent('wizard.case.desk.open.create')
    result = agent('wizard.case.desk.open.execute', session, {}, 'start')
    agent('wizard.case.desk.open.delete', session)
    (_, data), = result['actions']
    desk_id, = data['res_id']
    counter, = agent.model('network.counter', 'search', [
            ('site.code', '=', 'ZIG'), ('name', '=', counter_name)],
        0, None, None)
    agent.model('case.desk', 'write', [desk_id], {'counter': counter})
    return desk_id


def call_until(agent, desk_id, number):
    "Call and finish the tickets ahead, then call number; return the time"
    while True:
        clicked = time.monotonic()
        agent.model('case.desk', 'call_next', [desk_id])
        desk, = agent.model('case.desk', 'read', [desk_id],
            ['ticket.number'])
        called = (desk.get('ticket.') or {}).get('number')
        assert called, "the queue emptied before the ticket"
        if called == number:
            return clicked
        agent.model('case.desk', 'finish', [desk_id])


def upload_clips(server):
    "chef.zig records the Wolof words of a Justice call at counter 2"
    chef = server.rpc().login('chef.zig')
    site, = chef.model('network.site', 'search', [('code', '=', 'ZIG')],
        0, None, None)
    sound = {'__class__': 'bytes',
        'base64': base64.b64encode(WAV).decode()}
    words = ['ticket', 'counter', 'J'] + list('0123456789')
    chef.model('case.call_clip', 'create', [{
                'site': site, 'language': 'wo', 'word': word,
                'sound': sound, 'filename': f'{word}.wav'}
            for word in words])


def test_waiting_room(server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    upload_clips(server)
    kiosk_url = screen_url(server, 'kiosk')
    display_url = screen_url(server, 'display')
    agent = server.rpc().login('agent.zig')
    desk_id = open_desk(agent, 'Guichet 2')

    room = browser.new_context(locale='fr-FR',
        viewport={'width': 1920, 'height': 1080})
    room.add_init_script(RECORDER)
    display = room.new_page()
    display.goto(display_url)
    display.get_by_text(
        "Touchez ici pour activer l'annonce sonore").click()
    display.wait_for_selector('#queue li')

    kiosk = browser.new_context(locale='fr-FR',
        viewport={'width': 1080, 'height': 1920}, has_touch=True)
    touch = kiosk.new_page()
    touch.goto(kiosk_url)
    site, = server.sql(
        "SELECT name FROM network_site WHERE code = 'ZIG'")[0]
    assert touch.locator('h1').inner_text() == site
    touch.screenshot(path=str(SCREENSHOTS / 'waiting-kiosk.png'))
    tickets_before = server.count('case_ticket')
    touch.get_by_role('button', name=re.compile('^Justice')).tap()
    touch.wait_for_url(re.compile('/ticket/'))
    assert server.count('case_ticket') == tickets_before + 1
    number = touch.locator('.ticket .number').inner_text()
    assert re.fullmatch(r'J-\d{3}', number), number
    ahead = touch.locator('.ticket .ahead').inner_text()
    assert re.fullmatch(
        r'Personne avant vous|1 personne avant vous'
        r'|\d+ personnes avant vous', ahead), ahead
    touch.screenshot(path=str(SCREENSHOTS / 'waiting-ticket.png'))
    follow_path = urllib.parse.urlparse(touch.url).path
    follow_token = follow_path.rsplit('/', 1)[1]

    # the ticket as the 80 mm thermal printer gets it (the kiosk's own
    # page is in the browser's print, which a headless browser keeps
    # open: the same page without its print call)
    printed = kiosk.new_page()
    printed.goto(touch.url + '?imprimer=0')
    pdf = printed.pdf(prefer_css_page_size=True, print_background=True)
    (SCREENSHOTS / 'waiting-ticket.pdf').write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width = float(reader.pages[0].mediabox.width) * 25.4 / 72
    assert abs(width - 80) < 0.5, width
    # the PDF's ligatures (« ﬁ ») read as their letters
    text = ' '.join(unicodedata.normalize(
            'NFKC', reader.pages[0].extract_text()).split())
    for expected in [number, 'Justice', 'Votre ticket', 'avant vous',
            'Suivez la file sur votre téléphone']:
        assert expected in text, (expected, text)
    assert 'Terminé' not in text

    # the visitor's phone, from the QR code's address
    phone = browser.new_context(locale='fr-FR',
        viewport={'width': 390, 'height': 844}, is_mobile=True)
    mobile = phone.new_page()
    mobile.goto(f'{server.url}/{server.database}/ticket/{follow_token}')
    assert number in mobile.content()
    assert 'avant vous' in mobile.locator('.state').inner_text()

    # the agent calls it: the screen's first poll after the call gets
    # it (a poll a second: within 2 seconds when the server answers in
    # less than one; the time is printed, not asserted, as the machine
    # running the tests may be loaded)
    clicked = call_until(agent, desk_id, number)
    polls = display.evaluate('window.__polls.length')
    display.wait_for_function(
        'n => document.querySelector("#current .number") '
        '&& document.querySelector("#current .number").textContent '
        '=== n', arg=number, timeout=30000)
    shown = time.monotonic() - clicked
    print(f"the call showed on the screen {shown:.2f} s after the "
        "agent's click")
    display.wait_for_function(
        'n => window.__polls.some(p => p.numbers && p.numbers[0] === n)',
        arg=number)
    first = display.evaluate(
        'n => window.__polls.findIndex('
        'p => p.numbers && p.numbers[0] === n)', number)
    assert 0 <= first <= polls, (first, polls)
    assert display.locator('#current .counter').inner_text() \
        == 'Guichet 2'
    display.wait_for_function(
        'n => window.__spoken.some(s => s.text.indexOf(n) >= 0)',
        arg=f'J {int(number[2:])}')
    spoken = display.evaluate('window.__spoken')
    said = [s for s in spoken if s['text']]
    assert said[-1] == {
        'text': f'Ticket J {int(number[2:])}, Guichet 2',
        'lang': 'fr-FR'}, said
    # then the Wolof clips, word by word
    digits = list(number[2:])
    display.wait_for_function(
        'count => window.__played.length >= count',
        arg=len(digits) + 4)
    played = [re.search(r'/son/(\d+)$', u).group(1)
        for u in display.evaluate('window.__played')]
    clip_words = dict(server.sql(
        "SELECT CAST(id AS TEXT), word FROM case_call_clip"))
    assert [clip_words[p] for p in played[-(len(digits) + 4):]] == [
        'ticket', 'J', *digits, 'counter', '2']
    display.screenshot(path=str(SCREENSHOTS / 'waiting-display.png'))

    mobile.reload()
    assert mobile.locator('.state').inner_text() \
        == "C'est votre tour : présentez-vous au Guichet 2."

    # a network cut: the screen says so, then catches up by itself
    agent.model('case.desk', 'finish', [desk_id])
    second = urllib_take(kiosk_url)
    room.set_offline(True)
    display.wait_for_selector('#offline', state='visible', timeout=30000)
    display.screenshot(path=str(SCREENSHOTS / 'waiting-offline.png'))
    call_until(agent, desk_id, second)
    room.set_offline(False)
    display.wait_for_function(
        'n => document.querySelector("#current .number").textContent '
        '=== n', arg=second, timeout=30000)
    assert not display.locator('#offline').is_visible()
    texts = display.locator('#last li').all_inner_texts()
    assert any(t.startswith(f'{number} → Guichet 2') for t in texts), \
        texts
    for context in [room, kiosk, phone]:
        context.close()


def urllib_take(kiosk_url):
    "Take a Justice ticket at the kiosk without a browser; its number"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(kiosk_url) as response:
        page = response.read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    sector, = [value for value, name in re.findall(
            r'value="(\d+)".*?<span>([^<]+)<span', page, re.S)
        if name.strip() == 'Justice']
    data = urllib.parse.urlencode({'csrf': csrf, 'sector': sector}).encode()
    with opener.open(kiosk_url, data=data) as response:
        page = response.read().decode()
    return re.search(r'class="number">(J-\d{3})<', page).group(1)


def test_rating_form_posts(server, browser):
    """The satisfaction page of a delivery SMS is sent from the citizen's
    browser: its POST carries the page's origin, which trytond requires"""
    case_id, token = server.sql(
        "SELECT id, rating_token FROM case_case WHERE state = 'delivered' "
        "AND rating_token IS NOT NULL AND rating IS NULL LIMIT 1")[0]
    phone = browser.new_context(locale='fr-FR',
        viewport={'width': 390, 'height': 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(f'{server.url}/{server.database}/avis/{token}')
    page.get_by_label('4').check()
    page.get_by_role('button', name='Envoyer mon avis').click()
    page.wait_for_selector('text=Merci !')
    phone.close()
    assert server.sql(
        "SELECT rating FROM case_case WHERE id = %s", (case_id,)) == [(4,)]


def test_refusals_save_nothing(server):
    "A forged kiosk form and a curious agent get nothing"
    kiosk_url = screen_url(server, 'kiosk')
    before = server.snapshot('case_ticket')
    with urllib.request.urlopen(kiosk_url) as response:
        page = response.read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    sector = re.search(r'name="sector"\s+value="(\d+)"', page).group(1)
    # the form's field without the cookie that goes with it
    request = urllib.request.Request(kiosk_url, data=urllib.parse.urlencode(
            {'csrf': csrf, 'sector': sector}).encode())
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 403
    assert 'La page avait expiré' in refused.value.read().decode()
    assert server.snapshot('case_ticket') == before

    agent = server.rpc().login('agent.zig')
    with pytest.raises(RPCError):
        agent.model('case.screen', 'search_read', [], 0, None, None,
            ['token'])
    chef = server.rpc().login('chef.zig')
    screens = chef.model('case.screen', 'search_read', [], 0, None, None,
        ['site.code', 'url'])
    assert {s['site.']['code'] for s in screens} == {'ZIG'}
    assert all('/ZIG' not in s['url'] for s in screens)
    before = server.snapshot('case_screen')
    other, = server.sql(
        "SELECT s.id FROM case_screen s JOIN network_site n "
        "ON n.id = s.site WHERE n.code = 'DKR' LIMIT 1")[0:1]
    with pytest.raises(RPCError):
        chef.model('case.screen', 'renew_token', [other[0]])
    assert server.snapshot('case_screen') == before


def receipt_text(agent, case_id):
    "The text of the case's receipt as the agent prints it"
    _, content, _, _ = agent('report.case.receipt.execute', [case_id], {})
    pdf = base64.b64decode(content['base64'])
    (SCREENSHOTS / 'tracking-receipt.pdf').write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return ' '.join(unicodedata.normalize(
            'NFKC', reader.pages[0].extract_text()).split())


def test_tracking(server, browser):
    """agent.zig prints a receipt; the citizen types its number and
    tracking code on a phone and reads the case's progress, nothing
    personal; a wrong code tells nothing; the SMS keyword answers once the
    network administrator gave the gateway's key, which agents cannot
    read"""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    case_id, number, citizen, phone_number = server.sql(
        "SELECT c.id, c.number, p.name, c.phone FROM case_case c "
        "JOIN network_site s ON s.id = c.site "
        "JOIN party_party p ON p.id = c.citizen "
        "WHERE s.code = 'ZIG' AND c.state = 'transmitted' "
        "AND c.due_date IS NOT NULL ORDER BY c.id LIMIT 1")[0]
    # the address phones reach the ERP at, set by the network
    network = server.rpc().login('reseau')
    network.model('case.configuration', 'write', [1],
        {'public_url': server.url})
    agent = server.rpc().login('agent.zig')
    text = receipt_text(agent, case_id)
    code = re.search(
        r'avec le code de suivi ([A-Z0-9]{4}-[A-Z0-9]{4})', text).group(1)
    assert f'SUIVI {number} {code.replace("-", "")}' in text
    # the address may be cut at the end of a line
    assert f'{server.url}/{server.database}/suivi' in text.replace(' ', '')
    before = server.snapshot('case_case', 'case_history')

    phone = browser.new_context(locale='fr-FR',
        viewport={'width': 390, 'height': 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(f'{server.url}/{server.database}/suivi')
    # typed as people type it: lower case, the zeros left out
    site, year, sequence = number.split('-')
    page.get_by_label('Numéro du dossier').fill(
        f'{site.lower()} {year} {int(sequence)}')
    wrong = code[:5] + ('XXXX' if code[5:] != 'XXXX' else 'YYYY')
    page.get_by_label('Code de suivi').fill(wrong)
    page.get_by_role('button', name='Voir mon dossier').click()
    page.wait_for_selector('text=Aucun dossier ne correspond')
    page.screenshot(path=str(SCREENSHOTS / 'tracking-wrong.png'))
    page.get_by_label('Code de suivi').fill(code.lower())
    page.get_by_role('button', name='Voir mon dossier').click()
    page.wait_for_selector('.number')
    assert page.locator('.number').inner_text() == number
    shown = page.locator('body').inner_text()
    assert "Votre dossier a été transmis à l'administration compétente." \
        in shown
    assert 'Date prévue' in shown
    for personal in [citizen, *citizen.split(), phone_number or '-']:
        assert personal not in shown, personal
    page.screenshot(path=str(SCREENSHOTS / 'tracking-result.png'))
    # the receipt's QR code
    page.goto(f'{server.url}/{server.database}/suivi/{number}/'
        f'{code.replace("-", "")}')
    assert page.locator('.number').inner_text() == number
    phone.close()
    assert server.snapshot('case_case', 'case_history') == before

    # the SMS keyword: no key, no answer; agents cannot read the key
    sms_url = f'{server.url}/{server.database}/sms/entrant'
    message = urllib.parse.urlencode({'from': '+221771112233',
            'text': f'SUIVI {number} {code}'}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f'{sms_url}?key=x', message, timeout=30)
    assert refused.value.code == 403
    network.model('case.configuration', 'write', [1],
        {'sms_inbound_key': 'passerelle-demo-2026'})
    with pytest.raises(RPCError):
        agent.model('case.configuration', 'read', [1], ['sms_inbound_key'])
    with pytest.raises(RPCError):
        agent.model('case.configuration', 'write', [1],
            {'sms_inbound_key': 'mine'})
    with urllib.request.urlopen(
            f'{sms_url}?key=passerelle-demo-2026', message,
            timeout=30) as answer:
        reply = answer.read().decode()
    assert reply.startswith(number), reply
    assert "Votre dossier a été transmis" in reply
    assert "Date prévue :" in reply
    assert len(reply) <= 160


def test_published_results(server, browser):
    """The network's results page in Chromium shows, for each month, the
    average wait a plain recomputation finds in the tickets; a site's page
    and the call screen's line give the site's figures"""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    waits = {}
    # the figures are those of the last daily computation, whose time is
    # stored to the second: the tickets created in that second count
    (computed,), = server.sql(
        "SELECT MAX(computed_at) FROM case_published_result")
    computed = dt.datetime.fromisoformat(str(computed)) \
        + dt.timedelta(seconds=1)
    for day, arrived, called in server.sql(
            "SELECT date, arrived_at, called_at FROM case_ticket "
            "WHERE called_at IS NOT NULL AND create_date < %s",
            (computed,)):
        month = str(day)[:7]
        waits.setdefault(month, []).append((
                dt.datetime.fromisoformat(str(called))
                - dt.datetime.fromisoformat(str(arrived))).total_seconds()
            / 60)
    window = browser.new_context(locale='fr-FR',
        viewport={'width': 1366, 'height': 768})
    page = window.new_page()
    page.goto(f'{server.url}/{server.database}/resultats')
    assert page.locator('h1').inner_text() \
        == "Réseau des Espaces Sénégal Services"
    rows = page.locator('tbody tr')
    assert rows.count() >= 2
    months = {1: 'janvier', 2: 'février', 3: 'mars', 4: 'avril', 5: 'mai',
        6: 'juin', 7: 'juillet', 8: 'août', 9: 'septembre', 10: 'octobre',
        11: 'novembre', 12: 'décembre'}
    for i in range(rows.count()):
        cells = rows.nth(i).locator('td').all_inner_texts()
        # « Décembre 2026 », with a no-break space
        assert re.fullmatch(r'[A-ZÉ][a-zéû]+\s\d{4}', cells[0]), cells
        label, year = cells[0].lower().split()
        month = f'{year}-{list(months.values()).index(label) + 1:02d}'
        month_waits = waits[month]
        assert int(cells[1]) == len(month_waits), (month, cells)
        average = f'{sum(month_waits) / len(month_waits):.1f}'
        assert cells[2] == average.replace('.', ','), (month, cells)
    page.screenshot(path=str(SCREENSHOTS / 'results-network.png'),
        full_page=True)
    page.get_by_role('link', name=re.compile('Ziguinchor')).click()
    page.wait_for_url(re.compile('/resultats/ZIG$'))
    assert 'Ziguinchor' in page.locator('h1').inner_text()
    page.screenshot(path=str(SCREENSHOTS / 'results-site.png'),
        full_page=True)
    window.close()

    with urllib.request.urlopen(
            screen_url(server, 'display') + '/etat', timeout=30) as answer:
        state = json.load(answer)
    assert state['results'].startswith('Nos résultats, '), state['results']
    assert 'attente moyenne' in state['results']


def test_counter_check_in(server, client):
    """agent.zig, in the web client: today's appointments in « Rendez-vous »
    (list and week calendar), opens the one of a citizen at the counter and
    clicks « Enregistrer l'arrivée »: the appointment gets its ticket, first
    in the Justice queue"""
    from test_sms_http import soon_today, zig_criminal_record
    agent = server.rpc().login('agent.zig')
    site, procedure = zig_criminal_record(agent)
    # booked for a coming day, then brought to today in 5 minutes
    appointments = agent.model('case.appointment', 'search', [], 0, None,
        None)
    appointment = None
    for days in range(21, 40):
        day = dt.date.today() + dt.timedelta(days=days)
        try:
            appointment, = agent.model('case.appointment', 'create', [{
                        'site': site, 'procedure': procedure,
                        'start': {'__class__': 'datetime', 'year': day.year,
                            'month': day.month, 'day': day.day,
                            'hour': 10, 'minute': 0, 'second': 0,
                            'microsecond': 0},
                        'name': 'Seynabou Manga', 'phone': '77 321 54 76'}])
            break
        except RPCError:
            continue  # a weekend or a public holiday: the next day
    assert appointment and appointment not in appointments
    soon = soon_today(5)
    server.sql('UPDATE case_appointment SET date = %s, start = %s, '
        '"end" = %s WHERE id = %s', (soon.date(), soon,
            soon + dt.timedelta(minutes=15), appointment))

    client.login('agent.zig', 'Senegal-2026')
    client.open_menu("Réseau des services", "Dossiers", "Rendez-vous")
    client.screenshot('appointments-today', [
            "Aujourd'hui", "Seynabou Manga", "Confirmé",
            soon.strftime('%H:%M'),
            "Extrait du bulletin n° 3"])
    client.pane.locator('tr', has_text='Seynabou Manga').first.locator(
        'td', has_text='Seynabou Manga').dblclick()
    client.wait_idle()
    client.screenshot('appointment-form', [
            "Pièces à apporter", "Créneaux libres ce jour-là",
            "Enregistrer l'arrivée", "Annuler"])
    tickets = server.count('case_ticket')
    client.click_button("Enregistrer l'arrivée")
    client.assert_no_dialog()
    assert client.selection_text('state') == 'Arrivé'
    assert server.count('case_ticket') == tickets + 1
    row, = agent.model('case.appointment', 'read', [appointment],
        ['state', 'ticket', 'ticket.priority', 'phone'])
    assert (row['state'], row['ticket.']['priority'], row['phone']) \
        == ('checked_in', 1, None)
    assert client.field_value('ticket').startswith('J-')
    client.screenshot('appointment-checked-in', ["Arrivé", "Ticket"])
    # the week's calendar, the next view
    client.toolbar('switch_')
    client.pane.locator('.fc-view').first.wait_for()
    client.screenshot('appointments-calendar', ["Seynabou Manga"])
