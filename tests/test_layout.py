"""The repository holds together: every addon is registered, declared files
exist, every message used in code is declared."""
import configparser
import pathlib
import re
import tomllib

import pytest
from lxml import etree

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDONS_DIR = ROOT / 'addons'
ADDON_DIRS = sorted(
    p.parent for p in ADDONS_DIR.glob('*/tryton.cfg'))
MESSAGE_USE = re.compile(r"""['"](\w+)\.(msg_\w+)['"]""")


def entry_points():
    with open(ROOT / 'pyproject.toml', 'rb') as fp:
        project = tomllib.load(fp)
    return project['project']['entry-points']['trytond.modules']


def tryton_cfg(addon):
    cfg = configparser.ConfigParser()
    cfg.read(addon / 'tryton.cfg')
    return cfg


def declared_messages(addon):
    path = addon / 'message.xml'
    if not path.exists():
        return set()
    tree = etree.parse(str(path))
    return {r.get('id') for r in tree.iter('record')
        if r.get('model') == 'ir.message'}


def test_addons_found():
    assert ADDON_DIRS, "no addon in addons/"


@pytest.mark.parametrize('addon', ADDON_DIRS, ids=lambda p: p.name)
def test_entry_point(addon):
    assert entry_points().get(addon.name) == addon.name, (
        f"pyproject.toml lacks: {addon.name} = \"{addon.name}\"")
    assert (addon / '__init__.py').exists()


def test_entry_points_have_folder():
    for name, package in entry_points().items():
        assert (ADDONS_DIR / package / 'tryton.cfg').exists(), name


@pytest.mark.parametrize('addon', ADDON_DIRS, ids=lambda p: p.name)
def test_declared_files_exist(addon):
    cfg = tryton_cfg(addon)
    for name in cfg.get('tryton', 'xml', fallback='').split():
        assert (addon / name).exists(), f"{addon.name}/{name} is missing"
    for section in cfg.sections():
        if not section.startswith('register'):
            continue
        for kind in ['model', 'wizard', 'report']:
            for dotted in cfg.get(section, kind, fallback='').split():
                module = dotted.split('.')[0]
                assert (addon / f'{module}.py').exists(), (
                    f"{addon.name}: {dotted} registered, "
                    f"{module}.py missing")


@pytest.mark.parametrize('addon', ADDON_DIRS, ids=lambda p: p.name)
def test_views_exist(addon):
    for xml in addon.glob('*.xml'):
        tree = etree.parse(str(xml))
        for record in tree.iter('record'):
            if record.get('model') != 'ir.ui.view':
                continue
            for field in record.iter('field'):
                if field.get('name') == 'name':
                    view = addon / 'view' / f'{field.text}.xml'
                    assert view.exists(), f"{xml.name}: {view} is missing"


@pytest.mark.parametrize('addon', ADDON_DIRS, ids=lambda p: p.name)
def test_used_messages_declared(addon):
    used = set()
    for source in addon.rglob('*.py'):
        used.update(MESSAGE_USE.findall(source.read_text()))
    missing = []
    for module, msg_id in sorted(used):
        target = ADDONS_DIR / module
        if not target.exists():
            continue  # a message of Tryton's own modules
        if msg_id not in declared_messages(target):
            missing.append(f'{module}.{msg_id}')
    assert not missing, f"undeclared messages: {', '.join(missing)}"


@pytest.mark.parametrize('addon', ADDON_DIRS, ids=lambda p: p.name)
def test_addon_has_readme_and_tests(addon):
    assert (addon / 'README.rst').exists()
    assert list((addon / 'tests').glob('test_*.py'))
