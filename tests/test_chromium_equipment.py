"""Issue 14, equipment, in Debian's Chromium as the site manager of
Ziguinchor (chef.zig) works in sao: he fills in a transfer to Dakar,
picking the equipment of his site on its lines, prints the transfer slip
and sends it; then he selects equipment in the register and prints their
labels. A transfer sent without equipment is refused in French and the
database is read back to prove nothing was saved.

Screenshots and PDFs go to artifacts/screenshots/ (chef-*)."""
import io
import re
import time

import pytest
from pypdf import PdfReader

from browser_tools import NEEDS_BROWSER
from security_tools import SecurityServer
from site_equipment.tests.test_reports import ENGLISH, read_qr_codes

pytestmark = NEEDS_BROWSER
PASSWORD = 'Senegal-2026'
DDMMYYYY = re.compile(r'\b\d{2}/\d{2}/\d{4}\b')


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_equipment')
    # rollbacks are kept on SQLite only with a cache clean timeout
    server.env['TRYTOND_CACHE__CLEAN_TIMEOUT'] = '1'
    server.start()
    yield server
    server.stop()


def pdf_text(path):
    data = path.read_bytes()
    assert data[:4] == b'%PDF'
    return ' '.join(' '.join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(data)).pages)


def equipment_ids(server, *tags):
    return dict(server.sql(
            'SELECT asset_tag, id FROM equipment_equipment WHERE asset_tag IN '
            f"({', '.join(['%s'] * len(tags))})", tags))


@pytest.mark.parametrize('login', ['chef.zig', 'agent.zig', 'finance', 'rh'])
def test_register_readers_read_the_suppliers(server, login):
    """The register's list as sao reads it, its supplier column included:
    the supplier is a company, not a citizen hidden from site staff"""
    rpc = server.rpc().login(login)
    ids = rpc.model('equipment.equipment', 'search',
        [('asset_tag', 'like', 'ZIG-%')], 0, None, None)
    assert ids
    rows = rpc.model('equipment.equipment', 'read', ids,
        ['asset_tag', 'supplier.rec_name', 'site.rec_name'])
    assert {r['supplier.']['rec_name'] for r in rows} == {
        "Casamance Informatique SARL"}
    # and no more than that: the citizens stay hidden from them
    citizens = server.sql('SELECT p.id FROM party_party p '
        'JOIN case_case c ON c.citizen = p.id LIMIT 1')
    assert citizens
    if login in {'finance', 'rh'}:
        assert not rpc.model('party.party', 'search',
            [('id', 'in', [c for c, in citizens])], 0, None, None)


def test_chef_fills_prints_and_sends_a_transfer(server, client):
    from browser_tools import SCREENSHOTS
    client.login('chef.zig', PASSWORD)
    client.open_menu("Réseau des services", "Équipements", "Transferts")
    client.new_record()
    assert client.set_many2one('from_site', "ZIG") == (
        "[ZIG] Espace Sénégal Services de Ziguinchor")
    assert client.set_many2one('to_site', "DKR").startswith("[DKR] ")
    client.pane.locator('input[name="reason"]').first.fill(
        "Renfort pour l'ouverture du samedi")
    client.toolbar('save')
    client.assert_no_dialog()
    (transfer, state, lines), = server.sql(
        'SELECT t.id, t.state, COUNT(l.id) FROM equipment_transfer t '
        'LEFT JOIN equipment_transfer_line l ON l.transfer = t.id '
        "WHERE t.reason = %s GROUP BY t.id, t.state",
        ("Renfort pour l'ouverture du samedi",))
    assert (state, lines) == ('draft', 0)

    # Sent without equipment: refused in French, nothing changes
    before = server.snapshot('equipment_transfer', 'equipment_transfer_line')
    time.sleep(1.1)  # a cache sync is due at the next transaction
    client.click_button("Expédier")
    dialog = client.page.locator('.modal-dialog:visible').first
    dialog.get_by_text("n'a aucun équipement à expédier").wait_for()
    client.screenshot('chef-01-transfer-empty-refused', [
            "Transferts", "Site de départ", "Site d'arrivée",
            "n'a aucun équipement à expédier"])
    dialog.locator('button:visible').last.click()
    dialog.wait_for(state='hidden')
    assert server.snapshot(
        'equipment_transfer', 'equipment_transfer_line') == before
    assert server.sql('SELECT state, sent_date FROM equipment_transfer '
        'WHERE id = %s', (transfer,)) == [('draft', None)]

    # The equipment of another site is not offered on a line
    client.new_line("Équipements")
    offered = client.line_completions('equipment', "PC-0")
    assert offered and all(o.startswith('[ZIG-PC-') for o in offered), (
        offered)
    assert client.line_completions('equipment', "DKR-PC") == []
    client.set_line_many2one('equipment', "ZIG-PC-01")
    client.new_line("Équipements")
    client.set_line_many2one('equipment', "ZIG-PRN-01")
    client.toolbar('save')
    client.assert_no_dialog()
    ids = equipment_ids(server, 'ZIG-PC-01', 'ZIG-PRN-01')
    assert sorted(server.sql('SELECT equipment FROM equipment_transfer_line '
            'WHERE transfer = %s', (transfer,))) == sorted(
        (i,) for i in ids.values())
    client.screenshot('chef-02-transfer-filled', [
            "Transferts", "Site de départ", "Site d'arrivée", "Motif",
            "[ZIG-PC-01] Ordinateur HP ProDesk 400 G7",
            "[ZIG-PRN-01] Imprimante Canon i-SENSYS MF445dw", "Expédier"])

    # Sent: the slip that travels with the equipment
    client.click_button("Expédier")
    client.assert_no_dialog()
    # a loaded server answers after the client looks idle
    end = time.monotonic() + 30
    while client.selection_text('state') != "Expédié" and (
            time.monotonic() < end):
        client.page.wait_for_timeout(250)
    assert client.selection_text('state') == "Expédié"
    (state, sent_date), = server.sql('SELECT state, sent_date '
        'FROM equipment_transfer WHERE id = %s', (transfer,))
    assert state == 'sent' and sent_date
    client.open_print_menu()
    client.screenshot('chef-03-transfer-print-menu', [
            "Bordereau de transfert"])
    download = client.print_report("Bordereau de transfert")
    assert download.suggested_filename.startswith("Bordereau de transfert")
    assert download.suggested_filename.endswith('.pdf')
    slip = SCREENSHOTS / 'chef-04-transfer-slip.pdf'
    download.save_as(slip)
    text = pdf_text(slip)
    sent_on = time.strftime('%d/%m/%Y', time.gmtime())
    for expected in [
            "Bordereau de transfert de matériel",
            f"Transfert n° {transfer} Expédié",
            "Site de départ [ZIG] Espace Sénégal Services de Ziguinchor",
            "Site d'arrivée [DKR] Espace Sénégal Services de Dakar",
            "Motif Renfort pour l'ouverture du samedi",
            f"Expédié le {sent_on}", "Expédié par Moussa Diatta",
            "Réceptionné le —",
            "ZIG-PC-01 Ordinateur HP ProDesk 400 G7 ZIGPC001 En service",
            "ZIG-PRN-01 Imprimante Canon i-SENSYS MF445dw ZIGPRN001",
            "Nombre d'équipements : 2",
            "Expéditeur Nom Moussa Diatta", "Destinataire",
            "Cachet et signature"]:
        assert expected in text, expected
    assert all(d == sent_on for d in DDMMYYYY.findall(text)), text
    for english in ENGLISH:
        assert english not in text, english
    client.assert_no_dialog()


def test_chef_prints_labels_of_selected_equipment(server, client):
    from browser_tools import SCREENSHOTS
    client.login('chef.zig', PASSWORD)
    client.open_menu(
        "Réseau des services", "Équipements", "Registre des équipements")
    client.search("ZIG-PC")
    rows = client.select_first_rows(3)
    assert [r.split()[0] for r in rows] == [
        "[ZIG]", "[ZIG]", "[ZIG]"], rows
    client.open_print_menu()
    client.screenshot('chef-05-equipment-selected', [
            "Registre des équipements", "Étiquette d'inventaire",
            "Numéro de série", "ZIG-PC-01", "ZIG-PC-03", "Étiquettes"])
    download = client.print_report("Étiquettes")
    assert download.suggested_filename.endswith('.pdf')
    labels = SCREENSHOTS / 'chef-06-labels.pdf'
    download.save_as(labels)
    text = pdf_text(labels)
    tags = ['ZIG-PC-01', 'ZIG-PC-02', 'ZIG-PC-03']
    for tag in tags:
        assert tag in text, tag
    assert "[ZIG] Espace Sénégal Services de Ziguinchor" in text
    assert "Ordinateur HP ProDesk 400 G7" in text
    # what a phone reads from the printed sheet
    assert read_qr_codes(labels.read_bytes()) == [
        [('QR Code', tag) for tag in tags]]
    client.assert_no_dialog()
