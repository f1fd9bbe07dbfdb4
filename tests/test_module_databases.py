"""How the tests' module sets are built (tests/module_databases.py): on the
cached database of their largest dependency, and on PostgreSQL cached
under names tied to the addons they were made from."""
import module_databases as md

GRAPH = md.depends()


def test_graph_reads_every_addon():
    assert {'service_network', 'service_case', 'partner_billing',
        'partner_dunning'} <= set(GRAPH)
    assert 'service_network' in GRAPH['service_case']
    assert 'account' in GRAPH['service_network']


def test_set_built_on_its_largest_dependency():
    assert md.largest_base(['service_network'], GRAPH) is None
    assert md.largest_base(['service_case'], GRAPH) == 'service_network'
    assert md.largest_base(['partner_billing'], GRAPH) == 'service_case'
    assert md.largest_base(['partner_dunning'], GRAPH) == 'partner_billing'
    # a set of two addons: one of them, never the set itself
    base = md.largest_base(['agent_hr', 'service_case'], GRAPH)
    assert base in {'agent_hr', 'service_case'}
    # every addon: the one bringing the most, built first
    everything = sorted(GRAPH)
    base = md.largest_base(everything, GRAPH)
    assert base in GRAPH
    assert md.closure([base], GRAPH) < md.closure(everything, GRAPH)
    assert all(len(md.closure([a], GRAPH)) <= len(md.closure([base], GRAPH))
        for a in GRAPH)


def test_base_chain_ends():
    """Following the bases from any addon ends at service_network, the one
    set built from a new database"""
    for addon in GRAPH:
        seen, modules = [], [addon]
        while (base := md.largest_base(modules, GRAPH)) is not None:
            assert base not in seen + [addon]
            seen.append(base)
            modules = [base]
        assert modules == ['service_network'], addon


def test_cache_names_are_trytonds():
    assert md.cache_name(['agent_hr', 'service_case'], 'en') == (
        'agent_hr-service_case')
    assert md.cache_name(['partner_billing'], 'fr') == 'partner_billing--fr'


def test_template_names_tied_to_addons(monkeypatch):
    monkeypatch.setenv('DB_NAME', 'test_ess_ci')
    monkeypatch.setenv('ESS_ADDONS_FINGERPRINT', 'a' * 64)
    name = md.template_name('postgresql://', 'partner_billing--fr')
    database = name.removeprefix('postgresql:///')
    assert database.startswith('tpl_test_ess_ci_aaaaaaaa_')
    assert len(database) <= 63  # PostgreSQL's longest name
    assert md.template_name('postgresql://', 'service_case') != name
    monkeypatch.setenv('ESS_ADDONS_FINGERPRINT', 'b' * 64)
    assert md.template_name('postgresql://', 'partner_billing--fr') != name
