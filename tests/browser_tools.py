"""Drive Tryton's sao web client in Debian's Chromium, as a person would."""
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
SCREENSHOTS = ROOT / 'artifacts' / 'screenshots'
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync']


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class DemoServer:
    """The demo database built by scripts/demo_db.py, served by trytond from
    a fresh copy so that every session starts from the same demo data"""
    database = 'ess_browser'

    def __init__(self):
        self.path = ROOT / 'var' / 'browser-db'
        self.run_path = self.path / 'run'
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.env = dict(os.environ)
        for name in ['DB_NAME', 'DB_CACHE', 'TRYTOND_DATABASE__LANGUAGE']:
            self.env.pop(name, None)
        self.env.update({
                'TRYTOND_CONFIG': str(ROOT / 'config' / 'trytond.conf'),
                'TRYTOND_DATABASE__URI': 'sqlite://',
                'TRYTOND_DATABASE__PATH': str(self.path),
                'TRYTOND_WEB__ROOT': str(ROOT / 'var' / 'sao'),
                'TRYTOND_WEB__LISTEN': f'127.0.0.1:{self.port}',
                'PYTHONOPTIMIZE': '1',
                })
        self.process = None

    def start(self):
        # reuses the database while no addon changed
        subprocess.run(
            [BIN / 'python', ROOT / 'scripts' / 'demo_db.py', self.database],
            env=self.env, check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(self.run_path, ignore_errors=True)
        self.run_path.mkdir()
        shutil.copyfile(
            self.path / f'{self.database}.sqlite',
            self.run_path / f'{self.database}.sqlite')
        self.log = open(self.run_path / 'server.log', 'w')
        self.process = subprocess.Popen(
            [BIN / 'trytond', '-d', self.database],
            env={**self.env, 'TRYTOND_DATABASE__PATH': str(self.run_path)},
            stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(self.url, timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("the demo server did not start")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.log.close()


class Client:
    "One person in the web client"

    def __init__(self, page, server):
        self.page = page
        self.server = server

    def login(self, login, password):
        page = self.page
        page.goto(self.server.url + '/')
        page.fill('#login', login)
        page.click('button[type=submit]')
        page.fill('input[type=password]', password)
        page.keyboard.press('Enter')
        page.locator('#menu .column-char').first.wait_for(timeout=30000)
        return self

    def menu_entries(self):
        "The labels of the menu as shown now"
        return [t.strip() for t in self.page.locator(
                '#menu .column-char').all_inner_texts()]

    def open_menu(self, *path):
        "Expand the menu along path and open its last entry"
        for label, child in zip(path, path[1:], strict=False):
            if not self.menu_cell(child).is_visible():
                self.menu_row(label).locator('.expander').click()
            self.menu_cell(child).wait_for(timeout=15000)
        self.menu_row(path[-1]).dblclick()
        self.wait_tab(path[-1])

    def wait_tab(self, title):
        "Wait until the active tab is the one titled title, loaded"
        self.page.locator(
            f'li[id^="nav-tab-"].active span[title$="{title}"]'
            ).first.wait_for(state='attached')
        self.wait_idle()

    def menu_cell(self, label):
        return self.page.locator('#menu').locator(self._cell(label)).first

    def _cell(self, label):
        return self.page.locator('.column-char', has_text=re.compile(
                rf'^\s*{re.escape(label)}\s*$'))

    def menu_row(self, label):
        self.menu_cell(label).wait_for(timeout=15000)
        return self.page.locator('#menu tr').filter(
            has=self._cell(label)).first

    def wait_idle(self, timeout=30000):
        "Wait for the client to finish its requests"
        self.page.wait_for_load_state('networkidle', timeout=timeout)
        self.page.wait_for_timeout(300)

    def search(self, text):
        "Type text in the search box of the current list"
        box = self.page.locator(
            '#tabcontent .tab-pane.active input[placeholder="Rechercher"]')
        box.fill(text)
        box.press('Enter')
        self.wait_idle()

    def tab_text(self):
        "The text of the current tab"
        return self.page.locator('#tabcontent .tab-pane.active').inner_text()

    def screenshot(self, name, expected):
        """Save a screenshot and check that the French labels are in the
        page's DOM, not just that it loaded"""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f'{name}.png'))
        # buttons show their labels in capitals
        text = self.page.locator('body').inner_text()
        missing = [label for label in expected
            if label not in text and label.upper() not in text]
        assert not missing, f"{name}: {missing} not shown"

    # -- helpers to work in the current tab --

    @property
    def pane(self):
        "The content of the active tab"
        return self.page.locator('#tabcontent .tab-pane.active')

    def toolbar(self, button_id):
        """Click a button of the active tab's toolbar (switch_, new_, save,
        reload...)"""
        self.pane.locator(f'button#{button_id}').first.click()
        self.wait_idle()

    def click_button(self, label):
        "Click the button of the form labelled label"
        self.pane.locator('button:visible', has_text=re.compile(
                rf'^\s*{re.escape(label)}\s*$')).first.click()
        self.wait_idle()

    def field_value(self, name):
        return self.pane.locator(f'input[name="{name}"]').first.input_value()

    def assert_no_dialog(self):
        "Check that no error or warning dialog is open"
        dialogs = self.page.locator('.modal-dialog:visible')
        assert not dialogs.count(), dialogs.first.inner_text()

    def selection_text(self, name):
        "The label shown by the selection field name"
        return self.pane.locator(f'select[name="{name}"]').first.evaluate(
            'el => el.options[el.selectedIndex].text')

    def new_record(self):
        "Create a record in the current tab and wait for its defaults"
        self.toolbar('new_')
        self.page.wait_for_function(
            'el => !el.textContent.trim().startsWith("_")',
            arg=self.pane.locator('.badge').first.element_handle())
        self.wait_idle()

    def _many2one(self, name):
        box = self.pane.locator(f'input[name="{name}"]').first
        box.click()
        return box, self.pane.locator(
            f'.form-many2one:has(input[name="{name}"])').first

    def set_many2one(self, name, text, choice=None):
        """Type text in the many2one field name and pick the completion
        showing choice (text by default)"""
        box, field = self._many2one(name)
        box.fill(text)
        field.locator('li.completion a', has_text=choice or text).first.click()
        self.wait_idle()
        return box.input_value()

    def create_many2one(self, name, text):
        """Type text in the many2one field name and create the record with
        that name from the pop-up form"""
        box, field = self._many2one(name)
        box.fill(text)
        field.locator('li.action-create a').click()
        dialog = self.page.locator('.modal-dialog:visible').last
        dialog.locator('input[name="name"]').wait_for()
        dialog.locator('button', has_text="Enregistrer").click()
        dialog.wait_for(state='hidden')
        self.wait_idle()
        return box.input_value()

    def select(self, name, label):
        "Choose label in the selection field name"
        self.pane.locator(f'select[name="{name}"]').first.select_option(
            label=label)
        self.wait_idle()

    def open_page(self, label):
        "Open the notebook page labelled label"
        self.pane.locator('.nav-tabs a', has_text=label).first.click()

    def tick_column(self, title):
        "Tick every box of the list column titled title"
        boxes = self.pane.locator(
            f'td[data-title^="{title}"] input[type=checkbox]:visible')
        for index in range(boxes.count()):
            if not boxes.nth(index).is_checked():
                boxes.nth(index).click()
                self.wait_idle()
        return boxes

    def switch_tab(self, title):
        "Bring the tab titled title to the front"
        self.page.locator(
            f'li[id^="nav-tab-"] span[title$="{title}"]').first.click()
        self.wait_tab(title)

    def open_print_menu(self):
        "Open the print menu of the toolbar; return its entries"
        self.pane.locator('button#print').first.click()
        menu = self.pane.locator('ul[aria-labelledby="print"]').first
        menu.locator('a').first.wait_for()
        return menu

    def print_report(self, label):
        "Print the report labelled label; return the downloaded file"
        menu = self.pane.locator('ul[aria-labelledby="print"]').first
        if not menu.is_visible():
            menu = self.open_print_menu()
        with self.page.expect_download() as download:
            menu.locator('a', has_text=label).first.click()
        self.wait_idle()
        return download.value
