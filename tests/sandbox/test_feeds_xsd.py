"""With --xsd-dir, whole envelopes are validated against Amazon's XSDs."""

from conftest import envelope
from lxml import etree

VALID_INVENTORY = envelope(
    "Inventory",
    [
        "<OperationType>Update</OperationType><Inventory><SKU>NOT-LISTED</SKU>"
        "<Quantity>3</Quantity></Inventory>",
    ],
)


def results(report: bytes):
    doc = etree.fromstring(report)
    return doc, doc.findall("Message/ProcessingReport/Result")


def test_schema_invalid_feed_is_accepted_then_reported(xsd_sandbox):
    creds = xsd_sandbox.new_seller()
    bad = VALID_INVENTORY.replace("<Quantity>3</Quantity>", "<Quantity>three</Quantity>")
    report = xsd_sandbox.process(creds, bad, "_POST_INVENTORY_AVAILABILITY_DATA_")
    doc, found = results(report)
    assert len(found) == 1
    assert found[0].findtext("MessageID") == "0"
    assert found[0].findtext("ResultMessageCode") == "5001"
    text = found[0].findtext("ResultDescription")
    assert text.startswith("XML Parsing Error at Line 1, Column ") and "Quantity" in text
    assert doc.findtext("Message/ProcessingReport/ProcessingSummary/MessagesProcessed") == "0"


def test_schema_valid_feed_goes_to_messages(xsd_sandbox):
    creds = xsd_sandbox.new_seller()
    report = xsd_sandbox.process(creds, VALID_INVENTORY, "_POST_INVENTORY_AVAILABILITY_DATA_")
    _doc, found = results(report)
    assert [r.findtext("ResultMessageCode") for r in found] == ["13013"]  # schema passed


def test_element_out_of_order_is_invalid(xsd_sandbox):
    creds = xsd_sandbox.new_seller()
    bad = VALID_INVENTORY.replace(
        "<MessageType>Inventory</MessageType>",
        "<MessageType>Inventory</MessageType><PurgeAndReplace>false</PurgeAndReplace>",
    ).replace("<Header>", "<Junk/><Header>")
    _doc, found = results(xsd_sandbox.process(creds, bad, "_POST_INVENTORY_AVAILABILITY_DATA_"))
    assert found[0].findtext("ResultMessageCode") == "5001"
    assert "Junk" in found[0].findtext("ResultDescription")
