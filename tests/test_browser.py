"""The web ERP in Debian's Chromium (headless), as its users work in it.

Screenshots go to artifacts/screenshots/; each step checks the French labels
it expects in the page's DOM. Runs on SQLite against the demo server."""
import io
import os

import pytest
from browser_tools import (
    CHROMIUM,
    SCREENSHOTS,
    DemoServer,
    launch_chromium,
    new_client,
)
from pypdf import PdfReader

pytestmark = [
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="chromium is not installed"),
    pytest.mark.skipif(
        not os.environ.get('TRYTOND_DATABASE__URI', 'sqlite').startswith(
            'sqlite'),
        reason="the demo server runs on SQLite"),
    ]
PASSWORD = 'Senegal-2026'


@pytest.fixture(scope='module')
def server():
    server = DemoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def browser():
    pytest.importorskip('playwright.sync_api')
    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def client(browser, server):
    client = new_client(browser, server, 1400, 900)
    yield client
    client.page.context.close()


def test_login_page_in_french(client):
    client.page.goto(client.server.url + '/')
    client.page.wait_for_selector('#login')
    client.screenshot('01-login', ["Connexion", "Nom d'utilisateur"])


def test_network_admin_browses_the_network(client):
    client.login('reseau', PASSWORD)
    client.open_menu("Réseau des services", "Sites")
    # what the agents do not see (test_agent_menu_limited_to_role)
    assert {"Configuration", "Connecteurs", "Facturation", "Produits"} <= set(
        client.menu_entries())
    client.search("Ziguinchor")
    client.screenshot('02-admin-sites', [
            "Réseau des services / Sites", "Ouvert", "Région",
            "Département", "Espace Sénégal Services de Ziguinchor"])
    client.open_menu("Réseau des services", "Démarches")
    client.screenshot('03-admin-procedures', [
            "Démarches", "Délai légal (jours ouvrés)",
            "Extrait du bulletin n° 3 du casier judiciaire"])
    client.open_menu("Réseau des services", "Administrations partenaires")
    client.screenshot('04-admin-partners', [
            "Administrations partenaires", "Type de partenaire",
            "Ministère de la Justice", "La Poste (SN La Poste)"])


def test_agent_menu_limited_to_role(client):
    client.login('agent.zig', PASSWORD)
    entries = client.menu_entries()
    assert "Réseau des services" in entries
    # products (the fees billed to partners) are finance's
    assert "Administration" not in entries
    assert "Produits" not in entries
    client.menu_row("Réseau des services").locator('.expander').click()
    client.menu_cell("Sites").wait_for()
    entries = client.menu_entries()
    assert {"Sites", "Dossiers", "Démarches"} <= set(entries)
    # configuration and connectors are for network administrators only,
    # billing for finance
    for label in ["Configuration", "Connecteurs", "Facturation"]:
        assert label not in entries, label
    client.menu_row("Dossiers").locator('.expander').click()
    client.menu_cell("Mes dossiers").wait_for()
    entries = client.menu_entries()
    assert {"Mes dossiers", "Tickets de file d'attente"} <= set(entries)
    client.screenshot('05-agent-menu', [
            "Réseau des services", "Sites", "Mes dossiers",
            "Tickets de file d'attente"])


def test_agent_serves_a_citizen_from_ticket_to_receipt(client):
    """At Ziguinchor, a citizen takes a ticket for Justice, is called to the
    counter, and the agent opens her case for a criminal-record extract,
    ticks her documents, submits it, collects the fees, prints the PDF
    receipt and closes the ticket with the case"""
    client.login('agent.zig', PASSWORD)

    # The ticket taken at reception
    client.open_menu(
        "Réseau des services", "Dossiers", "Tickets de file d'attente")
    client.new_record()
    assert 'ZIG' in client.field_value('site')
    client.set_many2one('sector', "Justice")
    client.toolbar('save')
    ticket = client.field_value('number')
    assert ticket.startswith('J-'), ticket
    assert client.selection_text('state') == "En attente"
    client.screenshot('06-agent-ticket-taken', [
            "Tickets de file d'attente", "Secteur", "Arrivé à", "Issue"])

    # The Justice counter calls the next ticket: hers, the only one waiting
    client.open_menu("Réseau des services", "Sites", "Guichets")
    client.search("Box 2")
    row = client.pane.locator('tbody tr').filter(
        has_text="[ZIG]").filter(has_text="Box 2 - Justice").first
    row.locator('td', has_text="Box 2 - Justice").first.click()
    client.wait_idle()
    client.toolbar('switch_')
    client.pane.locator('button:visible', has_text=(
            "Appeler le ticket suivant")).first.wait_for()
    assert client.field_value('name') == "Box 2 - Justice"
    client.screenshot('07-agent-counter', [
            "Guichets", "Secteur", "Appeler le ticket suivant"])
    client.click_button("Appeler le ticket suivant")
    client.assert_no_dialog()

    client.switch_tab("Tickets de file d'attente")
    client.toolbar('reload')
    assert client.field_value('number') == ticket
    assert client.selection_text('state') == "Appelé"
    assert client.field_value('counter') == "ZIG - Box 2 - Justice (Justice)"
    client.screenshot('08-agent-ticket-called', [
            "Tickets de file d'attente", "Appelé à", "Guichet", "Agent"])

    # Her case, opened for a new citizen
    client.open_menu("Réseau des services", "Dossiers", "Mes dossiers")
    client.new_record()
    assert client.create_many2one('citizen', "Mariama Badji") == (
        "Mariama Badji")
    assert client.set_many2one('procedure', "CJ-B3") == (
        "[CJ-B3] Extrait du bulletin n° 3 du casier judiciaire")
    client.pane.locator('input[name="phone"]').first.fill('77 512 34 56')
    client.toolbar('save')
    number = client.wait_field('number')
    assert number.startswith('ZIG-'), number
    assert client.field_value('phone') == "+221 77 512 34 56"
    client.screenshot('09-agent-case-opened', [
            "Mes dossiers", "Usager", "Démarche", "Pièces", "Obligatoire",
            "Fournie", "Pièce d'identité (CNI ou passeport)",
            "Extrait de naissance", "Déposer"])

    # Her documents are ticked, the case is submitted and paid in cash
    boxes = client.tick_column("Fournie")
    assert boxes.count() == 2
    client.toolbar('save')
    assert all(boxes.nth(i).is_checked() for i in range(2))
    client.click_button("Déposer")
    client.assert_no_dialog()
    assert client.selection_text('state') == "Déposé"
    client.open_page("Frais")
    client.select('payment_method', "Espèces")
    client.toolbar('save')
    client.click_button("Encaisser les frais")
    client.assert_no_dialog()
    assert client.wait_field('paid_at')
    # paid once: the button is gone
    assert not client.pane.locator(
        'button:visible', has_text="Encaisser les frais").count()
    client.screenshot('10-agent-case-paid', [
            "Frais", "Timbre fiscal", "Frais de délivrance", "Payé le",
            "Mode de paiement", "Total (XOF)", "Transmettre au partenaire"])

    # The receipt: a French PDF that opens, with the case and the total
    client.open_print_menu()
    client.screenshot('11-agent-print-menu', ["Reçu"])
    tab, content = client.print_to_tab("Reçu")
    tab.close()
    receipt = SCREENSHOTS / '12-agent-receipt.pdf'
    receipt.write_bytes(content)
    assert content.startswith(b'%PDF')
    page_text, = [' '.join(p.extract_text().split())
        for p in PdfReader(io.BytesIO(content)).pages]
    for expected in [
            "Reçu de dépôt et de paiement", number, "Mariama Badji",
            "[CJ-B3] Extrait du bulletin n° 3 du casier judiciaire",
            "Ministère de la Justice", "Pièce d'identité (CNI ou passeport)",
            "Timbre fiscal", "Frais de délivrance", "Total 400",
            "Arrêté le présent reçu à la somme de quatre cents francs CFA",
            "Mode de paiement Espèces", "Agent : Fatou Sané"]:
        assert expected in page_text, expected

    # The ticket is closed with the case it opened
    client.switch_tab("Tickets de file d'attente")
    client.select('outcome', "Dossier ouvert")
    client.set_many2one('case', number)
    client.toolbar('save')
    client.click_button("Terminé")
    client.assert_no_dialog()
    assert client.selection_text('state') == "Terminé"
    client.screenshot('13-agent-ticket-done', [
            "Tickets de file d'attente", "Issue", "Dossier", "Terminé à",
            "Temps d'attente (min)"])


def test_site_manager_sees_the_indicators_graph(client):
    client.login('chef.zig', PASSWORD)
    client.open_menu(
        "Réseau des services", "Dossiers", "Indicateurs",
        "Dossiers par jour")
    client.pane.locator('svg, canvas').first.wait_for(timeout=60000)
    client.screenshot('14-manager-indicators', [
            "Dossiers par jour", "Indicateurs"])
    # open_menu double-clicks, as people do: one tab, and opening the entry
    # again later shows that tab instead of another
    tabs = client.page.locator(
        'li[id^="nav-tab-"] span[title$="Dossiers par jour"]')
    assert tabs.count() == 1
    client.page.wait_for_timeout(3500)
    client.menu_row("Dossiers par jour").click()
    client.wait_idle()
    client.page.wait_for_timeout(1000)
    assert tabs.count() == 1


def test_finance_opens_partners_billing(client):
    "Finance works on billing and does not see citizens' cases"
    client.login('finance', PASSWORD)
    client.open_menu(
        "Réseau des services", "Facturation", "Partenaires par mois")
    client.screenshot('15-finance-billing', [
            "Réseau des services / Facturation", "Partenaires par mois",
            "Conventions", "Reversements"])
    entries = client.menu_entries()
    for label in ["Mes dossiers", "Tickets de file d'attente",
            "Réclamations", "Notifications"]:
        assert label not in entries
