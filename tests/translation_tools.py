"""Source strings of our addons, as Tryton's translation export sees them.

Shared by tests/test_translations.py (every string has a French
translation) and scripts/update_translations.py (adds the new strings to
each addon's locale/fr.po, keeping the translations already there).
"""
import pathlib
import tomllib

import polib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def addons():
    with open(ROOT / 'pyproject.toml', 'rb') as fp:
        project = tomllib.load(fp)
    return sorted(project['project']['entry-points']['trytond.modules'])


def source_entries(modules):
    """Return {module: POFile of the English source strings}; must run where
    trytond's test database has `modules` activated"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Translation = pool.get('ir.translation')
    TranslationSet = pool.get('ir.translation.set', type='wizard')
    session_id, _, _ = TranslationSet.create()
    wizard = TranslationSet(session_id)
    wizard.set_report()
    wizard.set_view()
    result = {}
    with Transaction().set_context(language='en'):
        for module in modules:
            content = Translation.translation_export('en', module)
            result[module] = polib.pofile(
                content.decode('utf-8') if content else '')
    return result


def key(entry):
    return (entry.msgctxt, entry.msgid)
