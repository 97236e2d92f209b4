"""18.0.0.3.0: runtime state leaves the account: report cycles are records of their own
(``amazon.report.request``), and the order import's checkpoints, listing in progress and
volumes move to ``amazon.order.state`` (one per account).

The order report cycles in flight (JSON on the account, naming the MWS report type) and the
FBA report request (its id on the account) become open report requests, so that an upgrade
in the middle of a cycle neither loses the report nor asks Amazon for it twice (Odoo drops
those columns after this script). The moved order import fields stay fields of the account
(computed now), so Odoo keeps their old columns: they are emptied once copied, so that no
stale checkpoint is left to be read. Every part checks what it moves still exists: the
script is safe on a database of any earlier version.
"""

import json

from odoo.tools import SQL

LEGACY_REPORT_TYPES = {
    "_GET_FLAT_FILE_ORDERS_DATA_": "orders_new",
    "_GET_XML_ALL_ORDERS_DATA_BY_LAST_UPDATE_": "orders_updated",
}


def _columns(cr):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'amazon_account'"
    )
    return {row[0] for row in cr.fetchall()}


def _state(cr, column, lane):
    """Open requests from the JSON state of one lane."""
    name = SQL.identifier(column)
    cr.execute(
        SQL(
            """
        INSERT INTO amazon_report_request
               (account_id, company_id, lane, purpose, kind, window_start, window_end, state,
                sent, requested_at, poll_at, request_id, report_id, attempts, row_count,
                create_uid, create_date, write_uid, write_date)
        SELECT a.id, a.company_id, %s, coalesce(a.%s ->> 'purpose', %s),
               coalesce(%s::jsonb ->> (a.%s ->> 'report_type'), a.%s ->> 'report_type'),
               (a.%s ->> 'start')::timestamptz AT TIME ZONE 'UTC',
               (a.%s ->> 'end')::timestamptz AT TIME ZONE 'UTC',
               CASE WHEN a.%s ->> 'report_id' IS NOT NULL THEN 'ready'
                    WHEN a.%s ->> 'request_id' IS NOT NULL THEN 'requested'
                    ELSE 'new' END,
               coalesce((a.%s ->> 'sent')::boolean, false),
               (a.%s ->> 'requested_at')::timestamptz AT TIME ZONE 'UTC',
               (a.%s ->> 'poll_at')::timestamptz AT TIME ZONE 'UTC',
               a.%s ->> 'request_id', a.%s ->> 'report_id', 0, 0,
               1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
          FROM amazon_account a
         WHERE a.%s IS NOT NULL AND a.%s::text NOT IN ('null', '{}', 'false')
            """,
            lane,
            name,
            "updates" if lane == "updates" else "sync",
            json.dumps(LEGACY_REPORT_TYPES),
            *([name] * 13),
        )
    )
    cr.execute(SQL("UPDATE amazon_account SET %s = NULL", name))


ORDER_STATE_COLUMNS = {
    "order_auto_path": "auto_path",
    "order_checkpoint": "checkpoint",
    "order_report_checkpoint": "report_checkpoint",
    "order_update_checkpoint": "update_checkpoint",
    "order_listing_state": "listing_state",
    "order_download_from": "download_from",
    "order_download_to": "download_to",
    "order_last_found": "last_found",
    "order_last_listed": "last_listed",
    "order_last_summary": "last_summary",
}


def _order_state(cr, columns):
    moved = {old: new for old, new in ORDER_STATE_COLUMNS.items() if old in columns}
    if not moved:
        return
    cr.execute(
        SQL(
            "INSERT INTO amazon_order_state (account_id, company_id, %s, create_uid, "
            "create_date, write_uid, write_date) SELECT id, company_id, %s, 1, "
            "now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC' FROM amazon_account a "
            "WHERE NOT EXISTS (SELECT 1 FROM amazon_order_state s WHERE s.account_id = a.id)",
            SQL(", ").join(SQL.identifier(new) for new in moved.values()),
            SQL(", ").join(SQL.identifier(old) for old in moved),
        )
    )
    cr.execute(
        SQL(
            "UPDATE amazon_account SET %s",
            SQL(", ").join(SQL("%s = NULL", SQL.identifier(old)) for old in moved),
        )
    )


def migrate(cr, version):
    columns = _columns(cr)
    _order_state(cr, columns)
    for column, lane in (
        ("order_report_state", "orders"),
        ("order_update_report_state", "updates"),
    ):
        if column in columns:
            _state(cr, column, lane)
    if "fba_report_request_id" in columns:
        cr.execute(
            """
            INSERT INTO amazon_report_request
                   (account_id, company_id, lane, purpose, kind, state, sent, request_id,
                    requested_at, attempts, row_count, create_uid, create_date, write_uid,
                    write_date)
            SELECT id, company_id, 'fba', 'fba', 'fba_inventory', 'requested', true,
                   fba_report_request_id, now() AT TIME ZONE 'UTC', 0, 0,
                   1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
              FROM amazon_account
             WHERE fba_report_request_id IS NOT NULL
            """
        )
        cr.execute("UPDATE amazon_account SET fba_report_request_id = NULL")
