"""The sandbox's answers have the element paths of Amazon's documented samples, both parsed
by python-amazon-mws."""

import re

import mws
import pytest
from mws.future_utils.xml import remove_xml_namespaces
from mws.utils import XML2Dict


def paths(xml: bytes) -> set[str]:
    """Element paths as python-amazon-mws sees them (namespaces removed)."""
    text = xml.decode().strip()
    text = re.sub(r"xmlns=\"[^\"]*\"", "", text)  # the samples' broken namespaces
    tree = XML2Dict().fromstring(remove_xml_namespaces(text.encode()))
    found = set()

    def walk(node, prefix):
        items = node if isinstance(node, list) else [node]
        for item in items:
            for key, child in dict.items(item):
                if key in ("value", "namespace"):
                    continue
                path = f"{prefix}/{key}"
                found.add(path)
                walk(child, path)

    walk(tree, "")
    return found


def sample(samples_dir, name) -> set[str]:
    return paths((samples_dir / name).read_bytes())


def error_body(fn, *a, **kw) -> bytes:
    with pytest.raises(mws.MWSError) as info:
        fn(*a, **kw)
    return info.value.response.content


def test_submit_feed_shape(sandbox, seller, amazon_samples_dir):
    resp = sandbox.feeds(seller).submit_feed(b"<AmazonEnvelope/>", "_POST_PRODUCT_DATA_")
    assert paths(resp.response.content) == sample(amazon_samples_dir, "SubmitFeedResponse.xml")


def test_get_feed_submission_list_shape(sandbox, seller, amazon_samples_dir):
    client = sandbox.feeds(seller)
    for _ in range(2):
        client.submit_feed(b"<AmazonEnvelope/>", "_POST_PRODUCT_DATA_")
    resp = client.get_feed_submission_list(max_count=1)
    assert paths(resp.response.content) == sample(
        amazon_samples_dir, "GetFeedSubmissionListResponse.xml"
    )


def test_error_response_shape(sandbox, seller, amazon_samples_dir):
    seller.access_key = "AKIANOBODY"
    body = error_body(sandbox.feeds(seller).get_feed_submission_count)
    assert paths(body) == sample(amazon_samples_dir, "ErrorResponse.xml")


def test_throttled_and_quota_shapes(sandbox, seller, amazon_samples_dir):
    client = sandbox.feeds(seller)
    for _ in range(10):
        client.get_feed_submission_list()
    body = error_body(client.get_feed_submission_list)
    assert b"RequestThrottled" in body
    assert paths(body) == sample(amazon_samples_dir, "RequestThrottled.xml")
    for _ in range(70):
        sandbox.advance(45)
        client.get_feed_submission_list()
    sandbox.advance(45)
    body = error_body(client.get_feed_submission_list)
    assert b"QuotaExceeded" in body
    assert paths(body) == sample(amazon_samples_dir, "QuotaExceeded.xml")
