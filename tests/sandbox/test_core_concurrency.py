"""Concurrent requests are served safely (writes are serialised)."""

from concurrent.futures import ThreadPoolExecutor

from conftest import envelope, product_msg


def test_parallel_submissions_get_distinct_ids(sandbox, seller):
    def submit(n):
        return sandbox.submit(
            seller, envelope("Product", [product_msg(f"PAR-{n}")]), "_POST_PRODUCT_DATA_"
        )

    with ThreadPoolExecutor(max_workers=12) as pool:
        ids = list(pool.map(submit, range(12)))
    assert len(set(ids)) == 12
    sandbox.advance(400)
    skus = {r["sku"] for r in sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}/catalog")}
    assert skus == {f"PAR-{n}" for n in range(12)}
