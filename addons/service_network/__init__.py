# The service network: sites, counters, partner administrations, the
# procedure catalogue, Senegal's working-day calendar and site-scoped access.
# Models are registered in tryton.cfg.
