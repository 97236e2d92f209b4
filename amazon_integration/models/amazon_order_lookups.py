"""What an Amazon order refers to in Odoo, found or created for the order import: currency,
pricelist, marketplace, buyer and delivery contacts, products by SKU, the service products
and the sale order lines (from ``lib/order_values.plan_lines``), the FBA location.
"""

from odoo import _, fields, models

from ..lib.order_values import (
    LANG_BY_MARKETPLACE_COUNTRY,
    plan_lines,
)
from .amazon_account_orders import SERVICE_KINDS
from .res_partner import DELIVERY_ADDRESS


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    # ------------------------------------------------------------------ lookups

    def _order_currency(self, order, cache):
        code = order.get("currency") or self.marketplace_id.currency_id.name
        key = ("currency", code)
        if key not in cache:
            currency = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", code)], limit=1)
            )
            if not currency:
                raise ValueError(_("Unknown currency %s", code))
            if not currency.active:
                currency.sudo().active = True
            cache[key] = currency
        return cache[key]

    def _order_pricelist(self, currency, cache):
        key = ("pricelist", currency.id)
        if key not in cache:
            Pricelist = self.env["product.pricelist"].sudo()
            pricelist = self.pricelist_id if self.pricelist_id.currency_id == currency else None
            if not pricelist:
                pricelist = Pricelist.search(
                    [
                        ("currency_id", "=", currency.id),
                        ("company_id", "in", (self.company_id.id, False)),
                    ],
                    order="company_id desc, id",
                    limit=1,
                )
            if not pricelist:
                pricelist = Pricelist.create(
                    {
                        "name": _("Amazon %s", currency.name),
                        "currency_id": currency.id,
                        "company_id": self.company_id.id,
                    }
                )
            self._ensure_pricelist_feature()
            cache[key] = pricelist
        return cache[key]

    def _ensure_pricelist_feature(self):
        """The orders use pricelists: Odoo's pricelist feature is on. Off, saving Settings
        would archive every pricelist (the connector's among them) and the next import would
        make another one. Called by the order import only (the cron): a button of a user who
        may not change Settings never turns a Settings feature on."""
        feature = self.env.ref("product.group_product_pricelist")
        employees = self.env.ref("base.group_user").sudo()
        if feature not in employees.implied_ids:
            # only when off: applying it clears every worker's caches (a registry signal)
            employees._apply_group(feature)

    def _order_marketplace(self, order, cache):
        code = order.get("marketplace_id")
        key = ("marketplace", code)
        if key not in cache:
            marketplace = (
                self.env["amazon.marketplace"].search([("code", "=", code)], limit=1)
                if code
                else None
            )
            cache[key] = marketplace or self.marketplace_id
        return cache[key]

    def _marketplace_lang(self, marketplace):
        code = LANG_BY_MARKETPLACE_COUNTRY.get((marketplace.country_id.code or "").upper())
        installed = {c for c, _n in self.env["res.lang"].get_installed()}
        return code if code in installed else None

    def _fallback_partner(self, cache):
        """The customer of orders Amazon has not disclosed the buyer of yet (Pending)."""
        if "fallback" not in cache:
            Partner = self.env["res.partner"].sudo().with_context(active_test=False)
            ref = f"amazon-unknown-buyer-{self.id}"
            partner = Partner.search([("ref", "=", ref)], limit=1)
            if not partner:
                partner = Partner.create(
                    {
                        "name": _("Amazon buyer (not disclosed yet) – %s", self.name),
                        "ref": ref,
                        "company_id": self.company_id.id,
                    }
                )
            cache["fallback"] = partner
        return cache["fallback"]

    def _buyer_partner(self, order, marketplace, cache):
        """The buyer, found by Amazon's anonymised e-mail address (the indexed
        ``amazon_buyer_email`` of the contacts this import created), else created."""
        email = (order.get("buyer_email") or "").strip()
        if not email:
            return self._fallback_partner(cache)
        key = ("buyer", email.lower())
        if key in cache:
            return cache[key]
        Partner = self.env["res.partner"].sudo()
        # archived contacts too: the index allows one per buyer and company
        partner = (
            Partner.with_context(active_test=False)
            .search(
                [
                    ("amazon_buyer_email", "=", key[1]),
                    ("parent_id", "=", False),
                    ("company_id", "in", (self.company_id.id, False)),
                ],
                limit=1,
            )
            .with_env(Partner.env)
        )
        if not partner:
            address = order.get("shipping_address") or {}
            country = marketplace.country_id
            values = {
                "name": order.get("buyer_name") or address.get("name") or email,
                "email": email,
                "amazon_buyer_email": key[1],
                "customer_rank": 1,
                "company_id": self.company_id.id,
                "country_id": country.id or False,
            }
            lang = self._marketplace_lang(marketplace)
            if lang:
                values["lang"] = lang
            partner = Partner.create(values)
        cache[key] = partner
        return partner

    def _address_values(self, address, cache):
        code = (address.get("country_code") or "").strip().upper()
        key = ("country", code)
        if key not in cache:
            cache[key] = self.env["res.country"].search([("code", "=", code)], limit=1)
        country = cache[key]
        state = self.env["res.country.state"]
        region = (address.get("state_or_region") or "").strip()
        if country and region:
            skey = ("state", country.id, region.lower())
            if skey not in cache:
                cache[skey] = state.search(
                    [
                        ("country_id", "=", country.id),
                        "|",
                        ("code", "=ilike", region),
                        ("name", "=ilike", region),
                    ],
                    limit=1,
                )
            state = cache[skey]
        street = address.get("address_line1") or address.get("address_line2")
        street2 = " ".join(
            x
            for x in (
                address.get("address_line2") if address.get("address_line1") else None,
                address.get("address_line3"),
            )
            if x
        )
        return {
            "name": address.get("name") or False,
            "street": street or False,
            "street2": street2 or False,
            "city": address.get("city") or False,
            "zip": address.get("postal_code") or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
            "phone": address.get("phone") or False,
        }

    def _delivery_partner(self, partner, address, cache):
        values = self._address_values(address, cache)
        if not values["country_id"]:
            raise ValueError(_("Unknown country code %s", address.get("country_code")))
        values = dict(values, name=values["name"] or partner.name)
        domain = [("parent_id", "=", partner.id), ("type", "=", "delivery")]
        for key in DELIVERY_ADDRESS:
            domain.append((key, "=", values[key]))
        Partner = self.env["res.partner"].sudo()
        # archived ones too: the index allows one per buyer and address
        delivery = Partner.with_context(active_test=False).search(domain, limit=1)
        if not delivery:
            delivery = Partner.create(
                dict(
                    values,
                    parent_id=partner.id,
                    type="delivery",
                    # the buyer's: the index then keeps parallel imports to one contact
                    amazon_buyer_email=partner.amazon_buyer_email,
                )
            )
        return delivery.with_env(Partner.env)

    def _service_product(self, kind, cache):
        """The service product of an Amazon charge: the account's, else the company's
        product marked with that kind, else a new one (remembered on the account)."""
        field = f"amazon_{kind}_product_id"
        key = ("service", kind)
        if key in cache:
            return cache[key]
        product = self[field]
        if not product:
            Product = self.env["product.product"].sudo()
            product = Product.search(
                [
                    ("amazon_service_kind", "=", kind),
                    ("company_id", "in", (self.company_id.id, False)),
                ],
                limit=1,
            )
            if not product:
                product = Product.create(
                    {
                        "name": dict(SERVICE_KINDS)[kind],
                        "type": "service",
                        "amazon_service_kind": kind,
                        "invoice_policy": "order",
                        "sale_ok": True,
                        "purchase_ok": False,
                        "list_price": 0.0,
                        "taxes_id": [fields.Command.clear()],
                        "supplier_taxes_id": [fields.Command.clear()],
                    }
                )
            self.sudo()[field] = product
        cache[key] = product
        return product

    def _products_by_sku(self, skus, cache):
        """{seller SKU: product} through the account's listings, else the default code."""
        missing = [s for s in skus if ("sku", s) not in cache]
        if missing:
            listings = (
                self.env["amazon.listing"]
                .sudo()
                .with_context(active_test=False)
                .search([("account_id", "=", self.id), ("seller_sku", "in", missing)])
            )
            found = {lst.seller_sku: lst.product_id for lst in listings if lst.product_id}
            rest = [s for s in missing if s not in found]
            if rest:
                for product in self.env["product.product"].search(
                    [
                        ("default_code", "in", rest),
                        ("company_id", "in", (self.company_id.id, False)),
                    ]
                ):
                    found.setdefault(product.default_code, product)
            for sku in missing:
                cache[("sku", sku)] = found.get(sku)
        return {s: cache[("sku", s)] for s in skus}

    def _order_lines(self, order, cache):
        """(sale.order.line commands, unknown SKUs). No Odoo taxes: see the module doc."""
        plan = plan_lines(order)
        products = self._products_by_sku([line.sku for line in plan.items], cache)
        lines, unknown = [], set()
        no_tax = [fields.Command.clear()]
        for line in plan.items:
            product = products.get(line.sku)
            if not product:
                unknown.add(line.sku or _("(no SKU)"))
                name = _(
                    "Unknown SKU %(sku)s × %(qty)s: %(title)s (%(price)s)",
                    sku=line.sku,
                    qty=line.quantity,
                    title=line.title,
                    price=line.price,
                )
                values = {"display_type": "line_note", "name": name}
            else:
                values = {
                    "product_id": product.id,
                    "name": f"[{line.sku}] {line.title}" if line.title else line.sku,
                    "product_uom_qty": line.quantity,
                    "price_unit": float(line.unit),
                    "discount": 0.0,
                    "tax_id": no_tax,
                }
            values.update(amazon_order_item_id=line.order_item_id, amazon_line_kind="item")
            lines.append(fields.Command.create(values))
        labels = {
            "shipping": _("Amazon shipping"),
            "promotion": _("Amazon promotions"),
            "gift_wrap": _("Amazon gift wrap"),
            "tax": _("Amazon tax (as charged by Amazon)"),
        }
        marketplace = self._order_marketplace(order, cache)
        if "tax" in plan.services and marketplace.tax_collected_by_amazon:
            self._amazon_collected_tax_account()  # ready for the invoices of such orders
        for kind, amount in plan.services.items():
            name = labels[kind]
            if kind == "promotion" and plan.promotion_ids:
                name = _("%(label)s (%(ids)s)", label=name, ids=", ".join(plan.promotion_ids))
            lines.append(self._service_line(kind, name, amount, cache, no_tax))
        if plan.rounding:
            lines.append(
                self._service_line(
                    "adjustment", _("Rounding of Amazon unit prices"), plan.rounding, cache, no_tax
                )
            )
        return lines, unknown

    def _service_line(self, kind, name, amount, cache, no_tax):
        return fields.Command.create(
            {
                "product_id": self._service_product(kind, cache).id,
                "name": name,
                "product_uom_qty": 1,
                "price_unit": float(amount),
                "tax_id": no_tax,
                "amazon_line_kind": kind,
            }
        )

    # ============================================================== AFN deliveries

    def _afn_location(self):
        """The FBA location of this account, created under "Amazon FBA" when unset."""
        self.ensure_one()
        if self.afn_location_id:
            return self.afn_location_id
        Location = self.env["stock.location"].sudo()
        parent = Location.search(
            [
                ("name", "=", "Amazon FBA"),
                ("usage", "=", "view"),
                ("location_id", "=", False),
                ("company_id", "in", (self.company_id.id, False)),
            ],
            limit=1,
        )
        if not parent:
            parent = Location.create(
                {"name": "Amazon FBA", "usage": "view", "company_id": self.company_id.id}
            )
        location = Location.create(
            {
                "name": self.name,
                "usage": "internal",
                "location_id": parent.id,
                "company_id": self.company_id.id,
            }
        )
        self.sudo().afn_location_id = location
        return location
