"""pyworkflow-dynamodb: Amazon DynamoDB storage for pyworkflow (aioboto3).

``dynamodb://TABLE?region=...&endpoint_url=...``; see the package README for the table design.
"""

from .backend import DynamoDBBackend

__all__ = ["DynamoDBBackend"]
