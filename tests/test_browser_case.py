"""The case at the counter, in Chromium on a laptop's 1366 x 768 screen, as
Ziguinchor's counter agent (agent.zig): « Mes dossiers » shows each case's
expected delivery, legal delay and working days left, late cases in red and
at-risk ones in orange, and filters and sorts them by delay status; the
case's first page shows its delay and its buttons are not cut; procedures
are found by any word; the receipt opens in a new tab to print, in French
with dd/mm/yyyy dates. Screenshots go to artifacts/screenshots/case-*.png.

The demo database is copied for these tests with three cases of agent.zig
moved in time: one late, one at risk (due today) and one on time."""
import contextlib
import datetime as dt
import io
import re
import shutil
import sqlite3

import pytest
from pypdf import PdfReader

from browser_tools import (
    NEEDS_BROWSER,
    SCREENSHOTS,
    DemoServer,
    build_demo,
    serve,
)
from security_tools import RPC

pytestmark = NEEDS_BROWSER
PASSWORD = 'Senegal-2026'
# Dakar is on UTC all year
TODAY = dt.datetime.now(dt.timezone.utc).date()
STATUSES = {
    'late': "En retard", 'at_risk': "À risque", 'on_time': "Dans les délais",
    None: ""}
COLOURS = {'late': 'danger', 'at_risk': 'warning'}
OPEN_STATES = [
    'draft', 'submitted', 'transmitted', 'at_partner', 'waiting_citizen',
    'waiting_partner', 'ready']


def day(date):
    return date.strftime('%d/%m/%Y')


def pane(client):
    """The active tab's content (the pages of a form's notebook are active
    tab panes too)"""
    return client.pane.first.element_handle()


class CaseServer(DemoServer):
    """The demo served from its own copy, where agent.zig follows a case
    late by ten days (submitted, not paid), one due today so at risk
    (transmitted, paid) and one due in three months"""

    def __init__(self):
        super().__init__()
        self.run_path = self.path / 'run-case'
        self.cases = {}

    def start(self):
        build_demo(self.env, self.database)
        shutil.rmtree(self.run_path, ignore_errors=True)
        self.run_path.mkdir()
        copy = self.run_path / f'{self.database}.sqlite'
        shutil.copyfile(self.path / f'{self.database}.sqlite', copy)
        self.cases = move_in_time(copy)
        self.process, self.log = serve(
            self.env, self.database, self.run_path, self.url)
        return self


def move_in_time(path):
    "Give agent.zig the late, at-risk and on-time cases; return their numbers"
    cases = {}
    with contextlib.closing(sqlite3.connect(path)) as db:
        employee, = db.execute(
            "SELECT employee FROM res_user WHERE login = 'agent.zig'"
            ).fetchone()

        def pick(state):
            # the agent's own cases first
            row = db.execute(
                "SELECT c.id, c.number FROM case_case c "
                "JOIN network_site s ON s.id = c.site "
                "WHERE s.code = 'ZIG' AND c.state = ? "
                f"AND c.id NOT IN ({','.join('?' * len(cases)) or '-1'}) "
                "ORDER BY c.assignee = ? DESC, c.id LIMIT 1",
                [state, *(i for i, _ in cases.values()), employee]
                ).fetchone()
            assert row, f"no {state} case at Ziguinchor in the demo"
            return row

        for key, state, due in [
                ('late', 'submitted', TODAY - dt.timedelta(days=10)),
                ('at_risk', 'transmitted', TODAY),
                ('on_time', 'submitted', TODAY + dt.timedelta(days=90))]:
            cases[key] = pick(state)
            db.execute(
                "UPDATE case_case SET assignee = ?, due_date = ?, "
                "late_flagged = ? WHERE id = ?",
                [employee, due.isoformat(), False, cases[key][0]])
        db.commit()
    return {key: number for key, (_, number) in cases.items()}


@pytest.fixture(scope='module')
def server():
    server = CaseServer().start()
    yield server
    server.stop()


@pytest.fixture
def rpc(server):
    return RPC(server.url, server.database).login('agent.zig', PASSWORD)


def my_cases(rpc, *domain):
    "The cases of « Mes dossiers » as the server computes their delay"
    records = rpc.model('case.case', 'search_read', [
            ('assignee', '=', rpc.context['employee']),
            ('state', 'in', OPEN_STATES), *domain], 0, None, None, [
            'number', 'due_date', 'legal_delay', 'days_left', 'sla_status'])
    return {r['number']: r for r in records}


def list_rows(client):
    """The rows of the current list: {number: {column title: (text,
    classes of the cell)}}"""
    rows = client.page.evaluate('''pane => Array.from(
        pane.querySelectorAll('table.tree > tbody > tr'))
        .filter(row => row.offsetParent)
        .map(row => Object.fromEntries(Array.from(row.cells)
            .filter(cell => cell.dataset.title)
            .map(cell => [
                cell.dataset.title.replace(/\\s*:\\s*$/, '').trim(),
                [cell.innerText.trim(), cell.className]])))''',
        pane(client))
    return {row["Numéro"][0]: row for row in rows}


def wait_list(client, numbers):
    "The rows of the current list once they are the cases numbers"
    end = dt.datetime.now() + dt.timedelta(seconds=30)
    while set(rows := list_rows(client)) != set(numbers) and (
            dt.datetime.now() < end):
        client.page.wait_for_timeout(250)
    assert set(rows) == set(numbers), (sorted(rows), sorted(numbers))
    return rows


def check_delays(rows, cases):
    "Each row shows the server's delay, late in red and at risk in orange"
    for number, case in cases.items():
        row = rows[number]
        status = case['sla_status']
        assert row["Respect du délai"][0] == STATUSES[status], number
        days = case['days_left']
        assert row["Jours restants"][0] == (
            '' if days is None else str(days)), number
        assert row["Délai légal"][0] == str(case['legal_delay']), number
        due = case['due_date']
        assert row["Échéance"][0] == (
            day(dt.date(due['year'], due['month'], due['day']))
            if due else ''), number
        for title in ["Respect du délai", "Jours restants", "Échéance"]:
            classes = set(row[title][1].split())
            assert ({'danger', 'warning'} & classes) == (
                {COLOURS[status]} if status in COLOURS else set()), (
                number, title, classes)


def open_case(client, number):
    """Open the case number of the current list in its form (a click and
    the toolbar's switch: a double click right after a search opens a
    second tab in sao 8.0)"""
    cell = client.pane.locator('table.tree > tbody > tr:visible').filter(
        has_text=number).first.locator('td', has_text=number).first
    cell.click()
    client.wait_idle()
    client.toolbar('switch_')
    client.page.wait_for_function(
        '([el, number]) => el.value == number',
        arg=[client.pane.locator('input[name="number"]').first
            .element_handle(), number])
    client.wait_idle()


# What is cut in the active tab: a text wider than its box (a button's
# label, the case's number), a box past the edge of the tab or below the
# window, a form wider than the tab
CUT = '''pane => {
    const area = pane.getBoundingClientRect();
    const cut = [];
    const boxes = Array.from(pane.querySelectorAll(
        '.form button, .form button *, .form input[name="number"]'));
    for (const box of boxes) {
        if (!box.offsetParent || !box.getClientRects().length) {
            continue;
        }
        const rect = box.getBoundingClientRect();
        const name = box.getAttribute('name') || box.innerText.trim()
            || box.className;
        if (box.scrollWidth > box.clientWidth + 1) {
            cut.push(`${name}: ${box.scrollWidth} > ${box.clientWidth}`);
        }
        if (rect.left < area.left - 1 || rect.right > area.right + 1
                || rect.bottom > window.innerHeight + 1) {
            cut.push(`${name}: outside (${Math.round(rect.left)}, `
                + `${Math.round(rect.right)}, ${Math.round(rect.bottom)})`);
        }
    }
    for (const form of pane.querySelectorAll('.form')) {
        if (form.offsetParent && form.scrollWidth > form.clientWidth + 1) {
            cut.push(`form: ${form.scrollWidth} > ${form.clientWidth}`);
        }
    }
    return cut;
}'''


def assert_nothing_cut(client):
    cut = client.page.evaluate(CUT, pane(client))
    assert not cut, cut


def visible_buttons(client):
    return [t.strip() for t in client.pane.locator(
            '.form button:visible').all_inner_texts() if t.strip()]


def test_my_cases_show_their_delay_in_colour(client, rpc, server):
    """« Mes dossiers » lists the expected delivery, the legal delay and
    the working days left, coloured by delay status, filters the late and
    at-risk cases and sorts the most urgent first"""
    cases = my_cases(rpc)
    statuses = {n: c['sla_status'] for n, c in cases.items()}
    assert {statuses[n] for n in server.cases.values()} == {
        'late', 'at_risk', 'on_time'}
    assert statuses[server.cases['late']] == 'late'
    assert statuses[server.cases['at_risk']] == 'at_risk'
    assert cases[server.cases['at_risk']]['days_left'] == 0

    client.login('agent.zig', PASSWORD)
    client.open_menu("Réseau des services", "Dossiers", "Mes dossiers")
    rows = wait_list(client, cases)
    check_delays(rows, cases)
    # the whole list fits beside the menu
    assert client.page.evaluate(
        '''pane => Array.from(pane.querySelectorAll('table.tree'))
        .filter(t => t.offsetParent)
        .every(t => t.getBoundingClientRect().right
            <= pane.getBoundingClientRect().right + 1)''',
        pane(client))
    client.screenshot('case-01-my-cases', [
            "Mes dossiers", "Échéance", "Délai légal", "Jours restants",
            "Respect du délai", "En retard", "À risque", "Dans les délais",
            server.cases['late'], server.cases['at_risk']])

    # the tabs count and filter the late and at-risk cases
    for tab, status in [("En retard", 'late'), ("À risque", 'at_risk')]:
        wanted = my_cases(rpc, ('sla_status', '=', status))
        assert wanted
        link = client.pane.locator('.nav-tabs a').filter(
            has_text=re.compile(rf'^\s*{tab}'))
        assert link.locator('.badge').inner_text().strip() == str(
            len(wanted))
        link.click()
        client.wait_idle()
        rows = wait_list(client, wanted)
        assert {r["Respect du délai"][0] for r in rows.values()} == {
            STATUSES[status]}
        check_delays(rows, wanted)
        client.screenshot(f'case-02-my-cases-{status}', [
                tab, STATUSES[status]])

    # sorted by delay status: late, at risk, on time, then the drafts
    client.open_list_tab("Tous")
    wait_list(client, cases)
    client.pane.locator('table.tree th', has_text="Respect du délai").click()
    client.wait_idle()
    ranks = {"En retard": 0, "À risque": 1, "Dans les délais": 2, "": 3}
    end = dt.datetime.now() + dt.timedelta(seconds=30)
    while True:
        shown = [ranks[t.strip()] for t in client.pane.locator(
                'table.tree > tbody > tr:visible '
                'td[data-title^="Respect du délai"]').all_inner_texts()]
        if shown == sorted(shown) or dt.datetime.now() > end:
            break
        client.page.wait_for_timeout(250)
    assert shown == sorted(ranks[STATUSES[s]] for s in statuses.values())
    client.screenshot('case-03-my-cases-by-status', [
            "Respect du délai", "En retard"])


def test_case_first_page_shows_the_delay_and_fits(client, server):
    """The delay is on the case's first page, with its colour; at 1366 x
    768 the number and every button show whole, on the first page and on
    the fees page"""
    client.login('agent.zig', PASSWORD)
    client.open_menu("Réseau des services", "Dossiers", "Mes dossiers")

    late = server.cases['late']
    open_case(client, late)
    assert client.field_value('due_date') == day(
        TODAY - dt.timedelta(days=10))
    assert int(client.field_value('legal_delay')) >= 1
    assert int(client.field_value('days_left')) < 0
    assert client.selection_text('sla_status') == "En retard"
    colour = client.pane.locator('.form-image_ img').first.evaluate(
        'el => getComputedStyle(el).backgroundColor')
    assert colour == 'rgb(217, 83, 79)'
    # buttons show their labels in capitals
    assert {"ANNULER", "REJETER", "ATTENDRE L'USAGER",
        "TRANSMETTRE AU PARTENAIRE"} <= set(visible_buttons(client))
    assert_nothing_cut(client)
    client.screenshot('case-04-late-case', [
            "Délivrance prévue", "Délai légal (jours ouvrés)",
            "Jours ouvrés restants", "En retard", "Transmettre au partenaire"])
    client.open_page("Frais")
    client.pane.locator('button:visible', has_text="Encaisser les frais"
        ).first.wait_for()
    assert_nothing_cut(client)
    client.screenshot('case-05-late-case-fees', [
            "Mode de paiement", "Encaisser les frais", "Modifier des frais",
            "Transmettre au partenaire"])
    client.open_page("Pièces")

    # the case with the most buttons: transmitted, paid, due today
    client.toolbar('switch_')
    at_risk = server.cases['at_risk']
    open_case(client, at_risk)
    assert client.field_value('due_date') == day(TODAY)
    assert client.field_value('days_left') == '0'
    assert client.selection_text('sla_status') == "À risque"
    colour = client.pane.locator('.form-image_ img').first.evaluate(
        'el => getComputedStyle(el).backgroundColor')
    assert colour == 'rgb(240, 173, 78)'
    assert len(visible_buttons(client)) >= 5
    assert_nothing_cut(client)
    client.screenshot('case-06-at-risk-case', [
            "À risque", "Rejeter", "Attendre l'usager",
            "Attendre le partenaire", "Reçu par le partenaire",
            "Document prêt"])
    client.open_page("Frais")
    client.pane.locator('button:visible', has_text="Rembourser"
        ).first.wait_for()
    assert_nothing_cut(client)
    client.open_page("Pièces")

    # a new case: no delay yet
    client.new_record()
    assert client.field_value('days_left') == ''
    assert_nothing_cut(client)
    client.screenshot('case-07-new-case', ["Annuler", "Déposer"])


def test_procedures_found_by_a_word(client):
    """« permis » finds the building permits and « casier » the criminal
    record extract, in the case's procedure and in the catalogue"""
    client.login('agent.zig', PASSWORD)
    client.open_menu("Réseau des services", "Dossiers", "Mes dossiers")
    client.new_record()
    box = client.pane.locator('input[name="procedure"]').first
    field = client.pane.locator(
        '.form-many2one:has(input[name="procedure"])').first
    offered = {}
    for word in ["permis", "casier"]:
        box.click()
        box.fill(word)
        field.locator('li.completion').first.wait_for()
        client.wait_idle()
        client.page.wait_for_timeout(1000)
        offered[word] = {t.strip() for t in field.locator(
                'li.completion').all_inner_texts()}
        if word == "permis":
            client.screenshot('case-08-procedure-permis', [
                    "Autorisation de construire"])
        box.fill('')
        box.press('Escape')
        client.wait_idle()
    assert offered["permis"] == {
        "[URB-AC-C] Autorisation de construire (procédure complexe, "
        "TéléDAC)",
        "[URB-AC-S] Autorisation de construire (procédure simple, "
        "TéléDAC)"}, offered
    assert offered["casier"] == {
        "[CJ-B3] Extrait du bulletin n° 3 du casier judiciaire"}, offered

    client.open_menu("Réseau des services", "Démarches")
    box = client.pane.locator('input[placeholder="Rechercher"]:visible').first
    box.fill("permis")
    box.press('Enter')
    client.wait_idle()
    rows = client.wait_rows(2)
    assert sorted(re.search(r'URB-AC-[SC]', rows.nth(i).inner_text())[0]
        for i in range(2)) == ["URB-AC-C", "URB-AC-S"]
    client.screenshot('case-09-procedures-permis', [
            "URB-AC-S", "URB-AC-C", "Autorisation de construire"])


def test_receipt_opens_to_print(client, server):
    """« Reçu » opens the PDF in a new tab of the browser, whose viewer
    prints it, instead of a download: in French, dates as dd/mm/yyyy and
    times as HH:MM"""
    client.login('agent.zig', PASSWORD)
    client.open_menu("Réseau des services", "Dossiers", "Mes dossiers")
    number = server.cases['at_risk']
    open_case(client, number)
    downloads = []
    client.page.on('download', lambda download: downloads.append(download))
    tab, content = client.print_to_tab("Reçu")
    assert content.startswith(b'%PDF')
    assert tab.url.startswith(f'blob:{client.server.url}/')
    tab.wait_for_timeout(1500)
    tab.screenshot(path=str(SCREENSHOTS / 'case-10-receipt-tab.png'))
    tab.close()
    assert not downloads
    client.assert_no_dialog()

    (SCREENSHOTS / 'case-10-receipt.pdf').write_bytes(content)
    reader = PdfReader(io.BytesIO(content))
    assert reader.metadata.title == "Reçu"
    text, = [' '.join(p.extract_text().split()) for p in reader.pages]
    for expected in [
            number, "Reçu de dépôt et de paiement",
            f"Délivrance prévue le {day(TODAY)}", "Payé le",
            "Mode de paiement", "Arrêté le présent reçu"]:
        assert expected in text, expected
    for label in ["Dossier ouvert le", "Payé le", "Imprimé le"]:
        assert re.search(
            rf'{label} \d\d/\d\d/\d{{4}} \d\d:\d\d\b', text), label
    assert f"Imprimé le {day(TODAY)}" in text
    # every date is dd/mm/yyyy, no month in letters nor English word
    # (the tracking page's address, here 127.0.0.1, is no date)
    dates = re.findall(r'\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b',
        re.sub(r'https?://\s*[\w.:-]+', '', text))
    assert dates and all(
        re.fullmatch(r'\d\d/\d\d/\d{4}', d) for d in dates), dates
    for english in [
            "Receipt", "Opened on", "Citizen", "Procedure", "Expected",
            "Documents Received", "Fees", "Label", "Beneficiary", "Amount",
            "Payment", "Paid on", "Printed on", "Stamp", "Keep this",
            "Phone", "Partner", " AM", " PM", "January", "December"]:
        assert english not in text, english
