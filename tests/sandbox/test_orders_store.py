"""api_orders' storage and clock hook, in process (no HTTP): what the order feeds call."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from amazon_sandbox import api_orders
from amazon_sandbox.catalog import CATALOG_SCHEMA
from amazon_sandbox.registry import Config, Seller
from amazon_sandbox.store import Store

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
SELLER = Seller("A2STORE", "AK", "SK", ["ATVPDKIKX0DER", "A1PA6795UKMFR9"])


@pytest.fixture
def state(tmp_path):
    store = Store(tmp_path)
    store.ensure_schema(CATALOG_SCHEMA)
    api_orders.ensure_schema(store)
    yield SimpleNamespace(store=store, config=Config(data_dir=tmp_path, seed=1))
    store.close()


def test_save_load_roundtrip_and_admin_list(state):
    with state.store.tx() as db:
        orders = api_orders.create_orders(state, db, SELLER, 12, seed=3, now=NOW)
        loaded = [api_orders.load_order(db, "A2STORE", o["amazon_order_id"]) for o in orders]
        listed = api_orders.list_orders_admin(db, "A2STORE")
        assert api_orders.load_order(db, "A2OTHER", orders[0]["amazon_order_id"]) is None
    assert loaded == orders  # datetimes come back as aware datetimes
    assert isinstance(loaded[0]["shipping_address"], dict)
    assert loaded[0]["purchase_date"].tzinfo is not None
    assert [o["amazon_order_id"] for o in listed] == [o["amazon_order_id"] for o in orders]


def test_same_seed_twice_gives_new_orders(state, tmp_path_factory):
    with state.store.tx() as db:
        first = api_orders.create_orders(state, db, SELLER, 5, seed=9, now=NOW)
        second = api_orders.create_orders(state, db, SELLER, 5, seed=9, now=NOW)
        assert len(api_orders.list_orders_admin(db, "A2STORE")) == 10
    assert {o["amazon_order_id"] for o in first}.isdisjoint(o["amazon_order_id"] for o in second)
    # Another store, same seed: the same first batch.
    other = Store(tmp_path_factory.mktemp("other"))
    other.ensure_schema(CATALOG_SCHEMA)
    api_orders.ensure_schema(other)
    with other.tx() as db:
        again = api_orders.create_orders(
            SimpleNamespace(store=other, config=state.config), db, SELLER, 5, seed=9, now=NOW
        )
    other.close()
    assert again == first


def test_tick_moves_orders_and_core_changes_stop_plans(state):
    with state.store.tx() as db:
        orders = api_orders.create_orders(state, db, SELLER, 20, seed=4, now=NOW)
        api_orders.advance_orders(state, db, NOW + timedelta(minutes=5))
        early = api_orders.list_orders_admin(db, "A2STORE")
        assert {o["status"] for o in early} <= {"Pending", "Canceled"}
        # A fulfillment feed ships one order before the hold ends.
        shipped = dict(early[0], status="Shipped", last_update_date=NOW + timedelta(minutes=6))
        api_orders.save_order(db, shipped)
        api_orders.advance_orders(state, db, NOW + timedelta(minutes=45))
        later = {o["amazon_order_id"]: o for o in api_orders.list_orders_admin(db, "A2STORE")}
        planned = db.execute(
            "SELECT COUNT(*) FROM orders WHERE next_event_at IS NOT NULL"
        ).fetchone()[0]
    assert later[shipped["amazon_order_id"]]["status"] == "Shipped"
    assert later[shipped["amazon_order_id"]]["payments_date"] is None
    others = [o for o in later.values() if o["amazon_order_id"] != shipped["amazon_order_id"]]
    assert {o["status"] for o in others} <= {"Unshipped", "Canceled"}
    paid = [o for o in others if o["payments_date"]]
    assert paid and all(
        o["last_update_date"] == o["payments_date"] for o in paid if o["status"] == "Unshipped"
    )
    # Still planned: AFN shipments by Amazon and buyers who cancel while Unshipped.
    afn_or_cancel = [
        o
        for o in others
        if o["status"] == "Unshipped"
        and (o["fulfillment_channel"] == "AFN" or o["planned_cancel_date"])
    ]
    assert planned == len(afn_or_cancel)
    assert len(orders) == 20


def test_parameter_helpers():
    params = {
        "MarketplaceId.Id.2": "B",
        "MarketplaceId.Id.1": "A",
        "MarketplaceId.Id.x": "Z",
        "MarketplaceId.Id.10": "C",
        "Other": "O",
    }
    assert api_orders.enumerated(params, "MarketplaceId.Id") == ["A", "B", "C"]
    assert api_orders.date_param({"D": "2024-05-01T12:00:00Z"}, "D") == NOW
    assert api_orders.date_param({}, "D") is None
    with pytest.raises(api_orders.ApiError):
        api_orders.date_param({"D": "yesterday"}, "D")
