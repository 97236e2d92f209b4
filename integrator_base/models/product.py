from odoo import api, fields, models
from odoo.tools import SQL

from .capture import capture_enabled, get_buffer

# Fields whose changes no site cares about (bookkeeping, chatter, activities).
_IGNORED_PREFIXES = ("message_", "activity_", "website_message", "rating_")
_IGNORED_FIELDS = {"write_date", "write_uid", "create_date", "create_uid", "__last_update"}


def _json_value(field, value, record):
    """A JSON-safe rendering of ``field``'s new value on ``record`` (value as written)."""
    if field.type in ("one2many", "many2many"):
        return record[field.name].ids
    if field.type == "many2one":
        return value.id if isinstance(value, models.BaseModel) else (value or False)
    if field.type in ("binary", "image"):
        return bool(value)  # the content is too large for a row; sites read it when needed
    if field.type == "date":
        return fields.Date.to_string(value) if value else False
    if field.type == "datetime":
        return fields.Datetime.to_string(value) if value else False
    if field.type in ("html", "text", "char") and value:
        return str(value)
    return value


def changed_values(records, vals):
    """``{record id: {field: new value}}`` for the watched fields in ``vals`` (records
    without an x2many among them share one dict: the capture buffer copies what it keeps)."""
    watched = [
        records._fields[name]
        for name in vals
        if name in records._fields
        and records._fields[name].store
        and name not in _IGNORED_FIELDS
        and not name.startswith(_IGNORED_PREFIXES)
    ]
    if not watched:
        return {}
    per_record = [f for f in watched if f.type in ("one2many", "many2many")]
    common = {f.name: _json_value(f, vals[f.name], None) for f in watched if f not in per_record}
    if not per_record:
        return dict.fromkeys(records._ids, common)
    result = {}
    for record in records:
        values = dict(common)
        for field in per_record:
            values[field.name] = _json_value(field, vals[field.name], record)
        result[record.id] = values
    return result


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _integration_snapshot(self):
        """What a site needs to know of this variant, also after it is deleted."""
        self.ensure_one()
        return {
            "id": self.id,
            "product_tmpl_id": self.product_tmpl_id.id,
            "default_code": self.default_code or False,
            "barcode": self.barcode or False,
            "name": self.name,
            "company_id": self.company_id.id or False,
        }

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        if capture_enabled(self.env):
            get_buffer(self.env).add_product_create(products.ids)
        return products

    def write(self, vals):
        res = super().write(vals)
        if self and capture_enabled(self.env):
            changes = changed_values(self, vals)
            if changes:
                get_buffer(self.env).add_product_write(changes)
        return res

    def unlink(self):
        if capture_enabled(self.env):
            products = self.exists()
            get_buffer(self.env).add_product_unlink(
                {product.id: product._integration_snapshot() for product in products}
            )
        self._integration_release()
        return super().unlink()

    def _integration_release(self):
        """Let the integration rows of these variants go of them (they keep the SKU and the
        snapshot) before the variants are deleted. Leaving it to the two ``set null``
        foreign keys fails for rows written in the same transaction: PostgreSQL checks the
        variant's key again when the template's cascade updates such a row."""
        if not self.ids:
            return
        Rows = self.env["product.integration"]
        Rows.flush_model(["product_id", "product_tmpl_id"])
        self.env.cr.execute(
            SQL(
                "UPDATE product_integration SET product_id = NULL, product_tmpl_id = NULL "
                "WHERE product_id IN %s",
                tuple(self.ids),
            )
        )
        Rows.invalidate_model(["product_id", "product_tmpl_id"])


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        res = super().write(vals)
        if self and capture_enabled(self.env):
            changes = changed_values(self, vals)
            if changes:
                variants_changes = {}
                for template in self.with_context(active_test=False):
                    for variant in template.product_variant_ids:
                        variants_changes[variant.id] = changes[template.id]
                get_buffer(self.env).add_product_write(variants_changes)
        return res

    def unlink(self):
        variants = self.with_context(active_test=False).product_variant_ids
        if capture_enabled(self.env):
            get_buffer(self.env).add_product_unlink(
                {variant.id: variant._integration_snapshot() for variant in variants}
            )
        variants._integration_release()
        return super().unlink()
