"""Create or upgrade the demo database and load the demo data.

    python scripts/demo_db.py DATABASE

A new database is created in French with every addon of pyproject.toml
activated, then filled by scripts/demo_data.py. An existing one is upgraded
only when an addon changed since the last run, so a second start is fast;
an addon activated by the upgrade gets its demo data then.
"""
import hashlib
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / '.venv' / 'bin'
ADMIN_PASSWORD = 'admin-ess-2026'


def addons():
    """The addons registered as trytond.modules entry points (or those of
    ESS_ADDONS, comma-separated)"""
    if os.environ.get('ESS_ADDONS'):
        return sorted(os.environ['ESS_ADDONS'].split(','))
    with open(ROOT / 'pyproject.toml', 'rb') as fp:
        project = tomllib.load(fp)
    return sorted(project['project']['entry-points']['trytond.modules'])


def fingerprint():
    digest = hashlib.sha256()
    for path in sorted((ROOT / 'addons').rglob('*')):
        if path.suffix in {'.py', '.xml', '.cfg', '.po', '.fodt', '.html'}:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def admin(database, *args):
    env = dict(os.environ)
    with tempfile.NamedTemporaryFile('w', suffix='.password') as passfile:
        passfile.write(ADMIN_PASSWORD)
        passfile.flush()
        env['TRYTONPASSFILE'] = passfile.name
        subprocess.run([
                str(VENV_BIN / 'trytond-admin'),
                '-c', env['TRYTOND_CONFIG'], '-d', database,
                '--activate-dependencies', '-l', 'fr', *args],
            check=True, env=env)


def demo_data(database, only=None):
    subprocess.run([
            str(VENV_BIN / 'python'), str(ROOT / 'scripts' / 'demo_data.py'),
            database, ADMIN_PASSWORD, *([','.join(only)] if only else [])],
        check=True)


def activated(db_file):
    "The addons activated in the SQLite database db_file"
    with sqlite3.connect(db_file) as connection:
        return {name for name, in connection.execute(
                "SELECT name FROM ir_module WHERE state = 'activated'")}


def main(database):
    # the demo runs on SQLite unless told otherwise
    os.environ.setdefault('TRYTOND_DATABASE__URI', 'sqlite://')
    db_dir = pathlib.Path(
        os.environ.get('TRYTOND_DATABASE__PATH') or ROOT / 'var' / 'db')
    db_dir.mkdir(parents=True, exist_ok=True)
    db_file = db_dir / f'{database}.sqlite'
    stamp = db_dir / f'{database}.fingerprint'
    current = fingerprint()
    if not db_file.exists() or not stamp.exists():
        print(f"== Creating the demo database {database} (a few minutes)")
        db_file.unlink(missing_ok=True)
        db_file.touch()
        admin(database, '--email', 'admin@senegalnumerique.sn',
            '-u', *addons())
        demo_data(database)
    elif stamp.read_text() != current:
        print(f"== Upgrading the demo database {database}")
        before = activated(db_file)
        admin(database, '-u', *addons())
        new = sorted(set(addons()) - before)
        if new:
            demo_data(database, new)
    else:
        print(f"== Demo database {database} is up to date")
    stamp.write_text(current)


if __name__ == '__main__':
    main(sys.argv[1])
