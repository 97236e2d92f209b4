"""Odoo's server for the benchmarks that need its cron runner in workers mode.

The same as ``odoo-bin``, except for the websocket process Odoo's master starts with
``sys.argv[0] gevent``: here it only waits to be stopped. The benchmarks need no websocket,
and where gevent cannot start (a plugin of its missing from the environment) the master
would start it again and again, a CPU's worth of crashing interpreters beside the run.
"""

import signal
import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["gevent"]:
        signal.pause()  # until the master's SIGTERM
    else:
        import odoo

        odoo.cli.main()
