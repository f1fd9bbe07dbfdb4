"""The web ERP in Debian's Chromium (headless), as its users work in it.

Screenshots go to artifacts/screenshots/; each step checks the French labels
it expects in the page's DOM. Runs on SQLite against the demo server."""

import pytest

from browser_tools import (
    NEEDS_BROWSER,
    DemoServer,
)

pytestmark = NEEDS_BROWSER
PASSWORD = 'Senegal-2026'
VIEWPORT = (1400, 900)


@pytest.fixture(scope='module')
def server():
    server = DemoServer().start()
    yield server
    server.stop()


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
