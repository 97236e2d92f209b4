"""Feed submission lifecycle, listing, paging, counting and cancelling."""

import base64
import hashlib

import mws
import pytest
from conftest import envelope, product_msg
from lxml import etree

PRODUCT = "_POST_PRODUCT_DATA_"


def error_code(exc):
    return exc.response.status_code, etree.fromstring(exc.response.content).findtext(
        "{*}Error/{*}Code"
    )


def status_of(sandbox, creds, feed_id):
    resp = sandbox.feeds(creds).get_feed_submission_list(feedids=[feed_id])
    return resp.parsed["FeedSubmissionInfo"]


def test_lifecycle_and_result(sandbox, seller):
    feed_id = sandbox.submit(seller, envelope("Product", [product_msg("SKU-1")]), PRODUCT)
    client = sandbox.feeds(seller)
    info = status_of(sandbox, seller, feed_id)
    assert info["FeedProcessingStatus"] == "_SUBMITTED_" and "StartedProcessingDate" not in info
    with pytest.raises(mws.MWSError) as err:
        client.get_feed_submission_result(feed_id)
    assert error_code(err.value) == (400, "FeedProcessingResultNotReady")
    sandbox.advance(30)
    info = status_of(sandbox, seller, feed_id)
    assert info["FeedProcessingStatus"] == "_IN_PROGRESS_"
    assert "StartedProcessingDate" in info and "CompletedProcessingDate" not in info
    sandbox.advance(61)  # 91 s: one message needs 90 + 2
    assert status_of(sandbox, seller, feed_id)["FeedProcessingStatus"] == "_IN_PROGRESS_"
    sandbox.advance(1)
    info = status_of(sandbox, seller, feed_id)
    assert info["FeedProcessingStatus"] == "_DONE_" and "CompletedProcessingDate" in info
    result = client.get_feed_submission_result(feed_id)
    body = result.response.content
    assert (
        result.response.headers["Content-MD5"]
        == base64.b64encode(hashlib.md5(body).digest()).decode()
    )
    report = result.parsed["ProcessingReport"]
    assert report["DocumentTransactionID"] == feed_id
    assert report["StatusCode"] == "Complete"
    assert report["ProcessingSummary"]["MessagesSuccessful"] == "1"


def test_content_md5_checked(sandbox, seller):
    client = sandbox.feeds(seller)
    feed = envelope("Product", [product_msg("SKU-1")]).encode()
    data = {"Action": "SubmitFeed", "FeedType": PRODUCT}
    with pytest.raises(mws.MWSError) as err:
        client.make_request(
            data,
            method="POST",
            body=feed,
            extra_headers={"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="},
        )
    assert error_code(err.value) == (400, "ContentMD5DoesNotMatch")
    with pytest.raises(mws.MWSError) as err:
        client.make_request(data, method="POST", body=feed)
    assert error_code(err.value) == (400, "ContentMD5Missing")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"feed_type": "_POST_NOTHING_"}, "InvalidFeedType"),
        ({"feed_type": PRODUCT, "marketplaceids": ["A1PA6795UKMFR9"]}, "InvalidParameterValue"),
        ({"feed_type": PRODUCT, "purge": "maybe"}, "InvalidParameterValue"),
    ],
)
def test_submit_parameters_validated(sandbox, seller, kwargs, code):
    with pytest.raises(mws.MWSError) as err:
        sandbox.feeds(seller).submit_feed(b"<AmazonEnvelope/>", **kwargs)
    assert error_code(err.value) == (400, code)


def test_paging_filters_and_count(sandbox, seller):
    client = sandbox.feeds(seller)
    ids = [
        sandbox.submit(seller, envelope("Product", [product_msg(f"P{i}")]), PRODUCT)
        for i in range(5)
    ]
    inv = sandbox.submit(seller, envelope("Inventory", []), "_POST_INVENTORY_AVAILABILITY_DATA_")
    first = client.get_feed_submission_list(max_count=2, feedtypes=[PRODUCT]).parsed
    assert first["HasNext"] == "true" and first["NextToken"]
    seen = [i["FeedSubmissionId"] for i in first["FeedSubmissionInfo"]]
    token = first["NextToken"]
    while token:
        page = client.get_feed_submission_list(next_token=token).parsed
        infos = page["FeedSubmissionInfo"]
        infos = infos if isinstance(infos, list) else [infos]
        seen += [i["FeedSubmissionId"] for i in infos]
        token = page.get("NextToken")
        assert page["HasNext"] == ("true" if token else "false")
    assert seen == list(reversed(ids))  # newest first, every feed once
    assert client.get_feed_submission_count().parsed["Count"] == "6"
    assert client.get_feed_submission_count(feedtypes=[PRODUCT]).parsed["Count"] == "5"
    sandbox.advance(400)
    assert client.get_feed_submission_count(processingstatuses=["_DONE_"]).parsed["Count"] == "6"
    only = client.get_feed_submission_list(feedids=[inv, ids[0]]).parsed["FeedSubmissionInfo"]
    assert sorted(i["FeedSubmissionId"] for i in only) == sorted([inv, ids[0]])
    none = client.get_feed_submission_list(
        fromdate="2001-01-01T00:00:00Z", todate="2001-02-01T00:00:00Z"
    ).parsed
    assert "FeedSubmissionInfo" not in none and none["HasNext"] == "false"
    with pytest.raises(mws.MWSError) as err:
        client.get_feed_submission_list(max_count=101)
    assert error_code(err.value) == (400, "InvalidParameterValue")
    with pytest.raises(mws.MWSError) as err:
        client.get_feed_submission_list(next_token="bm90IGEgdG9rZW4=")
    assert error_code(err.value) == (400, "NextTokenCorrupted")


def test_cancel_only_submitted(sandbox, seller):
    client = sandbox.feeds(seller)
    old = sandbox.submit(seller, envelope("Product", [product_msg("C1")]), PRODUCT)
    sandbox.advance(31)  # old is _IN_PROGRESS_ now
    new = sandbox.submit(seller, envelope("Product", [product_msg("C2")]), PRODUCT)
    resp = client.cancel_feed_submissions(feedids=[old, new]).parsed
    assert resp["Count"] == "1"
    assert resp["FeedSubmissionInfo"]["FeedSubmissionId"] == new
    assert resp["FeedSubmissionInfo"]["FeedProcessingStatus"] == "_CANCELLED_"
    sandbox.advance(400)
    assert status_of(sandbox, seller, new)["FeedProcessingStatus"] == "_CANCELLED_"
    assert status_of(sandbox, seller, old)["FeedProcessingStatus"] == "_DONE_"
    with pytest.raises(mws.MWSError) as err:
        client.get_feed_submission_result(new)
    assert error_code(err.value) == (400, "FeedCanceled")
    with pytest.raises(mws.MWSError) as err:
        client.get_feed_submission_result("123")
    assert error_code(err.value) == (400, "InvalidFeedSubmissionId")
    # The catalog holds C1 only.
    skus = [r["sku"] for r in sandbox.admin("GET", f"/admin/sellers/{seller.seller_id}/catalog")]
    assert skus == ["C1"]


def test_feeds_are_private_to_their_seller(sandbox, seller):
    feed_id = sandbox.submit(seller, envelope("Product", [product_msg("X1")]), PRODUCT)
    other = sandbox.new_seller()
    with pytest.raises(mws.MWSError) as err:
        sandbox.feeds(other).get_feed_submission_result(feed_id)
    assert error_code(err.value) == (400, "InvalidFeedSubmissionId")
    assert sandbox.feeds(other).get_feed_submission_count().parsed["Count"] == "0"
