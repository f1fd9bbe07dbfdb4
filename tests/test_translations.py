"""Every string a user can read has a French translation."""
import polib
import pytest

from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)

from translation_tools import ROOT, addons, key, source_entries

ADDONS = addons()


@pytest.fixture(scope='module')
def sources():
    activate_module(ADDONS)
    yield with_transaction()(lambda: source_entries(ADDONS))()
    # the next test creates its own database under the same name
    drop_db()


@pytest.mark.parametrize('module', ADDONS)
def test_french_translation_complete(sources, module):
    path = ROOT / 'addons' / module / 'locale' / 'fr.po'
    assert path.exists(), f"{module} has no locale/fr.po"
    french = {key(e): e.msgstr for e in polib.pofile(str(path))}
    missing = [f'{ctxt} {msgid!r}' for ctxt, msgid in map(key, sources[module])
        if ctxt is not None and not french.get((ctxt, msgid))]
    assert not missing, (
        f"{len(missing)} strings of {module} lack a French translation "
        "(run scripts/update_translations.py, then translate):\n"
        + '\n'.join(missing[:40]))
