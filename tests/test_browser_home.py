"""Each role lands on its home page in Chromium: the board opens by itself
at login, its panels titled in French list the demo's records, and no
error dialog shows. Screenshots go to artifacts/screenshots/home-*.png."""

import pytest

from browser_tools import NEEDS_BROWSER, DemoServer

pytestmark = NEEDS_BROWSER
PASSWORD = 'Senegal-2026'

# login: (tab title, panel titles, demo rows shown)
HOMES = {
    'finance': ("Accueil finances", [
            "Facturations récentes",
            "Factures des partenaires à comptabiliser",
            "Reversements à comptabiliser", "Relevés à relancer"], [
            "Ministère de la Justice", "Brouillon"]),
    'rh': ("Accueil RH", [
            "Certifications qui expirent bientôt",
            "Sites en manque d'agents qualifiés"], [
            "Label Marianne"]),
    'reseau': ("Accueil administration du réseau", [
            "Jours fériés à confirmer", "Messages abandonnés"], [
            "La Poste (simulateur local)", "Relancer"]),
    'chef.zig': ("Accueil chef de site", [
            "Dossiers en retard ou à risque", "Transferts à réceptionner",
            "Incidents ouverts", "Sites en manque d'agents qualifiés",
            "Équipements hors service", "File d'attente du jour",
            "Agents à leur guichet"], [
            "Remplacement du scanner en panne de Ziguinchor",
            "Espace Sénégal Services de Dakar",
            "Le lecteur d'empreintes ne reconnaît plus les doigts."]),
    'agent.zig': ("Accueil agent de guichet", [
            "Mes dossiers en retard ou à risque",
            "Dossiers prêts à délivrer"], ["ZIG-"]),
    }


@pytest.fixture(scope='module')
def server():
    server = DemoServer().start()
    yield server
    server.stop()


# panels whose every row shows one of these texts: (login, panel): texts
FILTERED = {
    ('chef.zig', "Dossiers en retard ou à risque"): ["En retard", "À risque"],
    ('chef.zig', "Équipements hors service"): ["Endommagé", "En réparation"],
    ('agent.zig', "Mes dossiers en retard ou à risque"): [
        "En retard", "À risque"],
    ('rh', "Certifications qui expirent bientôt"): ["/"],
    ('reseau', "Messages abandonnés"): ["La Poste (simulateur local)"],
    ('finance', "Factures des partenaires à comptabiliser"): ["Brouillon"],
    }
# panels and their number of rows in the demo
COUNTS = {
    ('reseau', "Messages abandonnés"): 1,
    ('chef.zig', "Transferts à réceptionner"): 1,
    ('chef.zig', "Incidents ouverts"): 1,
    ('chef.zig', "Équipements hors service"): 1,
    ('finance', "Relevés à relancer"): 1,
    }


def panel_rows(client, title):
    "The rows listed by the board's panel titled title"
    panel = client.pane.locator('.board-action').filter(
        has=client.page.locator('.panel-heading', has_text=title)).first
    return [t.strip() for t in panel.locator(
            'tbody tr:visible').all_inner_texts() if t.strip()]


def panel_titles(client):
    return [t.strip() for t in client.pane.locator(
            '.board-action > .panel-heading').all_inner_texts()]


@pytest.mark.parametrize('login', list(HOMES))
def test_home_page_opens_at_login(client, login):
    title, panels, rows = HOMES[login]
    client.login(login, PASSWORD)
    # the board is the tab opened by the login itself, no menu clicked
    client.wait_tab(title)
    client.pane.locator('.board-action').nth(len(panels) - 1).wait_for()
    client.screenshot(f'home-{login}', [title, *panels, *rows])
    assert sorted(panel_titles(client)) == sorted(panels)
    client.assert_no_dialog()
    # each panel lists only what its role does first
    for (role, panel), texts in FILTERED.items():
        if role == login:
            rows = panel_rows(client, panel)
            assert rows, panel
            assert all(any(t in row for t in texts) for row in rows), rows
    for (role, panel), count in COUNTS.items():
        if role == login:
            assert len(panel_rows(client, panel)) == count, panel
    # every panel lists its records (an empty one still shows its columns)
    assert client.pane.locator('.board-action table').count() >= len(panels)
    # the home page opens again from the menu
    entries = client.menu_entries()
    client.menu_row("Réseau des services").locator('.expander').click()
    client.menu_cell(title).wait_for()
    assert title in client.menu_entries()
    others = {t for other, (t, _, _) in HOMES.items() if other != login}
    assert not others & set(client.menu_entries()), entries
