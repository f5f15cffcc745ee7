"""The shared conformance suite against a DynamoDB-protocol server (moto, or any URL given)."""

from pyworkflow_conformance import BackendContract


class TestDynamoDBConformance(BackendContract):
    backend_name = "dynamodb"
    # The bundled moto server handles one request at a time (~200/s here), and 16 appenders
    # racing on one run cost ~30 requests per acknowledged event: the full 3 x 16 x 100 race
    # would take ~15 minutes of CI. One round of 16 x 25 exercises the same guard (hundreds of
    # lost races, every one of which must write nothing); the SQL, files and memory backends
    # run the full size.
    contention_rounds = 1
    contention_per_appender = 25
