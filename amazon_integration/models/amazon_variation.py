"""Variations: the variants of a template sold on one account as one Amazon parent.

Amazon shows variants (sizes, colours) under a parent SKU that is never sold itself. The
connector makes a parent listing per template and account when two or more of its variants
are listed there and their attributes name a theme Amazon knows (Size, Color or both): the
product feed creates the parent and tells each child its size and colour, then, once Amazon
accepted them all, the relationship feed ties the children to the parent.
"""

from odoo import fields, models

from ..lib import feeds as feedlib

SIZE_NAMES = {"size", "taille", "größe", "groesse", "talla", "taglia", "maat"}
COLOR_NAMES = {"color", "colour", "couleur", "farbe", "colore", "kleur"}


class AmazonListing(models.Model):
    _inherit = "amazon.listing"

    is_parent = fields.Boolean("Variation Parent", readonly=True, copy=False)
    parent_tmpl_id = fields.Many2one(
        "product.template", string="Parent of", readonly=True, index=True, ondelete="cascade"
    )
    parent_listing_id = fields.Many2one(
        "amazon.listing", string="Parent Listing", readonly=True, index=True, ondelete="set null"
    )
    child_listing_ids = fields.One2many("amazon.listing", "parent_listing_id", string="Children")

    def _variation_values(self):
        """(theme, size, color) of a child listing's variant, or None without a theme."""
        self.ensure_one()
        size = color = None
        for value in self.product_id.product_template_attribute_value_ids:
            name = (value.attribute_id.name or "").strip().lower()
            if name in SIZE_NAMES:
                size = value.name
            elif name in COLOR_NAMES:
                color = value.name
        if size and color:
            return "Size-Color", size, color
        if size:
            return "Size", size, None
        if color:
            return "Color", None, color
        return None

    def _variation(self):
        """The feed's Variation for this listing (parent or child), or None."""
        self.ensure_one()
        if self.is_parent:
            child = self.child_listing_ids.filtered(lambda c: c.state != "deleted")[:1]
            values = child._variation_values() if child else None
            return feedlib.Variation(parentage="parent", theme=values[0]) if values else None
        if self.parent_listing_id:
            values = self._variation_values()
            if values:
                theme, size, color = values
                return feedlib.Variation(parentage="child", theme=theme, size=size, color=color)
        return None


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    def _ensure_variation_parents(self):
        """Parents for templates with several variants listed on this account, queued for the
        product feed (with their children) and the relationship feed."""
        self.ensure_one()
        Listing = self.env["amazon.listing"]
        pending = (
            self.env["amazon.sync.queue"]
            .search([("account_id", "=", self.id), ("kind", "=", "product")])
            .listing_id.filtered(lambda lst: lst.product_id and not lst.is_parent)
        )
        for template in pending.product_id.product_tmpl_id:
            siblings = Listing.search(
                [
                    ("account_id", "=", self.id),
                    ("product_tmpl_id", "=", template.id),
                    ("state", "!=", "deleted"),
                    ("is_parent", "=", False),
                ]
            )
            children = siblings.filtered(lambda lst: lst._variation_values())
            if len(children) < 2:
                continue
            parent = Listing.search(
                [
                    ("account_id", "=", self.id),
                    ("is_parent", "=", True),
                    ("parent_tmpl_id", "=", template.id),
                ],
                limit=1,
            )
            if not parent:
                parent = Listing.create(
                    {
                        "account_id": self.id,
                        "is_parent": True,
                        "parent_tmpl_id": template.id,
                        "seller_sku": f"PARENT-{template.default_code or template.id}",
                    }
                )
            new_children = children.filtered(
                lambda lst, parent=parent: lst.parent_listing_id != parent
            )
            if new_children or not parent.product_synced:
                new_children.write({"parent_listing_id": parent.id})
                parent._enqueue(["product", "relationship"])


class ProductTemplate(models.Model):
    """SKU-level shipping overrides (Amazon's Override feed) instead of the account's."""

    _inherit = "product.template"

    amazon_ship_override = fields.Boolean(
        "Amazon Shipping Override", help="Send SKU-level shipping to Amazon for this product."
    )
    amazon_ship_option = fields.Char(
        "Amazon Ship Option",
        default="Std Cont US Street Addr",
        help="Amazon's ship option (service level and region), e.g. Std Cont US Street Addr.",
    )
    amazon_ship_type = fields.Selection(
        [
            ("Exclusive", "Replaces the account's charge"),
            ("Additive", "Adds to it"),
            ("restricted", "Not shipped there"),
        ],
        string="Amazon Ship Override Type",
        default="Exclusive",
    )
    amazon_ship_amount = fields.Float("Amazon Ship Amount", digits="Product Price")


class AmazonAccountOverride(models.Model):
    _inherit = "amazon.account"

    def _messages_override(self, entries):
        currency = self.marketplace_id.currency_id.name or "USD"
        for entry in entries:
            template = entry.listing_id.product_id.product_tmpl_id
            if not template or not template.amazon_ship_override:
                yield entry, None
                continue
            if template.amazon_ship_type == "restricted":
                override = feedlib.ShippingOverride(
                    ship_option=template.amazon_ship_option, type=None, restricted=True
                )
            else:
                override = feedlib.ShippingOverride(
                    ship_option=template.amazon_ship_option,
                    type=template.amazon_ship_type,
                    amount=template.amazon_ship_amount,
                    currency=currency,
                )
            yield (
                entry,
                feedlib.OverrideMessage(
                    key=entry.id, sku=entry.listing_id.seller_sku, overrides=[override]
                ),
            )
