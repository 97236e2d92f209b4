import hashlib
import json

from odoo import api, fields, models, tools
from odoo.tools import SQL

#: the capture function's name, before the digest of its body
CAPTURE_FUNCTION = "integrator_capture_products"
CAPTURE_SIGNATURE = SQL("(p_operation varchar, p_ids int[], p_values jsonb, p_uid int)")
#: PL/pgSQL keeps a statement's plan per connection, but for the first calls, and for as long
#: as a plan made for the call's values looks cheaper (the operation folded in: it always
#: does here), it plans the INSERT again at every call: 0.19 ms of a one-product
#: transaction's 0.3 ms capture. The generic plan is made once; on 10,000 products it is
#: 5 % slower than a plan made for them (187 ms against 177 ms).
CAPTURE_OPTIONS = "SET plan_cache_mode = force_generic_plan"

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
    _log_access = False  # who and when: user_id, operation_timestamp (see the mixin)

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

    @api.depends("record_operation", "res_model", "res_id", "product_id", "default_code")
    def _compute_display_name(self):
        return super()._compute_display_name()

    def _subject_name(self):
        return self.product_id.display_name or self.default_code

    def init(self):
        result = super().init()
        self._create_capture_function()
        return result

    @api.model
    def _write_captured_products(self, buffer, before=None):
        """Turn the transaction's product and stock events into rows, in the order create,
        write, unlink, stock, all sent in one round trip (after ``before``, an SQL statement
        of the caller's: the capture's savepoint). Returns whether a statement was sent.

        Live products are described by the database itself (one join on ``unnest(ids)``),
        so capture costs no ORM read per product; deleted ones by the snapshot taken before
        their deletion. The live rows are written by the capture function (``init``), whose
        INSERT PostgreSQL plans once per connection: planning was most of the capture's cost
        in a transaction that changes one product, and so were the savepoint and its release
        as round trips of their own (0.2 ms each here).
        """
        ids = {"create": [], "write": [], "unlink": []}
        values, snapshots = {}, []
        for pid, entry in buffer.products.items():
            ids[entry["op"]].append(pid)
            if entry["op"] == "write":
                values[str(pid)] = entry["fields"]
            elif entry["op"] == "unlink":
                snapshots.append({"res_id": pid, "snapshot": entry["snapshot"]})
        stock = sorted(buffer.stock)
        live = [(op, ids[op]) for op in ("create", "write") if ids[op]]
        rows = [self._live_rows_sql(op, pids, values) for op, pids in live]
        if snapshots:
            rows.append(self._insert_select_sql(self._deleted_product_source(snapshots)))
        if stock:
            rows.append(self._live_rows_sql("stock", stock))
        statements = ([before] if before is not None else []) + rows
        if not statements:
            return False
        self.env.flush_all()  # the joins read the products as written
        # the caller logs a failure (and rolls back to its savepoint): no "bad query" ERROR
        self.env.cr.execute(SQL(";\n").join(statements), log_exceptions=False)
        if rows:
            operations = {op for op, found in ids.items() if found}
            self._captured(operations | ({"stock"} if stock else set()))
        return True

    def _live_rows_sql(self, operation, product_ids, values=None):
        """The statement writing the rows of ``operation`` on existing products: a call of
        the capture function, or the INSERT itself where the database has not got it."""
        function = self._capture_function()
        if not function:
            return self._insert_select_sql(
                self._live_product_source(operation, product_ids, values)
            )
        return SQL(
            "SELECT %s(%s::varchar, %s::int[], %s::jsonb, %s::int)",
            SQL.identifier(function),
            operation,
            list(product_ids),
            json.dumps(values or {}, default=str),
            self.env.uid,
        )

    @api.model
    def _live_product_source(self, operation, product_ids, values=None):
        """The rows of ``operation`` on existing products (in ``product_ids``' order; ids
        of products deleted since are skipped): ``create``/``write`` carry the product's
        identity (``write``: and its changed ``values``, {str(id): {field: value}}), ``stock``
        its id and SKU. The arguments are values, or SQL (the capture function's
        parameters)."""
        if not isinstance(operation, SQL):
            operation = SQL("%s::varchar", operation)
        if not isinstance(product_ids, SQL):
            product_ids = SQL("%s::int[]", list(product_ids))
        if not isinstance(values, SQL):
            values = SQL("%s::jsonb", json.dumps(values or {}, default=str))
        sku = SQL("COALESCE(to_jsonb(pp.default_code), 'false')")
        return SQL(
            """
            SELECT pp.id AS res_id, pp.id AS product_id, pp.product_tmpl_id, pp.default_code,
                   pp.barcode, pt.company_id, %(operation)s AS record_operation,
                   CASE WHEN %(operation)s = 'stock'
                        THEN jsonb_build_object('id', pp.id, 'default_code', %(sku)s)
                        ELSE jsonb_build_object(
                            'id', pp.id, 'product_tmpl_id', pp.product_tmpl_id,
                            'default_code', %(sku)s,
                            'barcode', COALESCE(to_jsonb(pp.barcode), 'false'),
                            'company_id', COALESCE(to_jsonb(pt.company_id), 'false')
                        ) || CASE WHEN %(operation)s = 'write'
                                  THEN jsonb_build_object('values', %(values)s -> pp.id::text)
                                  ELSE '{}'::jsonb END
                   END AS operation_data
              FROM unnest(%(ids)s) WITH ORDINALITY AS e(id, n)
              JOIN product_product pp ON pp.id = e.id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             ORDER BY e.n
            """,
            operation=operation,
            sku=sku,
            values=values,
            ids=product_ids,
        )

    # ------------------------------------------------------------------ capture function

    @api.model
    def _capture_function_sql(self):
        """(name, body) of the capture function of this registry's columns: the INSERT of
        ``_live_product_source``'s rows, the column defaults of the installed site addons
        written in. The name carries a digest of the body, so a registry never calls a
        function written for other columns."""
        source = self._live_product_source(SQL("p_operation"), SQL("p_ids"), SQL("p_values"))
        insert = self._insert_select_sql(source, uid=SQL("p_uid"))
        body = self.env.cr.mogrify(insert).decode()
        definition = f"{CAPTURE_OPTIONS}\n{body}"
        digest = hashlib.sha1(definition.encode(), usedforsecurity=False).hexdigest()[:12]
        return f"{CAPTURE_FUNCTION}_{digest}", f"BEGIN {body}; END"

    @api.model
    def _create_capture_function(self):
        """(Re)create the capture function, at install and at every update of a module
        that adds columns to the table; the functions of earlier columns are dropped."""
        self.env.registry.clear_cache()  # _column_defaults and _capture_function
        name, body = self._capture_function_sql()
        cr = self.env.cr
        cr.execute(
            "SELECT proname FROM pg_proc WHERE proname LIKE %s AND proname != %s",
            [f"{CAPTURE_FUNCTION}\\_%", name],
        )
        for (old,) in cr.fetchall():
            cr.execute(SQL("DROP FUNCTION IF EXISTS %s%s", SQL.identifier(old), CAPTURE_SIGNATURE))
        cr.execute(
            SQL(
                "CREATE OR REPLACE FUNCTION %s%s RETURNS void LANGUAGE plpgsql %s AS %s",
                SQL.identifier(name),
                CAPTURE_SIGNATURE,
                SQL(CAPTURE_OPTIONS),
                body,
            )
        )

    @api.model
    @tools.ormcache()
    def _capture_function(self):
        """The name of this registry's capture function if the database has it, else None
        (a module removed since: the rows are written by plain statements until the next
        update)."""
        name, _body = self._capture_function_sql()
        self.env.cr.execute("SELECT 1 FROM pg_proc WHERE proname = %s", [name])
        return name if self.env.cr.fetchone() else None

    @api.model
    def _deleted_product_source(self, snapshots):
        """The ``unlink`` rows of deleted products, from their snapshots ([{res_id,
        snapshot}]); a product still there (its deletion undone) is described by itself."""
        return SQL(
            """
            SELECT e.res_id,
                   pp.id AS product_id,
                   pp.product_tmpl_id,
                   CASE WHEN pp.id IS NOT NULL THEN pp.default_code
                        WHEN jsonb_typeof(e.snapshot->'default_code') = 'string'
                        THEN e.snapshot->>'default_code' END AS default_code,
                   CASE WHEN pp.id IS NOT NULL THEN pp.barcode
                        WHEN jsonb_typeof(e.snapshot->'barcode') = 'string'
                        THEN e.snapshot->>'barcode' END AS barcode,
                   CASE WHEN pp.id IS NOT NULL THEN pt.company_id
                        WHEN jsonb_typeof(e.snapshot->'company_id') = 'number'
                        THEN (e.snapshot->>'company_id')::int END AS company_id,
                   'unlink'::varchar AS record_operation,
                   e.snapshot AS operation_data
              FROM ROWS FROM (
                       jsonb_to_recordset(%s::jsonb) AS (res_id int, snapshot jsonb)
                   ) WITH ORDINALITY AS e(res_id, snapshot, n)
              LEFT JOIN product_product pp ON pp.id = e.res_id
              LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
             ORDER BY e.n
            """,
            json.dumps(snapshots, default=str),
        )

    @api.model
    def _captured(self, operations):
        """Override point: rows of these ``operations`` were just written, in the user's
        transaction before its commit. A connector may schedule its work here (trigger its
        cron); it must not call the remote site, nor fail: the rows are what matters."""

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
    )

    @api.model
    @tools.ormcache()
    def _column_defaults(self):
        """Defaults of the stored fields site addons add (their status fields), as columns.

        Cached per registry: they are constants (a status selection's default), and the
        capture runs once per committing transaction."""
        names = [
            name
            for name, field in self._fields.items()
            if field.store
            and field.column_type
            and name not in self._INSERTED_COLUMNS
            and name != "id"
        ]
        defaults = self.default_get(names)
        return tuple(
            (name, self._fields[name].convert_to_column_insert(value, self))
            for name, value in defaults.items()
        )

    @api.model
    def _insert_select(self, source, site=None, manual=False):
        """``INSERT INTO product_integration ... SELECT`` from ``source``, an SQL query with the
        columns res_id, product_id, product_tmpl_id, default_code, barcode, company_id,
        record_operation and operation_data. Returns the number of rows."""
        self.env.cr.execute(self._insert_select_sql(source, site, manual))
        return self.env.cr.rowcount

    @api.model
    def _insert_select_sql(self, source, site=None, manual=False, uid=None):
        """The statement of ``_insert_select`` (``uid``: the user's id, or SQL)."""
        # the transaction's time, as cr.now() (without its query when nothing asked it yet)
        now = SQL("(now() AT TIME ZONE 'UTC')")
        uid = self.env.uid if uid is None else uid
        defaults = dict(self._column_defaults())
        return SQL(
            """
            INSERT INTO product_integration (%s)
            SELECT 'product.product', r.res_id, r.product_id, r.product_tmpl_id, r.default_code,
                   r.barcode, r.company_id, r.record_operation, r.operation_data,
                   %s, %s, %s, %s, %s %s
              FROM (%s) AS r
            """,
            SQL(", ").join(SQL.identifier(name) for name in (*self._INSERTED_COLUMNS, *defaults)),
            now,
            manual,
            site.id if site else None,
            site.code if site else None,
            uid,
            SQL("").join(SQL(", %s", value) for value in defaults.values()),
            source,
        )

    @api.model
    def _manual_sync_products(self, products=None, site=None, company_ids=None):
        """Manual mode: one ``create`` row per product (all active ones, or ``products``;
        with ``company_ids``, only products shared or of those companies). Only goods that
        can be sold: services (delivery, down payment, an integration's own fee or tax
        products), combos and products not for sale are never sent to a site.

        Done in SQL, set-based, so that 100,000 products are never loaded into memory: the
        caller checks the user's rights first. Returns the number of rows created.
        """
        condition = SQL("pp.active AND pt.active AND pt.sale_ok AND pt.type = 'consu'")
        if products is not None:
            condition = SQL("%s AND pp.id = ANY(%s)", condition, list(products.ids))
        if company_ids is not None:
            condition = SQL(
                "%s AND (pt.company_id IS NULL OR pt.company_id = ANY(%s))",
                condition,
                list(company_ids),
            )
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
