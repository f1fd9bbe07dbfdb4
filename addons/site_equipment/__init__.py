# The equipment of the network's sites: register, history, transfers,
# incidents, maintenance, inventory campaigns and the Excel import.
# Models are registered in tryton.cfg.
