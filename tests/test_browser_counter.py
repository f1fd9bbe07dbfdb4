"""A day at the Ziguinchor counter in Debian's Chromium, as agent.zig and
chef.zig do it on the demo database.

Two citizens took Justice tickets. The agent sits at « Guichet 2 » (Justice)
in « Mon guichet », calls the first, registers her, opens her case from the
ticket with the procedure proposed, ticks her documents, submits, collects
the fees, prints the receipt and finishes the ticket; the second is a proxy
who collects a document that is ready; then the queue is empty and the
desk says so. A third citizen is served from the desk alone: the
checklist ticked on the desk, cash picked, the case opened, submitted and
paid in one click. The site manager's home shows the queue and the agents
at their counters.

The clicks and typed fields of each served citizen are counted in the page
(browser_tools.EFFORT_SCRIPT) and written to artifacts/screenshots/
effort.json."""
import io
import json
import sqlite3
import time

import pytest
from pypdf import PdfReader

from browser_tools import (
    NEEDS_BROWSER,
    SCREENSHOTS,
    DemoServer,
)

pytestmark = NEEDS_BROWSER
PASSWORD = 'Senegal-2026'
DESK = ("Réseau des services", "Dossiers", "Mon guichet")


@pytest.fixture(scope='module')
def server():
    server = DemoServer().start()
    yield server
    server.stop()




def stored(server, query, params=()):
    "What the served demo database holds"
    connection = sqlite3.connect(
        server.run_path / f'{server.database}.sqlite', timeout=30)
    try:
        return connection.execute(query, params).fetchall()
    finally:
        connection.close()


def desk_message(client, starts):
    "The desk's message once it starts with starts"
    client.page.wait_for_function(
        '([el, starts]) => el.value.startsWith(starts)',
        arg=[client.pane.locator('input[name="message"]').first
            .element_handle(), starts])
    return client.field_value('message')


def wait_state(client, label, timeout=30):
    """The case's state once it shows label (the server answers later when
    loaded)"""
    select = client.pane.locator('select[name="state"]').first
    read = ('el => el.selectedIndex >= 0 '
        '? el.options[el.selectedIndex].text : null')
    end = time.monotonic() + timeout
    while (text := select.evaluate(read)) != label and (
            time.monotonic() < end):
        client.page.wait_for_timeout(300)
    return text


def take_tickets(client, sector, count):
    "Tickets taken at reception (the kiosk's work, not the agent's)"
    client.open_menu(
        "Réseau des services", "Dossiers", "Tickets de file d'attente")
    numbers = []
    for _ in range(count):
        client.new_record()
        client.set_many2one('sector', sector)
        client.toolbar('save')
        numbers.append(client.wait_field('number'))
    return numbers


def test_a_day_at_the_counter(client, server):
    (ready,), = stored(server,
        "SELECT c.number FROM case_case c "
        "JOIN network_site s ON s.id = c.site "
        "WHERE s.code = 'ZIG' AND c.state = 'ready' "
        "ORDER BY c.id LIMIT 1")
    client.login('agent.zig', PASSWORD)
    tickets = take_tickets(client, "Justice", 2)
    assert all(t.startswith('J-') for t in tickets), tickets
    effort = {}

    # Once a day: « Mon guichet », sitting at Guichet 2 (Justice)
    client.reset_effort()
    client.open_menu(*DESK)
    client.pane.locator('input[name="counter"]').first.wait_for()
    if "Guichet 2 (Justice)" not in client.field_value('counter'):
        client.set_many2one('counter', "Guichet 2", "Guichet 2 (Justice)")
        client.toolbar('save')
    effort['start of the day'] = client.effort()

    # The first citizen: a criminal-record extract
    client.reset_effort()
    client.click_button("Appeler le suivant")
    client.assert_no_dialog()
    message = desk_message(client, "Ticket ")
    assert message.startswith(
        f"Ticket {tickets[0]} appelé au Guichet 2 :"), message
    client.screenshot('30-desk-called', [
            "Mon guichet", "Rappeler", "Ouvrir un dossier",
            "Transférer", "Absent", "Terminer", "File d'attente",
            "Attente max. (min)"])
    # registered from the desk: her name as typed, her phone once
    box, field = client._many2one('citizen')
    box.fill("Mariama Badji")
    field.locator('li.action-create a').click()
    dialog = client.dialog
    first_name = dialog.locator('input[name="first_name"]')
    first_name.wait_for()
    assert client.wait_value(first_name) == "Mariama"
    phone = dialog.locator('input[name="citizen_phone"]').first
    phone.fill("77 512 34 56")
    phone.press('Tab')
    client.wait_idle()
    dialog.locator('button', has_text="Enregistrer").click()
    dialog.wait_for(state='hidden')
    client.wait_idle()
    assert box.input_value() == "Mariama BADJI" or (
        box.input_value() == "Mariama Badji"), box.input_value()
    if not client.field_value('procedure').startswith("[CJ-B3]"):
        client.set_many2one('procedure', "CJ-B3")
    client.click_button("Ouvrir un dossier")
    client.assert_no_dialog()
    client.page.locator(
        'li[id^="nav-tab-"].active span[title^="ZIG-"]').first.wait_for()
    client.wait_idle()
    number = client.wait_field('number')
    assert number.startswith('ZIG-'), number
    assert client.field_value('citizen').lower() == "mariama badji"
    # her phone, typed once on her form, is the case's
    assert client.field_value('phone') == "+221 77 512 34 56"
    assert client.field_value('procedure').startswith("[CJ-B3]")
    # the case opens while sao still draws its checklist: tick once drawn
    client.pane.locator(
        'td[data-title^="Fournie"] input[type=checkbox]:visible'
        ).nth(1).wait_for()
    client.wait_idle()
    boxes = client.tick_column("Fournie")
    assert boxes.count() == 2
    assert all(boxes.nth(i).is_checked() for i in range(2))
    # sao saves the case before its button: no « Enregistrer » needed
    client.click_button("Déposer")
    client.assert_no_dialog()
    assert wait_state(client, "Déposé") == "Déposé"
    client.open_page("Frais")
    client.select('payment_method', "Espèces")
    client.click_button("Encaisser les frais")
    client.assert_no_dialog()
    assert client.wait_field('paid_at')
    # the receipt opens in a new tab of the browser, to print
    tab, content = client.print_to_tab("Reçu")
    tab.close()
    assert content.startswith(b'%PDF')
    text = ' '.join(' '.join(p.extract_text().split())
        for p in PdfReader(io.BytesIO(content)).pages)
    for expected in [number, "Mariama Badji", "Total 400"]:
        assert expected in text, expected
    client.switch_tab("Mon guichet")
    assert client.field_value('case') == number
    client.click_button("Terminer")
    client.assert_no_dialog()
    assert desk_message(client, f"Ticket {tickets[0]} terminé")
    effort['case opened, paid, receipt printed'] = client.effort()
    assert stored(server,
        "SELECT t.state, t.outcome, c.number FROM case_ticket t "
        "JOIN case_case c ON c.id = t.\"case\" WHERE t.number = ? "
        "AND t.date = (SELECT MAX(date) FROM case_ticket)",
        (tickets[0],)) == [('done', 'case', number)]

    # The second: a proxy collects a document that is ready
    client.reset_effort()
    client.click_button("Appeler le suivant")
    assert desk_message(client, f"Ticket {tickets[1]} appelé")
    client.expand_menu(
        "Réseau des services", "Dossiers", "Dossiers").dblclick()
    client.wait_tab("Dossiers")
    client.switch_domain("Prêt")
    client.search(ready)
    # a loaded server answers the search after sao looks idle: the list
    # still shows the other ready cases until then
    rows = client.pane.locator('tbody tr')
    end = time.monotonic() + 30
    while time.monotonic() < end and not (
            rows.count() and not rows.filter(has_not_text=ready).count()):
        client.page.wait_for_timeout(250)
    row = rows.filter(has_text=ready).first
    # selected on its number (the centre of the row is the procedure's
    # link), then shown in its form: a double click right after a search
    # can reach sao before the list is drawn again and open an empty form
    row.locator('td:visible', has_text=ready).first.click()
    client.wait_idle()
    client.toolbar('switch_')
    end = time.monotonic() + 30
    while (client.field_value('number') != ready
            and time.monotonic() < end):
        client.page.wait_for_timeout(250)
    assert client.field_value('number') == ready, client.field_value('number')
    client.select('recipient_kind', "Un mandataire")
    # typed, then Tab as people do: sao takes a text when its field loses
    # the focus, and redraws the form at the next choice
    name = client.pane.locator('input[name="recipient_name"]:visible').first
    name.fill("Ibrahima Diatta (frère)")
    name.press('Tab')
    client.select('recipient_id_type', "Carte nationale d'identité (CNI)")
    id_number = client.pane.locator(
        'input[name="recipient_id_number"]:visible').first
    id_number.fill("1 751 1990 01234")
    id_number.press('Tab')
    client.click_button("Délivrer")
    client.assert_no_dialog()
    assert wait_state(client, "Délivré") == "Délivré"
    client.switch_tab("Mon guichet")
    client.select('outcome', "Document remis")
    client.click_button("Terminer")
    client.assert_no_dialog()
    assert desk_message(client, f"Ticket {tickets[1]} terminé")
    effort['document collected by a proxy'] = client.effort()
    assert stored(server,
        "SELECT state, recipient_kind, recipient_name FROM case_case "
        "WHERE number = ?", (ready,)) == [
        ('delivered', 'proxy', "Ibrahima Diatta (frère)")]

    # Nobody left: the desk says so
    client.click_button("Appeler le suivant")
    assert desk_message(client, "Personne n'attend pour Justice")
    client.screenshot('31-desk-queue-empty', [
            "Mon guichet", "Appeler le suivant"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / 'effort.json').write_text(
        json.dumps(effort, ensure_ascii=False, indent=2))
    print('EFFORT', json.dumps(effort, ensure_ascii=False))


def test_a_citizen_served_at_the_desk(client, server):
    """The checklist on the desk: agent.zig calls a Justice ticket, types
    the citizen's NIN, ticks the identity card, picks cash and clicks
    « Ouvrir un dossier »: the case is opened, submitted and paid without
    leaving the desk, and « Terminer et suivant » calls the
    next ticket. The calls sao makes for it are counted (the load
    benchmark's desk visit makes the same)."""
    (name, nin), = stored(server,
        "SELECT p.name, p.national_id FROM party_party p "
        "JOIN case_case c ON c.citizen = p.id "
        "JOIN network_site s ON s.id = c.site "
        "WHERE s.code = 'ZIG' AND p.national_id IS NOT NULL "
        "ORDER BY p.id LIMIT 1")
    client.login('agent.zig', PASSWORD)
    tickets = take_tickets(client, "Justice", 2)
    client.open_menu(*DESK)
    client.pane.locator('input[name="counter"]').first.wait_for()
    client.wait_answers()
    if "Guichet 2 (Justice)" not in client.field_value('counter'):
        client.set_many2one('counter', "Guichet 2", "Guichet 2 (Justice)")
        client.toolbar('save')
    # a ticket left by an earlier test is finished first
    while not client.pane.locator(
            'button:visible', has_text="Appeler le suivant").count():
        client.select('outcome', "Information donnée")
        client.click_button("Terminer")
    while True:
        client.click_button("Appeler le suivant")
        client.wait_answers()
        if desk_message(client, "").startswith(f"Ticket {tickets[0]} "):
            break
        client.click_button("Terminer")

    client.reset_methods()
    client.reset_effort()
    box, field = client._many2one('citizen')
    client._complete(box, field, nin, name)
    client.wait_answers()
    # the procedure cleared then picked: the checklist follows it, drawn
    # by the client before any save (the lines of the procedure before
    # are struck through until then)
    live = client.one2many("Pièces apportées").locator(
        'tbody tr:not([style*="line-through"])', has=client.page.locator(
            'td[data-title^="Apportée"] input[type=checkbox]'))

    def wait_lines(count):
        end = time.monotonic() + 15
        while live.count() != count and time.monotonic() < end:
            client.page.wait_for_timeout(200)
        return live.count()
    procedure = client.pane.locator('input[name="procedure"]').first
    procedure.fill('')
    procedure.press('Tab')
    client.wait_answers()
    assert wait_lines(0) == 0
    client.set_many2one('procedure', "CJ-B3")
    client.wait_answers()
    assert wait_lines(2) == 2
    identity = live.filter(has_text="Pièce d'identité").locator(
        'td[data-title^="Apportée"] input[type=checkbox]').first
    # the lines are the procedure's: none added or deleted by hand
    widget = client.one2many("Pièces apportées")
    for title in ["Nouveau", "Supprimer"]:
        assert widget.locator(
            f'.form-one2many-toolbar button[title="{title}"]'
            ).first.is_disabled(), title
    identity.click()
    client.select('payment_method', "Espèces")
    assert client.field_value('fee') in {"400", "400,00"}, (
        client.field_value('fee'))
    client.screenshot('32-desk-checklist', [
            "Mon guichet", "Pièces apportées", "Apportée", "Obligatoire",
            "Frais (F CFA)", "Mode de paiement", "Ouvrir un dossier",
            "Terminer et suivant"])
    client.click_button("Ouvrir un dossier")
    client.assert_no_dialog()
    message = desk_message(client, "Dossier ZIG-").replace('\xa0', ' ')
    assert message.endswith("400 F CFA encaissés (Espèces)."), message
    number = message.split()[1]
    # the case was served on the desk: no tab opened for it
    client.wait_answers()
    assert not client.page.locator(
        f'li[id^="nav-tab-"] span[title^="{number}"]').count()
    assert client.field_value('case') == number
    assert stored(server,
        "SELECT c.state, c.payment_method, c.paid_at IS NOT NULL, "
        "p.name FROM case_case c JOIN party_party p ON p.id = c.citizen "
        "WHERE c.number = ?", (number,)) == [
        ('submitted', 'cash', 1, name)]
    assert stored(server,
        "SELECT d.mandatory, d.provided FROM case_document d "
        "JOIN case_case c ON c.id = d.\"case\" WHERE c.number = ? "
        "ORDER BY d.id", (number,)) == [(1, 1), (0, 0)]

    client.click_button("Terminer et suivant")
    client.assert_no_dialog()
    message = desk_message(client, f"Ticket {tickets[0]} terminé")
    assert f"Ticket {tickets[1]} appelé" in message, message
    client.wait_answers()
    methods = client.reset_methods()
    effort = client.effort()
    print('CALLS', len(methods), methods, 'EFFORT', effort)
    # the citizen found by NIN (completions, then the one picked read),
    # the procedure changed (its completion and the checklist with the
    # fee: three calls, seldom needed), then three calls for the case and
    # two for the next ticket
    served = [m for m in methods if not m.startswith(
            ('model.party.party.autocomplete', 'model.network.procedure.',
                'model.case.desk.on_change_procedure'))]
    assert served == [
        'model.party.party.read', 'model.case.desk.write',
        'model.case.desk.open_case', 'model.case.desk.read',
        'model.case.desk.finish_call_next', 'model.case.desk.read'], methods
    client.select('outcome', "Information donnée")
    client.click_button("Terminer")


def test_site_manager_home(client):
    client.login('chef.zig', PASSWORD)
    client.screenshot('32-manager-home', [
            "Accueil chef de site", "File d'attente du jour", "Secteur",
            "En attente", "Attente max. (min)",
            "Agents à leur guichet", "Dossiers en retard ou à risque"])


def test_tickets_list_fits_a_laptop_screen(client):
    """The queue tickets' list beside the menu on a 1366 px screen: every
    column it shows is on the screen with its whole header, and each served
    ticket says at which counter"""
    client.login('agent.zig', PASSWORD)
    client.open_menu(
        "Réseau des services", "Dossiers", "Tickets de file d'attente")
    client.open_list_tab("Tous")
    client.wait_idle()
    client.pane.locator('table.tree tbody tr').first.wait_for()
    # each header shown: its label, on the screen, whole; and the column
    # of counters, row by row
    headers, counters = client.pane.evaluate("""pane => {
        const view = [...pane.querySelectorAll('.treeview')].find(
            v => v.offsetWidth);
        const right = view.getBoundingClientRect().right;
        const ths = [...view.querySelectorAll('thead th')];
        const column = ths.findIndex(th => th.innerText.trim() == 'Guichet');
        return [
            ths.filter(th => th.offsetWidth && th.innerText.trim()).map(
                th => {
                    const label = th.querySelector('label');
                    return [th.innerText.trim(),
                        th.getBoundingClientRect().right <= right + 1,
                        label.scrollWidth <= label.clientWidth];
                }),
            [...view.querySelectorAll('tbody tr')].map(
                tr => tr.children[column]?.innerText || "")];
        }""")
    assert [h[0] for h in headers] == [
        "Date", "Numéro", "Secteur", "Heure d'arrivée", "Guichet",
        "Temps d'attente (min)", "Issue", "État"], headers
    assert [h for h in headers if not (h[1] and h[2])] == [], headers
    # the tickets served (a ticket still waiting has no counter yet)
    assert [c for c in counters if c.startswith("ZIG - Guichet ")], counters
    client.screenshot('33-agent-tickets', [
            "Tickets de file d'attente", "Heure d'arrivée", "Guichet",
            "Temps d'attente (min)", "Issue", "État"])
