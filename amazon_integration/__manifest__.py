{
    "name": "Amazon Integration",
    "summary": "Sell on Amazon: catalog feeds, orders, shipments, refunds and settlements (MWS)",
    "version": "18.0.0.1.0",
    "category": "Sales/Integrations",
    "license": "LGPL-3",
    "author": "Odoo Amazon Connector contributors",
    "website": "https://github.com/odoo-amazon-connector/odoo-amazon-connector",
    "maintainers": [],
    "depends": ["integrator_base"],
    "external_dependencies": {"python": ["mws", "lxml", "requests"]},
    "data": [],
    "installable": True,
}
