# Ministries reached through Senegal's X-Road platform over REST: cases
# whose partner uses X-Road are sent to its service and follow its status.
# Models are registered in tryton.cfg.
