{
    "name": "Integrator Base Tests",
    "summary": "Test-only site for integrator_base: shows how a site addon plugs in",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "Odoo Amazon Connector contributors",
    "website": "https://github.com/odoo-amazon-connector/odoo-amazon-connector",
    "depends": ["integrator_base"],
    "data": ["data/integration_site.xml"],
    "installable": True,
}
