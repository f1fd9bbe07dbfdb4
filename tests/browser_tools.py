"""Drive Tryton's sao web client in Debian's Chromium, as a person would."""
import base64
import contextlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
SCREENSHOTS = ROOT / 'artifacts' / 'screenshots'
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync']
SQLITE = os.environ.get('TRYTOND_DATABASE__URI', 'sqlite').startswith(
    'sqlite')
ON_SQLITE = "the demo server runs on SQLite"
# The marks of a module whose every test needs the browser
NEEDS_BROWSER = [
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="chromium is not installed"),
    pytest.mark.skipif(not SQLITE, reason=ON_SQLITE),
    ]


def skip_without_browser():
    """Skip where the browser tests cannot run: Chromium or Playwright
    missing (CI fails on such a skip), or the PostgreSQL suite (the demo
    server of the browser runs on SQLite)"""
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed")
    if not SQLITE:
        pytest.skip(ON_SQLITE)
    pytest.importorskip('playwright.sync_api')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def server_env(port, uri='sqlite://', path=ROOT / 'var' / 'browser-db'):
    """The environment of a trytond serving the demo's own configuration
    (config/trytond.conf) on 127.0.0.1:port"""
    env = dict(os.environ)
    for name in ['DB_NAME', 'DB_CACHE', 'TRYTOND_DATABASE__LANGUAGE']:
        env.pop(name, None)
    env.update({
            'TRYTOND_CONFIG': str(ROOT / 'config' / 'trytond.conf'),
            'TRYTOND_DATABASE__URI': uri,
            'TRYTOND_DATABASE__PATH': str(path),
            'TRYTOND_WEB__ROOT': str(ROOT / 'var' / 'sao'),
            'TRYTOND_WEB__LISTEN': f'127.0.0.1:{port}',
            'PYTHONOPTIMIZE': '1',
            })
    return env


def build_demo(env, database):
    "Make or upgrade the demo database (reused while no addon changed)"
    subprocess.run(
        [BIN / 'python', ROOT / 'scripts' / 'demo_db.py', database],
        env=env, check=True, stdout=subprocess.DEVNULL)


def serve(env, database, run_path, url):
    """Start trytond serving database (SQLite files in run_path) and return
    its process and log once url answers"""
    log = open(run_path / 'server.log', 'w')
    process = subprocess.Popen(
        [BIN / 'trytond', '-d', database],
        env={**env, 'TRYTOND_DATABASE__PATH': str(run_path)},
        stdout=log, stderr=subprocess.STDOUT)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return process, log
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the demo server did not start")


class DemoServer:
    """The demo database built by scripts/demo_db.py, served by trytond from
    a fresh copy so that every session starts from the same demo data"""
    database = 'ess_browser'

    def __init__(self):
        self.path = ROOT / 'var' / 'browser-db'
        self.run_path = self.path / 'run'
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.env = server_env(self.port, path=self.path)
        self.process = None

    def start(self):
        build_demo(self.env, self.database)
        shutil.rmtree(self.run_path, ignore_errors=True)
        self.run_path.mkdir()
        shutil.copyfile(
            self.path / f'{self.database}.sqlite',
            self.run_path / f'{self.database}.sqlite')
        self.process, self.log = serve(
            self.env, self.database, self.run_path, self.url)
        return self

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.log.close()


@contextlib.contextmanager
def launch_chromium():
    "Debian's Chromium driven by Playwright"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_client(server, width=1366, height=768):
    """One person in a new French Chromium window on server's web client
    (a laptop's 1366 x 768 screen by default)"""
    with launch_chromium() as browser:
        yield new_client(browser, server, width, height)


@contextlib.contextmanager
def browser_client(browser, server, request, width=1366, height=768):
    """One person in a new window of browser; a screenshot of the page
    (artifacts/screenshots/failed-<test>.png) when the test failed"""
    client = new_client(browser, server, width, height)
    try:
        yield client
        report = getattr(request.node, 'rep_call', None)
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            client.page.screenshot(
                path=str(SCREENSHOTS / f'failed-{request.node.name}.png'))
    finally:
        client.page.context.close()


def new_client(browser, server, width=1366, height=768):
    "One person in a new French window of browser on server's web client"
    context = browser.new_context(
        locale='fr-FR', viewport={'width': width, 'height': height})
    context.add_init_script(EFFORT_SCRIPT)
    page = context.new_page()
    page.set_default_timeout(30000)
    return Client(page, server)


# What a person does, counted in the page as the browser receives it: each
# press of the mouse is a click (a double-click is two), each choice in a
# drop-down list is a click, and each field typed into is one typed field
# however many characters it gets
EFFORT_SCRIPT = """
window.__effort = {clicks: 0, typed: 0};
(() => {
    let typing = null;
    document.addEventListener('pointerdown', event => {
        if (event.isTrusted) window.__effort.clicks += 1;
    }, true);
    document.addEventListener('change', event => {
        if (event.target.tagName === 'SELECT') window.__effort.clicks += 1;
    }, true);
    document.addEventListener('focusin', () => { typing = null; }, true);
    document.addEventListener('input', event => {
        const target = event.target;
        if (!['INPUT', 'TEXTAREA'].includes(target.tagName)
                || ['checkbox', 'radio', 'file'].includes(target.type)) {
            return;
        }
        if (typing !== target) {
            typing = target;
            window.__effort.typed += 1;
        }
    }, true);
})();
"""


class Client:
    "One person in the web client"

    def __init__(self, page, server):
        self.page = page
        self.server = server
        # the client's calls to the server not answered yet (Playwright's
        # network idle is reached once by a page that never navigates)
        self._calls = set()
        # the methods the client called, in order (reset_methods)
        self.methods = []
        page.on('request', self._call_sent)
        page.on('requestfinished', self._call_done)
        page.on('requestfailed', self._call_done)

    def _call_sent(self, request):
        if request.method == 'POST' and '/rpc' in request.url:
            self._calls.add(request)
            try:
                call = request.post_data_json
                self.methods.append(call['method'])
                if os.environ.get('BROWSER_CALLS'):
                    print('CALL', call['method'], json.dumps(
                            call.get('params'))[:600])
            except (TypeError, KeyError, ValueError):
                pass

    def reset_methods(self):
        "Forget the methods called so far; return them"
        methods, self.methods = self.methods, []
        return methods

    def _call_done(self, request):
        self._calls.discard(request)

    def wait_answers(self, timeout=30000):
        "Wait until every call the client sent is answered"
        end = time.monotonic() + timeout / 1000
        while self._calls and time.monotonic() < end:
            self.page.wait_for_timeout(100)
        # the answer is applied to the page after the call ends
        self.page.wait_for_timeout(100)

    def login(self, login, password):
        page = self.page
        page.goto(f'{self.server.url}/#{self.server.database}')
        # sao ignores the form until the database is proposed (Sao.DB.list
        # answers after the dialog shows, later on a loaded machine)
        page.wait_for_function(
            "() => document.querySelector('input#database')?.value")
        page.fill('#login', login)
        page.click('button[type=submit]')
        page.fill('input[type=password]', password)
        page.keyboard.press('Enter')
        page.locator('#menu .column-char').first.wait_for(timeout=30000)
        return self

    def effort(self):
        "The clicks and typed fields counted since the last reset"
        return self.page.evaluate('() => ({...window.__effort})')

    def reset_effort(self):
        self.page.evaluate(
            '() => { window.__effort.clicks = 0; window.__effort.typed = 0; }')

    def menu_entries(self):
        "The labels of the menu as shown now"
        return [t.strip() for t in self.page.locator(
                '#menu .column-char').all_inner_texts()]

    def open_menu(self, *path):
        "Expand the menu along path and open its last entry"
        for label, child in zip(path, path[1:], strict=False):
            if not self.menu_cell(child).is_visible():
                self.menu_row(label).locator('.expander').click()
            self.menu_cell(child).wait_for(timeout=30000)
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
        self.menu_cell(label).wait_for(timeout=30000)
        return self.page.locator('#menu tr').filter(
            has=self._cell(label)).first

    def wait_idle(self, timeout=30000):
        "Wait for the client to finish its requests"
        self.page.wait_for_load_state('networkidle', timeout=timeout)
        self.page.wait_for_timeout(300)

    def search(self, text):
        "Type text in the search box of the current list"
        box = self.page.locator(
            '#tabcontent .tab-pane.active '
            'input[placeholder="Rechercher"]:visible').first
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
        # a loaded server fills lists and sub-lists after the client looks
        # idle: give the labels time to come before calling them missing
        end = time.monotonic() + 20
        while True:
            # buttons show their labels in capitals
            text = self.page.locator('body').inner_text()
            missing = [label for label in expected
                if label not in text and label.upper() not in text]
            if not missing or time.monotonic() > end:
                break
            self.page.wait_for_timeout(250)
        self.page.screenshot(path=str(SCREENSHOTS / f'{name}.png'))
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

    def wait_field(self, name, timeout=30000):
        """The value of field name once the server's answer filled it (a
        loaded server answers after the client looks idle)"""
        end = time.monotonic() + timeout / 1000
        while not (value := self.field_value(name)) and (
                time.monotonic() < end):
            self.page.wait_for_timeout(250)
        return value

    def assert_no_dialog(self):
        "Check that no error or warning dialog is open"
        dialogs = self.page.locator('.modal-dialog:visible')
        assert not dialogs.count(), dialogs.first.inner_text()

    def selection_text(self, name):
        """The label shown by the selection field name, once sao filled its
        options (it refills them at each display)"""
        select = self.pane.locator(f'select[name="{name}"]').first
        read = ('el => el.selectedIndex >= 0 '
            '? el.options[el.selectedIndex].text : null')
        self.wait_idle()
        text, end = None, time.monotonic() + 30
        # sao selects the record's value a moment after the options
        while time.monotonic() < end:
            previous, text = text, select.evaluate(read)
            if text is not None and text == previous:
                break
            self.page.wait_for_timeout(300)
        return text

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
        return self._complete(box, field, text, choice)

    def _complete(self, box, field, text, choice=None):
        """Type text in box and click the completion of field showing
        choice (text by default). On a loaded server sao may redraw the
        completions as the click comes (answers of the earlier keystrokes):
        the text is typed again, three times at most"""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        for attempt in range(3):
            box.fill(text)
            try:
                field.locator('li.completion a', has_text=choice or text
                    ).first.click(timeout=15000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                box.fill('')
                self.wait_idle()
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
        # sao ignores the button until the form has loaded its defaults
        self.wait_idle()
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
        self.pane.locator('.nav-tabs a:visible', has_text=label).first.click()

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

    def print_to_tab(self, label):
        """Print the report labelled label that the browser opens in a new
        tab to print (the receipt: web/custom.js); return that tab, once it
        shows the PDF, and the PDF's bytes"""
        menu = self.pane.locator('ul[aria-labelledby="print"]').first
        if not menu.is_visible():
            menu = self.open_print_menu()
        with self.page.context.expect_page() as opened:
            menu.locator('a', has_text=label).first.click()
        tab = opened.value
        tab.wait_for_url(lambda url: url.startswith('blob:'))
        # the tab's address is the client's: the client reads it back
        content = self.page.evaluate('''async url => {
            const bytes = new Uint8Array(
                await (await fetch(url)).arrayBuffer());
            let text = '';
            for (const byte of bytes) {
                text += String.fromCharCode(byte);
            }
            return btoa(text);
        }''', tab.url)
        self.wait_idle()
        return tab, base64.b64decode(content)

    # -- lines edited in a one2many list, rows selected in a list --

    def one2many(self, title):
        "The one2many field of the current form titled title"
        return self.pane.locator('.form-one2many').filter(
            has=self.page.locator(
                '.form-one2many-string', has_text=title)).first

    def new_line(self, title):
        "Add a line to the one2many titled title, edited in its list"
        widget = self.one2many(title)
        widget.locator(
            '.form-one2many-toolbar button[title="Nouveau"]').first.click()
        self.wait_idle()
        return widget

    def _line_box(self, name):
        "The input of the line's field name being edited"
        box = self.pane.locator(
            f'.form-one2many input[name="{name}"]:visible').first
        box.wait_for()
        # its completion drops down from the input's group
        return box, box.locator('xpath=..')

    def line_completions(self, name, text):
        """Type text in the many2one field name of the line being edited;
        return the completions offered, then clear the field"""
        box, field = self._line_box(name)
        box.fill(text)
        self.wait_idle()
        # the completion waits for the typing to pause, then asks
        self.page.wait_for_timeout(1000)
        self.wait_idle()
        offered = [t.strip() for t in field.locator(
                'li.completion').all_inner_texts()]
        box.fill('')
        box.press('Escape')
        return offered

    def set_line_many2one(self, name, text, choice=None):
        """Type text in the many2one field name of the line being edited
        and pick the completion showing choice (text by default)"""
        box, field = self._line_box(name)
        return self._complete(box, field, text, choice)

    def select_first_rows(self, count):
        """Tick the selection box of the first count rows of the current
        list; return the rows' texts"""
        rows = self.pane.locator('table.tree tbody tr:visible')
        rows.nth(count - 1).wait_for()
        for index in range(count):
            rows.nth(index).locator(
                'td.selection-state input[type=checkbox]').check()
        self.wait_idle()
        return [rows.nth(i).inner_text().strip() for i in range(count)]

    # -- helpers for menus whose labels repeat, wizards and list selection --

    def menu_row_at(self, label, depth):
        "The menu row labelled label at depth (0 for the top entries)"
        return self.page.locator('#menu tr').filter(
            has=self._cell(label)).filter(has=self.page.locator(
                f'.expander img[style*="margin-left: {depth}em"]')).first

    def expand_menu(self, *path):
        """Expand the menu along path, looking for each label at its depth
        (Agents ‣ Agents); return the row of the last entry"""
        pairs = zip(path, path[1:], strict=False)
        for depth, (label, child) in enumerate(pairs):
            row = self.menu_row_at(label, depth)
            row.wait_for(timeout=30000)
            child_row = self.menu_row_at(child, depth + 1)
            if not child_row.is_visible():
                row.locator('.expander').click()
            child_row.wait_for(timeout=30000)
        return self.menu_row_at(path[-1], len(path) - 1)

    @property
    def dialog(self):
        "The dialog in front"
        return self.page.locator('.modal-dialog:visible').last

    def open_menu_wizard(self, *path, label):
        """Run the wizard of the menu entry at the end of path (one click:
        a double click starts it twice); return its dialog once it shows
        label"""
        self.expand_menu(*path).click()
        return self.wait_dialog(label)

    def wait_dialog(self, label):
        "The dialog in front, once it shows label and the client is idle"
        dialog = self.dialog
        dialog.get_by_text(label).first.wait_for()
        self.wait_idle()
        return dialog

    def run_action(self, label, dialog_label=None):
        """Run the action labelled label of the toolbar's Action menu on the
        selected records; return the dialog it opens, once it shows
        dialog_label if given"""
        self.pane.locator('button#action').first.click()
        menu = self.pane.locator('ul[aria-labelledby="action"]').first
        menu.locator('a', has_text=label).first.click()
        if dialog_label is None:
            return self.front_dialog()
        return self.wait_dialog(dialog_label)

    def select_rows(self, *texts):
        """Tick the rows of the current list showing one of texts, untick
        the others"""
        rows = self.pane.locator('tbody tr')
        for index in range(rows.count()):
            row = rows.nth(index)
            box = row.locator('td.selection-state input')
            wanted = any(text in row.inner_text() for text in texts)
            if box.is_checked() != wanted:
                box.click()
        self.wait_idle()

    def wait_rows(self, count, timeout=30000):
        "The rows of the current list, once there are count of them"
        rows = self.pane.locator('tbody tr')
        end = time.monotonic() + timeout / 1000
        while rows.count() != count and time.monotonic() < end:
            self.page.wait_for_timeout(250)
        return rows

    def upload(self, dialog, path):
        """Choose the file at path in the binary field of dialog and wait
        until the client read it (the field shows its size)"""
        field = dialog.locator('.form-binary').first
        field.locator('input[type=file]').set_input_files(str(path))
        self.page.wait_for_function('el => /[1-9]/.test(el.value)',
            arg=field.locator('input.form-control').last.element_handle())

    def set_dialog_many2one(self, dialog, name, text, choice=None):
        """Type text in the many2one field name of dialog and pick the
        completion showing choice (text by default)"""
        box = dialog.locator(f'input[name="{name}"]').first
        box.click()
        return self._complete(box, dialog.locator(
                f'.form-many2one:has(input[name="{name}"])'), text, choice)

    def wait_value(self, box, expected=None, timeout=30000):
        """The value of the input box once filled (defaults come from the
        server after the dialog shows), or once it is expected (an
        on_change's answer may come after the client looks idle on a
        loaded machine); the last one after timeout"""
        end = time.monotonic() + timeout / 1000
        while True:
            value = box.input_value()
            if (value == expected if expected else value) or (
                    time.monotonic() >= end):
                return value
            self.page.wait_for_timeout(250)

    def open_list_tab(self, label):
        """Open the tab of the list's filters labelled exactly label (À venir
        is also in "En poste et à venir")"""
        self.pane.locator('.nav-tabs a').filter(has_text=re.compile(
                rf'^\s*{re.escape(label)}\s*$')).first.click()
        self.wait_idle()

    def switch_domain(self, label):
        "Show the tab of the list's domains labelled label (À confirmer…)"
        self.pane.locator('.nav-tabs a', has_text=re.compile(
                rf'^\s*{re.escape(label)}\b')).first.click()
        self.wait_idle()

    def select_row(self, text):
        "Tick the selection box of the list's row showing text"
        row = self.pane.locator('tbody tr', has_text=text).first
        row.wait_for()
        box = row.locator('td.selection-state input[type=checkbox]').first
        if not box.is_checked():
            box.click()
        return row

    def front_dialog(self):
        "The dialog in front (a wizard, a message), once shown"
        dialog = self.page.locator('.modal-dialog:visible').last
        dialog.wait_for()
        self.wait_idle()
        return dialog

    def close_dialog(self, dialog, label):
        "Click the button labelled label of dialog and wait until it closes"
        dialog.locator('button:visible', has_text=re.compile(
                rf'^\s*{re.escape(label)}\s*$', re.I)).first.click()
        dialog.wait_for(state='hidden')
        self.wait_idle()

    def wait_closed(self, dialog, timeout=30000):
        """Wait until dialog (a locator of that dialog only) closes; a
        message shown in front instead (an error) fails the test with its
        text"""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        try:
            dialog.wait_for(state='hidden', timeout=timeout)
        except PlaywrightTimeout:
            front = self.page.locator('.modal-dialog:visible').last
            raise AssertionError(
                "the dialog did not close; in front: "
                f"{front.inner_text(timeout=5000)!r}") from None
        self.wait_idle()

    def dialog_result(self, dialog, timeout=30000):
        """The text of the read-only text field of dialog (a wizard's
        result), once the server filled it"""
        area = dialog.locator('textarea').first
        area.wait_for()
        end = time.monotonic() + timeout / 1000
        while not (value := area.input_value()) and (
                time.monotonic() < end):
            self.page.wait_for_timeout(250)
        return value

    # -- rows opened from a list --

    def open_row(self, row, field, attempts=3):
        """Open row of the current list in its form (double click, as
        people do) and wait for the form's field; on a loaded server a list
        redrawn under the pointer loses the double click: try again"""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
        box = self.pane.locator(f'[name="{field}"]:visible').first
        for attempt in range(attempts):
            row.dblclick()
            self.wait_idle()
            try:
                box.wait_for(timeout=30000)
                return
            except PlaywrightTimeoutError:
                if attempt == attempts - 1:
                    raise
