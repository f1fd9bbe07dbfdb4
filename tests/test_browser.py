"""The web ERP in Debian's Chromium (headless), as its users work in it.

Screenshots go to artifacts/screenshots/; each step checks the French labels
it expects in the page's DOM. Runs on SQLite against the demo server."""
import os

import pytest
from browser_tools import CHROMIUM, CHROMIUM_ARGS, Client, DemoServer

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
    playwright_api = pytest.importorskip('playwright.sync_api')
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def client(browser, server):
    context = browser.new_context(
        locale='fr-FR', viewport={'width': 1400, 'height': 900})
    page = context.new_page()
    page.set_default_timeout(30000)
    yield Client(page, server)
    context.close()


def test_login_page_in_french(client):
    client.page.goto(client.server.url + '/')
    client.page.wait_for_selector('#login')
    client.screenshot('01-login', ["Connexion", "Nom d'utilisateur"])


def test_network_admin_browses_the_network(client):
    client.login('reseau', PASSWORD)
    client.open_menu("Réseau des services", "Sites")
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
    assert "Administration" not in entries
    client.menu_row("Réseau des services").locator('.expander').click()
    client.menu_cell("Sites").wait_for()
    entries = client.menu_entries()
    assert "Sites" in entries
    # configuration is for network administrators only
    assert "Configuration" not in entries
    client.screenshot('05-agent-menu', ["Réseau des services", "Sites"])
