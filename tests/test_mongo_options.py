"""MongoDB in production: replica-set defaults that the connection string can override, no password
in messages."""
from pymongo.uri_parser import parse_uri

from govwatch.store.mongo import mask_uri, production_options


def test_majority_writes_and_retries_by_default_and_the_uri_wins():
    opts = production_options(parse_uri("mongodb://m1:27017,m2:27017,m3:27017/govwatch?replicaSet=rs0")["options"])
    assert opts["w"] == "majority" and opts["retryWrites"] is True and opts["retryReads"] is True
    given = production_options(parse_uri("mongodb://m1:27017/govwatch?replicaSet=rs0&w=1&retryWrites=false")["options"])
    assert "w" not in given and "retryWrites" not in given  # what the administrator wrote is kept


def test_a_password_never_reaches_a_message():
    assert mask_uri("mongodb://gw:s3cret@m1:27017,m2:27017/govwatch?replicaSet=rs0") == \
        "mongodb://gw:***@m1:27017,m2:27017/govwatch?replicaSet=rs0"
    assert mask_uri("mongodb://m1:27017/govwatch") == "mongodb://m1:27017/govwatch"
