"""Finance sends reminders to the partners that owe overdue invoices
(issue 14), in Debian's Chromium through sao on the demo database: the
reminders created for today, listed in French, processed and their letter
downloaded as a PDF."""
import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from security_tools import PASSWORD, SecurityServer


@pytest.fixture(scope='module')
def server():
    server = SecurityServer('ess_dunning')
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def client(module_client):
    return module_client


def test_finance_creates_processes_and_prints_reminders(server, client):
    from browser_tools import SCREENSHOTS
    client.login('finance', PASSWORD)
    dialog = client.open_menu_wizard(
        "Réseau des services", "Facturation", "Créer les relances",
        label="Créer les relances échues au")
    date_box = dialog.locator('input[name="date"]').first
    assert client.wait_value(date_box) == dt.date.today().strftime(
        '%d/%m/%Y')
    client.page.screenshot(path=str(SCREENSHOTS / 'dunning-01-create.png'))
    client.close_dialog(dialog, "Créer")
    client.wait_tab("Relances")
    rows = client.pane.locator('tbody tr', has_text="Premier rappel")
    rows.first.wait_for()
    client.screenshot('dunning-02-list', [
            "Relances", "Brouillons", "En attente", "Premier rappel",
            "Urbanisme", "Ziguinchor", "Date d'échéance", "Niveau"])
    assert server.count('account_dunning', "state = 'draft'") == 2

    client.select_rows("Premier rappel")
    dialog = client.run_action(
        "Traiter les relances", "Traiter les relances ?")
    with client.page.expect_download() as download:
        client.close_dialog(dialog, "Traiter")
    download = download.value
    assert download.suggested_filename.endswith('.pdf'), (
        download.suggested_filename)
    assert download.suggested_filename == "Lettre de relance.pdf"
    # sao shows the file in a dialog that closes once it is downloaded
    client.page.locator('.modal-dialog:visible').first.wait_for(
        state='hidden', timeout=15000)
    pdf = SCREENSHOTS / 'dunning-03-letter.pdf'
    download.save_as(pdf)
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    assert len(reader.pages) == 2
    text = ' '.join(' '.join(p.extract_text().split())
        for p in reader.pages)
    for expected in ["Premier rappel", "Madame, Monsieur", "F CFA",
            "Jours de retard", "Total dû", "Soit la somme de"]:
        assert expected in text, expected
    assert re.search(r'\d{2}/\d{2}/\d{4}', text)
    client.assert_no_dialog()
    assert server.count('account_dunning', "state = 'waiting'") == 2
    client.switch_domain("En attente")
    client.screenshot('dunning-04-waiting', ["En attente", "Premier rappel"])
