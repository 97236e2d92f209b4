"""Amazon's product types (SP-API): each listing has one; its JSON Schema, fetched through the
Product Type Definitions API, is kept per marketplace with its version and fetched again when
Amazon's version changes. A listing is checked against it before anything is sent."""

import json
import logging
from datetime import timedelta

from odoo import _, api, fields, models

from ..lib import listings_checks

_logger = logging.getLogger(__name__)

#: how often Amazon's version of a cached product type is asked for
CHECK_EVERY = timedelta(days=1)


class AmazonProductType(models.Model):
    _name = "amazon.product.type"
    _description = "Amazon Product Type"
    _order = "name"

    name = fields.Char("Product Type", required=True, index=True)
    display_label = fields.Char("Amazon's Name")
    marketplace_id = fields.Many2one(
        "amazon.marketplace", required=True, index=True, ondelete="cascade"
    )
    version = fields.Char("Amazon's Version", readonly=True)
    schema = fields.Text("JSON Schema", readonly=True, prefetch=False)
    checked_at = fields.Datetime("Version Checked", readonly=True)
    required_attributes = fields.Char(compute="_compute_required_attributes")

    _sql_constraints = [
        (
            "name_marketplace_unique",
            "unique(name, marketplace_id)",
            "A product type is kept once per marketplace.",
        ),
    ]

    @api.depends("schema")
    def _compute_required_attributes(self):
        for product_type in self:
            schema = product_type._schema_dict()
            product_type.required_attributes = ", ".join(schema.get("required") or ())

    def _schema_dict(self):
        self.ensure_one()
        try:
            return json.loads(self.schema or "{}")
        except ValueError:
            return {}

    @api.model
    def _for(self, account, name):
        """The product type ``name`` of the account's marketplace, its schema fetched when
        missing or when Amazon's version changed (asked at most once a day)."""
        product_type = self.search(
            [("name", "=", name), ("marketplace_id", "=", account.marketplace_id.id)], limit=1
        )
        if not product_type:
            product_type = self.create({"name": name, "marketplace_id": account.marketplace_id.id})
        product_type._refresh(account)
        return product_type

    def _refresh(self, account, force=False):
        """Amazon's definition: the schema again when its version is not the one kept."""
        self.ensure_one()
        now = fields.Datetime.now()
        if self.schema and not force and self.checked_at and self.checked_at > now - CHECK_EVERY:
            return
        product_types = account._api().product_types
        definition = product_types.definition(self.name)
        values = {"checked_at": now, "display_label": definition.display_name}
        if definition.version != self.version or not self.schema:
            schema = product_types.schema(definition)
            values.update(version=definition.version, schema=json.dumps(schema))
            if self.version:
                _logger.info(
                    "Amazon product type %s: version %s replaces %s",
                    self.name,
                    definition.version,
                    self.version,
                )
        self.write(values)

    @api.model
    def _search_amazon(self, account, keywords):
        """searchDefinitionsProductTypes for ``keywords`` in the account's marketplace: the
        types found are kept (their schema is fetched when a listing uses one), and the
        account's chatter lists them. Returns the records found."""
        found = account._api().product_types.search(keywords or None)
        existing = self.search([("marketplace_id", "=", account.marketplace_id.id)])
        by_name = {product_type.name: product_type for product_type in existing}
        result = self.browse()
        for name, label in found:
            product_type = by_name.get(name)
            if product_type:
                if label and product_type.display_label != label:
                    product_type.display_label = label
            else:
                product_type = self.create(
                    {
                        "name": name,
                        "display_label": label,
                        "marketplace_id": account.marketplace_id.id,
                    }
                )
            result |= product_type
        if result:
            listed = ", ".join(f"{t.name} ({t.display_label or t.name})" for t in result)
            body = _(
                "Amazon's product types for “%(keywords)s”: %(types)s.",
                keywords=keywords,
                types=listed,
            )
        else:
            body = _("Amazon knows no product type for “%s”.", keywords)
        account.message_post(body=body, subtype_xmlid="mail.mt_note")
        return result

    def _checker(self):
        """``check(attributes)`` → what Amazon would refuse in them ([Problem]). The schema
        is parsed once, so the validator built for it serves every listing checked with
        this checker (lib.listings_checks keeps it per schema object)."""
        self.ensure_one()
        schema = self._schema_dict()
        return lambda attributes: listings_checks.validate(schema, attributes)

    def _explain(self, problems):
        return _("Not sent: %s", "; ".join(str(problem) for problem in problems))
