"""The test databases of each module set, built once per run and cached.

trytond caches the database of each module set its tests activate
(DB_CACHE), but builds every set from a new database: each of the twenty
sets of this suite loaded the chart templates, the countries and the
network's data again. Here (installed by the root conftest.py):

- a set missing from the cache is built on the cached database of its
  largest dependency among the repository's addons (tryton.cfg), itself
  built and cached first when missing, and the set's other modules are
  activated on it, as an upgrade does in production: every addon is
  activated once per language and run;
- on PostgreSQL, with DB_CACHE=postgresql:// (scripts/test.sh), the
  cached databases are template databases, copied by CREATE DATABASE in
  a fraction of a second where pg_restore of a dump takes seconds; named
  after the test database and the addons' fingerprint, so that one made
  from other addons is never reused, and those of other fingerprints are
  dropped.
"""
import configparser
import hashlib
import os
import pathlib
import re

ADDONS = pathlib.Path(__file__).resolve().parent.parent / 'addons'


def depends():
    "{addon: the modules it depends on} for the repository's addons"
    result = {}
    for cfg in sorted(ADDONS.glob('*/tryton.cfg')):
        parser = configparser.ConfigParser()
        parser.read(cfg)
        result[cfg.parent.name] = set(
            parser.get('tryton', 'depends', fallback='').split())
    return result


def closure(modules, graph):
    "modules and every module they depend on, directly or not"
    found, todo = set(), list(modules)
    while todo:
        module = todo.pop()
        if module not in found:
            found.add(module)
            todo.extend(graph.get(module, ()))
    return found


def largest_base(modules, graph):
    """The repository's addon whose activation brings the most of what
    modules need without being all of it, or None"""
    target = closure(modules, graph)
    brought = {a: closure([a], graph) for a in graph}
    bases = [(len(b), a) for a, b in brought.items() if b < target]
    return max(bases)[1] if bases else None


def cache_name(modules, lang):
    "The name trytond's activate_module caches modules under"
    return '-'.join(modules) + ('' if lang == 'en' else f'--{lang}')


class Activation:
    """trytond's activation of the test databases (test_tryton's
    activate_module, the scenarios' activate_modules), building a missing
    set on its largest base"""

    def __init__(self, test_tryton, tools):
        self.test_tryton = test_tryton
        self.tools = tools
        self.graph = depends()
        self.activate_new = test_tryton.activate_module
        self.activate_scenario = tools.activate_modules

    def build(self, modules, lang):
        """Make DB_NAME with modules activated in lang from the cached
        database of their largest base (built first if missing) and cache
        it"""
        base = largest_base(modules, self.graph)
        if base is None:
            self.test_tryton.drop_db()
        elif not self.test_tryton.restore_db_cache(cache_name([base], lang)):
            self.build([base], lang)
        # on an existing database, trytond activates what is missing and
        # caches the result under the set's name
        self.activate_new(modules, lang)

    def activate_module(self, modules, lang='en'):
        if isinstance(modules, str):
            modules = [modules]
        if self.test_tryton.db_exist():
            self.activate_new(modules, lang)
        elif not self.test_tryton.restore_db_cache(cache_name(modules, lang)):
            self.build(modules, lang)

    def activate_modules(self, modules, *setup):
        if isinstance(modules, str):
            modules = [modules]
        if setup:
            return self.activate_scenario(modules, *setup)
        modules = sorted(modules)
        if not self.test_tryton.restore_db_cache(cache_name(modules, 'en')):
            self.build(modules, 'en')
        return self.tools._get_config()


def install():
    "Replace trytond's activation of test databases by Activation's"
    from trytond.tests import test_tryton, tools

    if not test_tryton.DB_CACHE:
        return
    activation = Activation(test_tryton, tools)
    test_tryton.activate_module = activation.activate_module
    tools.activate_modules = activation.activate_modules
    if test_tryton.DB_CACHE.startswith('postgresql://'):
        test_tryton._db_cache_file = template_name
        drop_stale_templates()


def _fingerprint():
    """The start of the addons' fingerprint (scripts/test.sh): without it a
    template made from other addons would be taken for this run's"""
    fingerprint = os.environ.get('ESS_ADDONS_FINGERPRINT', '')
    if not fingerprint:
        raise RuntimeError(
            "DB_CACHE=postgresql:// needs ESS_ADDONS_FINGERPRINT: run the "
            "tests through scripts/test.sh")
    return fingerprint[:8]


def template_name(path, name):
    """trytond's _db_cache_file for a DB_CACHE of postgresql://: the
    template database of the module set name"""
    digest = hashlib.shake_128(name.encode('utf8')).hexdigest(8)
    return f"{path}/tpl_{os.environ['DB_NAME']}_{_fingerprint()}_{digest}"


def drop_stale_templates():
    "Drop the template databases made from other addons"
    import psycopg
    from psycopg.conninfo import make_conninfo

    pattern = re.compile(
        rf"tpl_{re.escape(os.environ['DB_NAME'])}_(\w{{8}})_[0-9a-f]{{16}}")
    conninfo = make_conninfo(
        os.environ['TRYTOND_DATABASE__URI'], dbname='postgres')
    with psycopg.connect(conninfo, autocommit=True) as connection:
        names = [n for n, in connection.execute(
                "SELECT datname FROM pg_database")]
        for name in names:
            match = pattern.fullmatch(name)
            if match and match.group(1) != _fingerprint():
                connection.execute(
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
