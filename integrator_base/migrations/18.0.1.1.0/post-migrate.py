"""18.0.1.1.0: the integration tables lose Odoo's four access columns (``_log_access =
False``): ``user_id`` and ``operation_timestamp`` already say who and when.

Odoo keeps those columns of an existing table, with the foreign keys to res_users that
every captured row would still pay for, and their field records. This drops both.
"""

from odoo.tools import SQL

MODELS = ("product.integration", "order.integration")
COLUMNS = ("create_uid", "create_date", "write_uid", "write_date")


def migrate(cr, version):
    for model in MODELS:
        cr.execute(
            SQL(
                "ALTER TABLE %s %s",
                SQL.identifier(model.replace(".", "_")),
                SQL(", ").join(
                    SQL("DROP COLUMN IF EXISTS %s", SQL.identifier(column)) for column in COLUMNS
                ),
            )
        )
    cr.execute("SELECT id FROM ir_model_fields WHERE model IN %s AND name IN %s", [MODELS, COLUMNS])
    field_ids = tuple(row[0] for row in cr.fetchall())
    if field_ids:
        cr.execute(
            "DELETE FROM ir_model_data WHERE model = 'ir.model.fields' AND res_id IN %s",
            [field_ids],
        )
        cr.execute("DELETE FROM ir_model_fields WHERE id IN %s", [field_ids])
