"""18.0.1.1.0: the integration tables lose Odoo's four access columns (``_log_access =
False``): ``user_id`` and ``operation_timestamp`` already say who and when.

Odoo keeps those columns of an existing table, with the foreign keys to res_users that
every captured row would still pay for, their field records and the records of those
foreign keys. This drops them all.
"""

from odoo.tools import SQL

MODELS = ("product.integration", "order.integration")
COLUMNS = ("create_uid", "create_date", "write_uid", "write_date")


def migrate(cr, version):
    tables = [model.replace(".", "_") for model in MODELS]
    for table in tables:
        cr.execute(
            SQL(
                "ALTER TABLE %s %s",
                SQL.identifier(table),
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
    foreign_keys = tuple(
        f"{table}_{column}_fkey"
        for table in tables
        for column in COLUMNS
        if column.endswith("_uid")
    )
    cr.execute(
        "DELETE FROM ir_model_data WHERE model = 'ir.model.constraint' AND res_id IN"
        " (SELECT id FROM ir_model_constraint WHERE type = 'f' AND name IN %s)",
        [foreign_keys],
    )
    cr.execute("DELETE FROM ir_model_constraint WHERE type = 'f' AND name IN %s", [foreign_keys])
