"""The shared conformance suite against a DynamoDB-protocol server (moto, or any URL given)."""

from pyworkflow_conformance import BackendContract


class TestDynamoDBConformance(BackendContract):
    backend_name = "dynamodb"
