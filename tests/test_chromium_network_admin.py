"""The network administrator's journeys (issue 14) in Debian's Chromium, as
`reseau` works in sao on the demo database served by trytond.

Public holidays: an estimated date is confirmed from the "À confirmer"
tab. Connectors: the failed messages of the demo's outbox are sent again
with "Relancer" and reach the partners' simulators; "Tester la connexion"
on an endpoint says the response time, or why it failed, and saves
nothing. A site manager has neither.
"""
import datetime as dt
import re
import time

import pytest

from connector.tests.servers import LocalServer, closed_port
from connector_laposte.tests.servers import PASSWORD, USERNAME, LaPosteService
from connector_xroad.tests.servers import MinistryService
from security_tools import RPCError, SecurityServer

LAPOSTE = "La Poste (simulateur local)"
XROAD = "Casier judiciaire (simulateur X-Road local)"


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_chromium_network_admin').start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def partners(server):
    """The partners' simulators of the tests on free ports, the demo's
    endpoints pointed at them (the demo's own ports may be another demo's)"""
    laposte = LocalServer(LaPosteService()).start()
    ministry = LocalServer(MinistryService()).start()
    for name, url in [(LAPOSTE, f'{laposte.url}/ess'), (XROAD, ministry.url)]:
        server.sql('UPDATE connector_endpoint SET url = %s WHERE name = %s',
            (url, name))
    yield {'laposte': laposte.app, 'xroad': ministry.app,
        'laposte_url': laposte.url}
    laposte.stop()
    ministry.stop()


@pytest.fixture(scope='module')
def client(module_client):
    return module_client.login('reseau', 'Senegal-2026')


def wait_for(condition, timeout=30):
    "Wait until condition() holds (the server works after it answered)"
    end = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < end:
        time.sleep(0.25)
    return value


def test_confirm_estimated_holiday(server, client):
    "reseau confirms an estimated date from the 'À confirmer' tab"
    today = dt.date.today().isoformat()
    (holiday_id, date, name), = server.sql(
        'SELECT id, date, name FROM network_holiday '
        'WHERE estimated AND date >= %s ORDER BY date LIMIT 1', (today,))
    shown = dt.date.fromisoformat(str(date)).strftime('%d/%m/%Y')
    client.open_menu("Réseau des services", "Configuration", "Jours fériés")
    client.switch_domain("À confirmer")
    row = client.pane.locator('tbody tr', has_text=shown).first
    row.wait_for()
    assert name in row.inner_text()
    client.screenshot('network-01-holidays-to-confirm', [
            "Jours fériés", "À confirmer", "Date", "Nom", "Origine",
            "Confirmer la date", shown])
    before = server.sql('SELECT COUNT(*) FROM network_holiday')
    # the button of a row acts once the row is selected
    client.select_row(shown)
    row.locator('button', has_text=re.compile(
            r'^\s*Confirmer la date\s*$', re.I)).first.click()
    # sao asks first
    dialog = client.front_dialog()
    assert "Confirmer cette date ?" in dialog.inner_text()
    client.screenshot('network-02-holiday-confirm-question', [
            "Confirmer cette date ?", "Annuler", "Valider"])
    client.close_dialog(dialog, "Valider")
    client.assert_no_dialog()
    assert wait_for(lambda: server.sql(
            'SELECT estimated FROM network_holiday WHERE id = %s',
            (holiday_id,))[0][0] in (0, False))
    assert server.sql('SELECT COUNT(*) FROM network_holiday') == before
    assert server.sql('SELECT date, name FROM network_holiday WHERE id = %s',
        (holiday_id,)) == [(date, name)]
    # the tab no longer lists it
    client.toolbar('reload')
    client.pane.locator('tbody tr', has_text=shown).first.wait_for(
        state='detached')
    client.screenshot('network-02-holiday-confirmed-gone', ["À confirmer"])


def message_rows(server, ids):
    placeholders = ', '.join(['%s'] * len(ids))
    return server.sql(
        'SELECT idempotency_key, state, attempts, partner_reference '
        f'FROM connector_message WHERE id IN ({placeholders}) '
        'ORDER BY id', tuple(ids))


def test_retry_failed_messages(server, client, partners):
    "Several failed messages sent again at once, to the partners' services"
    failed = server.sql(
        "SELECT id, idempotency_key FROM connector_message "
        "WHERE state IN ('failed', 'dead') ORDER BY id")
    # the demo's first attempts found no simulator running
    assert len(failed) >= 4, failed
    ids = [i for i, _ in failed]
    client.open_menu("Réseau des services", "Connecteurs", "Messages")
    client.switch_domain("Tous")
    for _, key in failed:
        client.select_row(key)
    client.screenshot('network-03-messages-selected', [
            "Messages", "En attente", "Abandonné", "Tous",
            "Opération", "Mandat postal", "Demande au ministère", "État",
            "En échec", "Tentatives", "Dernière erreur",
            "Heure de la dernière tentative"])
    dialog = client.run_action("Relancer les messages")
    text = client.dialog_result(dialog)
    assert text == f"{len(ids)} message(s) relancé(s) : envoi immédiat.", (
        text)
    client.screenshot('network-04-messages-retried', [
            "Relancer les messages", "Fermer"])
    client.close_dialog(dialog, "Fermer")
    # sent after the commit, by the server itself
    assert wait_for(lambda: {r[1] for r in message_rows(server, ids)} == {
            'acknowledged'}), message_rows(server, ids)
    rows = message_rows(server, ids)
    assert all(attempts == 1 and reference for _, _, attempts, reference
        in rows), rows
    keys = {key for key, *_ in rows}
    assert keys == set(partners['laposte'].processed) | set(
        partners['xroad'].processed)
    client.toolbar('reload')
    client.screenshot('network-05-messages-acknowledged', ["Confirmé"])


def open_endpoint(client, name):
    "Open the form of the endpoint name from the list of endpoints"
    title = "Points d'accès"
    if client.page.locator(
            f'li[id^="nav-tab-"] span[title$="{title}"]').count():
        client.switch_tab(title)
        client.toolbar('switch_')
    else:
        client.open_menu("Réseau des services", "Connecteurs", title)
    row = client.pane.locator('tbody tr', has_text=name).first
    row.wait_for()
    client.open_row(row.locator('td:visible', has_text=name).first, 'name')
    client.wait_field('name')


def test_connection(server, client, partners):
    "Tester la connexion: the time of the answer, or why it failed"
    stored = ('SELECT id, url, secret, write_date FROM connector_endpoint '
        'ORDER BY id')
    before = server.sql(stored)
    messages = server.snapshot('connector_message', 'case_case')
    for name, shot in [(XROAD, 'network-06-xroad-test'),
            (LAPOSTE, 'network-07-laposte-test')]:
        open_endpoint(client, name)
        client.click_button("Tester la connexion")
        dialog = client.front_dialog()
        text = client.dialog_result(dialog)
        assert re.fullmatch(
            rf"Connexion à « {re.escape(name)} » réussie : le partenaire a "
            r"répondu en \d+ ms\.", text), text
        client.screenshot(shot, ["Tester la connexion", "Fermer"])
        client.close_dialog(dialog, "Fermer")
    assert server.sql(stored) == before
    assert server.snapshot('connector_message', 'case_case') == messages

    # The partner moved: the URL typed is saved, the test says why it fails
    closed = f'http://127.0.0.1:{closed_port()}/ess'
    box = client.pane.locator('input[name="url"]').first
    box.fill(closed)
    client.click_button("Tester la connexion")
    dialog = client.front_dialog()
    text = client.dialog_result(dialog)
    assert (f"Échec de la connexion à « {LAPOSTE} » : le serveur du "
        "partenaire est injoignable") in text, text
    secret, = server.sql(
        'SELECT secret FROM connector_endpoint WHERE name = %s', (LAPOSTE,))[0]
    assert secret and secret not in text
    client.screenshot('network-08-laposte-test-failed', [
            "Tester la connexion", "Fermer"])
    client.close_dialog(dialog, "Fermer")
    after = server.sql(stored)
    changed = [row for row in after if row not in before]
    assert [(row[1], row[2]) for row in changed] == [(closed, secret)]
    assert server.sql('SELECT protocol, kind, environment '
        'FROM connector_endpoint WHERE name = %s', (LAPOSTE,)) == [
        ('laposte', 'soap', 'test')]
    assert len(after) == len(before)
    assert server.snapshot('connector_message', 'case_case') == messages


def test_new_endpoint_tested_before_saving(server, client, partners):
    """A new endpoint is tested as soon as it is typed: the web client saves
    it, with the protocol chosen, then tests it"""
    client.open_menu("Réseau des services", "Connecteurs", "Points d'accès")
    client.new_record()
    client.pane.locator('input[name="name"]').first.fill("La Poste (essai)")
    client.set_many2one('partner', "La Poste")
    client.select('protocol', "La Poste (SOAP)")
    client.open_page("Identifiants")
    client.pane.locator('input[name="username"]:visible').first.fill(USERNAME)
    client.pane.locator('input[name="secret"]:visible').first.fill(PASSWORD)
    client.pane.locator('input[name="url"]').first.fill(
        f"{partners['laposte_url']}/ess")
    # typed in the same breath as the click: nothing pending is lost
    client.click_button("Tester la connexion")
    dialog = client.front_dialog()
    text = client.dialog_result(dialog)
    assert "Connexion à « La Poste (essai) » réussie" in text, text
    client.close_dialog(dialog, "Fermer")
    assert server.sql('SELECT protocol, kind, environment, url '
        'FROM connector_endpoint WHERE name = %s', ("La Poste (essai)",)) == [
        ('laposte', 'soap', 'test', f"{partners['laposte_url']}/ess")]


def test_site_manager_cannot_test(server, client):
    "chef.zig has no connectors menu, and the wizard refuses him"
    from browser_tools import new_client
    chef = new_client(client.page.context.browser, server)
    try:
        chef.login('chef.zig', 'Senegal-2026')
        chef.menu_row("Réseau des services").locator('.expander').click()
        chef.menu_cell("Dossiers").wait_for()
        assert "Connecteurs" not in chef.menu_entries()
        chef.screenshot('network-09-site-manager-menu', ["Dossiers"])
    finally:
        chef.page.context.close()
    endpoint, = server.sql(
        'SELECT id FROM connector_endpoint WHERE name = %s', (LAPOSTE,))[0]
    before = server.snapshot('connector_endpoint', 'connector_message')
    rpc = server.rpc().login('chef.zig')
    context = {'active_model': 'connector.endpoint', 'active_id': endpoint,
        'active_ids': [endpoint]}
    with pytest.raises(RPCError):
        session, _, _ = rpc(
            'wizard.connector.endpoint.test.create', context=context)
        rpc('wizard.connector.endpoint.test.execute', session, {}, 'start',
            context=context)
    with pytest.raises(RPCError):
        rpc.model('connector.endpoint', 'test_connection', [endpoint])
    assert server.snapshot('connector_endpoint', 'connector_message') == (
        before)
