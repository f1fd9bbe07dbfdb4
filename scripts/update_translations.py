"""Add every new source string of the addons to their locale/fr.po.

    .venv/bin/python scripts/update_translations.py [ADDON ...]

Existing French translations are kept; new entries get an empty msgstr
(tests/test_translations.py fails until they are translated) and entries
whose source disappeared are dropped.
"""
import configparser
import os
import sys

os.environ.setdefault('TRYTOND_DATABASE__URI', 'sqlite://')
os.environ.setdefault('DB_NAME', ':memory:')
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tests'))

import polib  # noqa: E402

from trytond.tests.test_tryton import (  # noqa: E402
    DB_NAME,
    activate_module,
    with_transaction,
)

from translation_tools import ROOT, addons, key, source_entries  # noqa: E402


def with_extras(modules):
    """Return modules and the addons their optional parts need
    (extras_depend), so that the strings of those parts are found too"""
    wanted = set(modules)
    for module in modules:
        config = configparser.ConfigParser()
        config.read(ROOT / 'addons' / module / 'tryton.cfg')
        wanted.update(
            config.get('tryton', 'extras_depend', fallback='').split())
    return sorted(wanted)


@with_transaction()
def update(modules):
    sources = source_entries(modules)
    for module, source in sources.items():
        path = ROOT / 'addons' / module / 'locale' / 'fr.po'
        old = {key(e): e for e in polib.pofile(str(path))} \
            if path.exists() else {}
        po = polib.POFile(wrapwidth=78)
        po.metadata = {'Content-Type': 'text/plain; charset=utf-8'}
        missing = 0
        for entry in source:
            if entry.msgctxt is None:
                continue
            previous = old.get(key(entry))
            msgstr = previous.msgstr if previous else ''
            missing += not msgstr
            po.append(polib.POEntry(
                    msgctxt=entry.msgctxt, msgid=entry.msgid,
                    msgstr=msgstr))
        po.sort()
        path.parent.mkdir(exist_ok=True)
        po.save(str(path))
        print(f"{module}: {len(po)} strings, {missing} to translate")


if __name__ == '__main__':
    assert DB_NAME
    modules = sys.argv[1:] or addons()
    activate_module(with_extras(modules))
    update(modules)
