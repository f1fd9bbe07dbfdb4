"""HR's work in Debian's Chromium, as the demo user `rh` does it in sao:
agents imported from an Excel file and the one starting later found by
matricule, several agents assigned to a site in one step, the same agents
assigned again over the same dates refused by name with nothing saved, and
a certification's expiry coming from its training. What the server stored
is read back from the database after each step."""
import datetime as dt
import time

import openpyxl
import pytest

from browser_tools import NEEDS_BROWSER
from security_tools import SecurityServer

pytestmark = NEEDS_BROWSER
PASSWORD = 'Senegal-2026'
TODAY = dt.date.today()


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_chromium_hr').start()
    yield server
    server.stop()


def french(date):
    return date.strftime('%d/%m/%Y')


def staff_file(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def stored_assignments(server):
    "The assignments of the agents imported here, as stored"
    return server.sql(
        "SELECT e.matricule, s.code, a.from_date, a.to_date "
        "FROM agent_assignment a "
        "JOIN company_employee e ON e.id = a.employee "
        "JOIN network_site s ON s.id = a.site "
        "WHERE e.matricule LIKE 'HRC-%%' ORDER BY e.matricule, a.id")


def dialog_rows(client, dialog, count):
    """The rows of the dialog's list once there are count of them: the list
    is filled after the form, later on a loaded server"""
    rows = dialog.locator('tbody tr')
    end = time.monotonic() + 30
    while rows.count() != count and time.monotonic() < end:
        client.page.wait_for_timeout(250)
    return rows


def test_rh_imports_and_assigns_agents(server, client, tmp_path):
    later = TODAY + dt.timedelta(days=20)
    client.login('rh', PASSWORD)

    # (a) The staff file imported through "Importer des agents"
    path = staff_file(tmp_path / 'agents.xlsx', [
            ['Matricule', 'Nom', "Date d'embauche", 'Langues'],
            ['HRC-001', 'Awa Sarr', french(later), 'Français, Wolof'],
            ['HRC-002', 'Ousmane Ba', '02/01/2024', 'Français'],
            ['HRC-003', 'Binta Diop', '15/03/2025', 'Français, Pulaar'],
            ])
    dialog = client.open_menu_wizard(
        "Réseau des services", "Agents", "Agents", "Importer des agents",
        label="Fichier")
    client.upload(dialog, path)
    client.screenshot('hr-01-import-file', [
            "Importer des agents", "Colonnes : Matricule, Nom", "Fichier",
            "Annuler", "Importer"])
    dialog.locator('button', has_text="Importer").click()
    dialog = client.wait_dialog("Agents créés")
    for name, expected in [('agents', '3'), ('assignments', '0'),
            ('upcoming', '1')]:
        assert dialog.locator(
            f'input[name="{name}"]').first.input_value() == expected, name
    client.screenshot('hr-02-import-done', [
            "Agents créés", "Affectations créées", "Prise de poste à venir",
            "Agents importés", "HRC-001", "Awa Sarr", "HRC-003",
            "Ouvrir les agents importés"])
    assert server.sql(
        "SELECT matricule, hire_date FROM company_employee "
        "WHERE matricule LIKE 'HRC-%%' ORDER BY matricule") == [
            ('HRC-001', later.isoformat()),
            ('HRC-002', '2024-01-02'),
            ('HRC-003', '2025-03-15')]
    assert stored_assignments(server) == []
    dialog.locator('button', has_text="Fermer").click()
    client.dialog.wait_for(state='hidden')

    # The agent starting later is under "À venir", found by matricule
    client.expand_menu("Réseau des services", "Agents", "Agents").dblclick()
    client.wait_tab("Agents")
    client.open_list_tab("À venir")
    client.search("HRC")
    rows = client.wait_rows(1)
    assert rows.count() == 1 and "HRC-001" in rows.first.inner_text()
    client.screenshot('hr-03-upcoming-agent', [
            "À venir", "Matricule", "HRC-001", "Awa Sarr"])

    # (b) Two agents selected in the list, assigned to Ziguinchor at once
    client.open_list_tab("En poste et à venir")
    client.search("HRC")
    assert client.wait_rows(3).count() == 3
    client.select_rows("HRC-002", "HRC-003")
    dialog = client.run_action("Affecter à un site", "Date de début")
    assert client.wait_value(
        dialog.locator('input[name="from_date"]').first) == french(TODAY)
    # the agents selected in the list, and only them
    assert dialog_rows(client, dialog, 2).count() == 2
    listed = ' '.join(dialog.locator('tbody tr').all_inner_texts())
    assert 'HRC-002' in listed and 'HRC-003' in listed
    client.set_dialog_many2one(dialog, 'site', 'ZIG', '[ZIG]')
    client.screenshot('hr-04-assign-form', [
            "Affecter à un site", "Site", "Guichet", "Secteur",
            "Date de début", "Date de fin", "Agents", "HRC-002",
            "Ousmane Ba", "HRC-003", "Binta Diop", "Annuler", "Affecter"])
    dialog.locator('button', has_text="Affecter").click()
    client.wait_tab("Affectations créées à ZIG (2)")
    client.assert_no_dialog()
    client.wait_rows(2)
    client.screenshot('hr-05-assignments-created', [
            "Affectations créées à ZIG (2)", "Agent", "Site",
            "Date de début", "Date de fin", "[HRC-002] Ousmane Ba",
            "[HRC-003] Binta Diop", french(TODAY)])
    assert stored_assignments(server) == [
        ('HRC-002', 'ZIG', TODAY.isoformat(), None),
        ('HRC-003', 'ZIG', TODAY.isoformat(), None)]

    # (c) Assigned again over the same dates with an agent never assigned:
    # refused, naming the agent, and nothing is saved for either
    client.switch_tab("Agents")
    client.select_rows("HRC-001", "HRC-002")
    dialog = client.run_action("Affecter à un site", "Date de début")
    assert dialog_rows(client, dialog, 2).count() == 2
    client.set_dialog_many2one(dialog, 'site', 'DKR', '[DKR]')
    before = server.snapshot('agent_assignment')
    dialog.locator('button', has_text="Affecter").click()
    error = client.wait_dialog("Aucune affectation n'a été créée")
    message = error.inner_text()
    assert "agents déjà affectés sur ces dates : 1." in message
    assert "« [HRC-002] Ousmane Ba » ne peut pas être affecté" in message
    assert f"à partir du {french(TODAY)}, sans date de fin" in message
    assert "Awa Sarr" not in message
    client.screenshot('hr-06-assign-refused', [
            "Aucune affectation n'a été créée", "[HRC-002] Ousmane Ba",
            "[ZIG] Espace Sénégal Services de Ziguinchor", "Valider"])
    assert server.snapshot('agent_assignment') == before
    assert stored_assignments(server) == [
        ('HRC-002', 'ZIG', TODAY.isoformat(), None),
        ('HRC-003', 'ZIG', TODAY.isoformat(), None)]
    # the form stays open to change the dates or the agents, or cancel
    error.locator('button', has_text="Valider").click()
    dialog = client.wait_dialog("Date de début")
    dialog.locator('button', has_text="Annuler").click()
    client.dialog.wait_for(state='hidden')
    client.assert_no_dialog()
    assert server.snapshot('agent_assignment') == before


def test_rh_certification_expiry_from_training(server, client):
    "A certification's expiry defaults to its date plus the validity"
    client.login('rh', PASSWORD)
    client.open_menu("Réseau des services", "Agents", "Certifications")
    client.new_record()
    client.set_many2one('employee', 'ESS-0001', 'Ndeye Fatou Diallo')
    client.set_many2one('training', 'Label Marianne')
    date = client.pane.locator('input[name="date"]').first
    date.fill('15/01/2026')
    date.press('Tab')
    client.wait_idle()
    # Label Marianne is valid 24 months
    assert client.wait_field('expiry_date') == '15/01/2028'
    assert client.field_value('employee') == "[ESS-0001] Ndeye Fatou Diallo"
    assert client.field_value('training') == (
        "Qualité d'accueil Label Marianne")
    client.screenshot('hr-07-certification-expiry', [
            "Certifications", "Agent", "Formation", "Obtenue le",
            "Expire le"])
    client.toolbar('save')
    client.assert_no_dialog()
    assert server.sql(
        "SELECT c.date, c.expiry_date FROM agent_certification c "
        "JOIN company_employee e ON e.id = c.employee "
        "WHERE e.matricule = 'ESS-0001' AND c.date = '2026-01-15'") == [
            ('2026-01-15', '2028-01-15')]
