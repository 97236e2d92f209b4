import json

from odoo import api, fields, models
from odoo.tools import SQL

PRODUCT_OPERATIONS = [
    ("create", "Create"),
    ("write", "Update"),
    ("unlink", "Delete"),
    ("stock", "Stock Level"),
]


class ProductIntegration(models.Model):
    """One row per product event: created, changed, deleted, or its sellable stock moved."""

    _name = "product.integration"
    _inherit = ["integration.event.mixin"]
    _description = "Product Integration"

    product_id = fields.Many2one(
        "product.product", string="Product", index=True, ondelete="set null", readonly=True
    )
    product_tmpl_id = fields.Many2one(
        "product.template", string="Product Template", ondelete="set null", readonly=True
    )
    default_code = fields.Char(
        "Internal Reference", index=True, readonly=True, help="The SKU, kept after a deletion."
    )
    barcode = fields.Char(readonly=True)

    @api.model
    def _operation_selection(self):
        return PRODUCT_OPERATIONS

    @api.model
    def _row_values(self, product_id, operation, data, product=None):
        source = product._integration_snapshot() if product else data
        return {
            "res_id": product_id,
            "product_id": product.id if product else None,
            "product_tmpl_id": source.get("product_tmpl_id") if product else None,
            "default_code": source.get("default_code") or None,
            "barcode": source.get("barcode") or None,
            "company_id": source.get("company_id") or None,
            "record_operation": operation,
            "operation_data": data,
        }

    @api.model
    def _write_captured_products(self, buffer):
        """Turn the transaction's product and stock events into rows, in one INSERT."""
        live_ids = {pid for pid, entry in buffer.products.items() if entry["op"] != "unlink"}
        live_ids |= buffer.stock
        products = {
            product.id: product
            for product in self.env["product.product"]
            .with_context(active_test=False)
            .browse(live_ids)
            .exists()
        }
        rows = []
        for pid, entry in buffer.products.items():
            op = entry["op"]
            if op == "unlink":
                rows.append(self._row_values(pid, op, entry["snapshot"]))
                continue
            product = products.get(pid)
            if product is None:
                continue  # removed later in the transaction without our unlink hook seeing it
            data = product._integration_snapshot()
            if op == "write":
                data["values"] = entry["fields"]
            rows.append(self._row_values(pid, op, data, product=product))
        for pid in sorted(buffer.stock):
            product = products.get(pid)
            if product is not None:
                data = {"id": pid, "default_code": product.default_code or False}
                rows.append(self._row_values(pid, "stock", data, product=product))
        self._insert_rows(rows)

    _INSERTED_COLUMNS = (
        "res_model",
        "res_id",
        "product_id",
        "product_tmpl_id",
        "default_code",
        "barcode",
        "company_id",
        "record_operation",
        "operation_data",
        "operation_timestamp",
        "manual",
        "site_id",
        "site_name",
        "user_id",
        "create_uid",
        "create_date",
        "write_uid",
        "write_date",
    )

    @api.model
    def _column_defaults(self):
        """Defaults of the stored fields site addons add (their status fields), as columns."""
        names = [
            name
            for name, field in self._fields.items()
            if field.store
            and field.column_type
            and name not in self._INSERTED_COLUMNS
            and name != "id"
        ]
        defaults = self.default_get(names)
        return {
            name: self._fields[name].convert_to_column_insert(value, self)
            for name, value in defaults.items()
        }

    @api.model
    def _insert_rows(self, rows):
        """Insert captured rows with a single statement (the ORM would insert 100 by 100).

        ``rows`` are dicts with res_id, product_id, product_tmpl_id, default_code, barcode,
        company_id, record_operation and operation_data.
        """
        if rows:
            source = SQL(
                """SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r(
                   res_id int, product_id int, product_tmpl_id int, default_code varchar,
                   barcode varchar, company_id int, record_operation varchar, operation_data jsonb)
                """,
                json.dumps(rows, default=str),
            )
            self._insert_select(source)

    @api.model
    def _insert_select(self, source, site=None, manual=False):
        """``INSERT INTO product_integration ... SELECT`` from ``source`` (an SQL query whose
        columns are those of :meth:`_insert_rows`' dicts). Returns the number of rows."""
        now = self.env.cr.now()
        uid = self.env.uid
        defaults = self._column_defaults()
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO product_integration (%s)
            SELECT 'product.product', r.res_id, r.product_id, r.product_tmpl_id, r.default_code,
                   r.barcode, r.company_id, r.record_operation, r.operation_data,
                   %s, %s, %s, %s, %s, %s, %s, %s, %s %s
              FROM (%s) AS r
            """,
                SQL(", ").join(
                    SQL.identifier(name) for name in (*self._INSERTED_COLUMNS, *defaults)
                ),
                now,
                manual,
                site.id if site else None,
                site.code if site else None,
                uid,
                uid,
                now,
                uid,
                now,
                SQL("").join(SQL(", %s", value) for value in defaults.values()),
                source,
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _manual_sync_products(self, products=None, site=None):
        """Manual mode: one ``create`` row per product (all active ones, or ``products``).

        Done in SQL, set-based, so that 100,000 products are never loaded into memory.
        Returns the number of rows created.
        """
        condition = SQL("pp.active AND pt.active")
        if products is not None:
            condition = SQL("%s AND pp.id = ANY(%s)", condition, list(products.ids))
        self.env.flush_all()
        return self._insert_select(
            SQL(
                """
            SELECT pp.id AS res_id, pp.id AS product_id, pt.id AS product_tmpl_id,
                   pp.default_code, pp.barcode, pt.company_id, 'create' AS record_operation,
                   jsonb_build_object(
                       'id', pp.id, 'product_tmpl_id', pt.id,
                       'default_code', pp.default_code,
                       'barcode', pp.barcode, 'company_id', pt.company_id
                   ) AS operation_data
              FROM product_product pp
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE %s
             ORDER BY pp.id
                """,
                condition,
            ),
            site=site,
            manual=True,
        )
