"""Per-transaction capture buffer.

Interception (create/write/unlink overrides, stock and order hooks) only records *which* record
changed and how; the integration rows are written once, just before the transaction commits, by a
``precommit`` hook. That keeps the user's call cheap (a write on 10,000 products adds one batched
INSERT, not 10,000), folds repeated events on one record (``create`` then ``write`` is one
``create`` row; two writes are one row with the merged values), and never calls out.

Tests, which never commit, flush the buffer with ``env.cr.precommit.run()``.
"""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

BUFFER_KEY = "integrator_base.capture"
#: Context key that switches capture off, e.g. for data imported from a site (no echo loop).
NO_CAPTURE = "integrator_no_capture"
CAPTURE_PARAM = "integrator_base.capture_enabled"
#: the savepoint the rows are written after (a failure rolls back to it, not the user's work)
SAVEPOINT = "integrator_capture"


def capture_enabled(env):
    """Whether events of this environment must be captured.

    The setting is read once per transaction: a bulk write calls this once per record.
    """
    context = env.context
    if context.get(NO_CAPTURE) or context.get("install_mode"):
        return False
    return _setting(env)


def setting_value(env):
    """The capture setting as stored: on unless the parameter says off (a fresh install
    has it on; the settings form stores "False" to switch it off)."""
    value = env["ir.config_parameter"]._get_param(CAPTURE_PARAM) or "True"
    return value not in ("False", "false", "0")


def _setting(env):
    """The capture setting, read once per transaction.

    Every user's product write consults it, so it is read through ``_get_param`` (the
    ormcached lookup behind ``get_param``): no ``sudo()`` environment and no access check
    for one boolean that only decides whether rows are written (75 µs a call before)."""
    data = env.cr.precommit.data
    enabled = data.get(CAPTURE_PARAM)
    if enabled is None:
        enabled = data[CAPTURE_PARAM] = setting_value(env)
    return enabled


class CaptureBuffer:
    """Events of one transaction, flushed into the integration tables before commit."""

    def __init__(self):
        # product id -> {"op": create|write|unlink, "fields": {...}, "snapshot": {...}}
        self.products = {}
        # product ids whose quantity available to sell may have changed
        self.stock = set()
        # (model, res_id, operation) -> sale order id
        self.orders = {}

    def add_product_create(self, product_ids):
        for pid in product_ids:
            self.products[pid] = {"op": "create", "fields": {}}

    def add_product_write(self, values_by_product):
        for pid, values in values_by_product.items():
            entry = self.products.get(pid)
            if entry is None:
                self.products[pid] = {"op": "write", "fields": dict(values)}
            elif entry["op"] in ("create", "write"):
                entry["fields"].update(values)
            # a write after an unlink in the same transaction cannot happen; ignore it

    def add_product_unlink(self, snapshots):
        for pid, snapshot in snapshots.items():
            entry = self.products.get(pid)
            if entry is not None and entry["op"] == "create":
                # created and deleted in one transaction: no site ever saw it
                del self.products[pid]
            else:
                self.products[pid] = {"op": "unlink", "fields": {}, "snapshot": snapshot}
            self.stock.discard(pid)

    def add_stock(self, product_ids):
        self.stock.update(product_ids)

    def add_order_event(self, model, res_id, operation, order_id):
        self.orders[(model, res_id, operation)] = order_id

    def __bool__(self):
        return bool(self.products or self.stock or self.orders)


def capture_stock(env, product_ids):
    """Record that these products' quantity to sell may have changed, also in an
    environment that does not capture (``NO_CAPTURE``).

    A connector imports a site's orders without capture, so that the site's own events
    (the order, its confirmation) do not come back to it as rows; but the stock those
    orders reserve or free is news for every site, the importing one included."""
    if product_ids and not env.context.get("install_mode") and _setting(env):
        get_buffer(env).add_stock(product_ids)


def get_buffer(env):
    """The capture buffer of ``env``'s transaction, registering the flush hook on first use."""
    data = env.cr.precommit.data
    buffer = data.get(BUFFER_KEY)
    if buffer is None:
        buffer = data[BUFFER_KEY] = CaptureBuffer()
        flush_env = env(context={NO_CAPTURE: True}, su=True)
        env.cr.precommit.add(lambda: _flush(flush_env))
    return buffer


def _flush(env):
    buffer = env.cr.precommit.data.pop(BUFFER_KEY, None)
    if not buffer:
        return
    cr = env.cr
    # The rows are written after a savepoint of their own, sent with them in one round trip
    # (a transaction that changes one product pays for one); COMMIT releases it.
    savepoint = SQL("SAVEPOINT %s", SQL.identifier(SAVEPOINT))
    # the user's own writes go before the savepoint: a failure here never undoes them
    env.flush_all()
    try:
        env["product.integration"]._write_captured_products(buffer, before=savepoint)
        env["order.integration"]._write_captured_orders(buffer)
        env.flush_all()
    except Exception:
        # Never break the user's commit because of the integration tables; the log says what
        # was lost so that a manual synchronisation can repair it.
        cr.execute(SQL("ROLLBACK TO SAVEPOINT %s", SQL.identifier(SAVEPOINT)))
        env.invalidate_all()
        _logger.exception(
            "Integration capture failed: %d product, %d stock and %d order events not recorded",
            len(buffer.products),
            len(buffer.stock),
            len(buffer.orders),
        )
