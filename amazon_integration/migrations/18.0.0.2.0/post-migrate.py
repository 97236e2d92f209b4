"""18.0.0.2.0: the order report cycles name their reports by the connector's kinds.

An order report request in flight when the database is upgraded keeps going: its saved state
named the MWS report type, it now names the kind (``lib/api.py``), which the API
implementation maps back to its report type.
"""

from odoo.tools import SQL

LEGACY_REPORT_TYPES = {
    "_GET_FLAT_FILE_ORDERS_DATA_": "orders_new",
    "_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_": "orders_updated",
}


def migrate(cr, version):
    for column in ("order_report_state", "order_update_report_state"):
        for legacy, kind in LEGACY_REPORT_TYPES.items():
            name = SQL.identifier(column)
            cr.execute(
                SQL(
                    "UPDATE amazon_account SET %s = jsonb_set(%s, '{report_type}', to_jsonb(%s))"
                    " WHERE %s ->> 'report_type' = %s",
                    name,
                    name,
                    kind,
                    name,
                    legacy,
                )
            )
