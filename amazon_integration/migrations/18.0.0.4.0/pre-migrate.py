"""18.0.0.4.0: a new account is on the Selling Partner API by default; an account of a
database from before the API choice existed talks MWS and must keep doing so.

Odoo would fill a new required column with the field's default (``spapi`` now) for every
existing account: the column is created here first, with ``mws``, so that Odoo finds it
filled. A database that already has the column keeps its values.
"""


def migrate(cr, version):
    cr.execute("ALTER TABLE amazon_account ADD COLUMN IF NOT EXISTS amazon_api varchar")
    cr.execute("UPDATE amazon_account SET amazon_api = 'mws' WHERE amazon_api IS NULL")
