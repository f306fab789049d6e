"""The notification S3 sends a Lambda function when an object is put (event message
structure 2.1), for the tests of the S3-event handler and of the event parser."""

from __future__ import annotations

import urllib.parse


def s3_put_event(
    bucket: str, key: str, size: int, etag: str = "d41d8cd98f00b204e9800998ecf8427e"
) -> dict:
    """One ``ObjectCreated:Put`` record for ``key`` in ``bucket``, the key form-encoded as
    S3 sends it (a space becomes '+', '=' becomes '%3D')."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-1",
                "eventTime": "2026-12-07T00:15:42.417Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {
                    "x-amz-request-id": "C3D13FE58DE4C810",
                    "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHv",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "watchkeeper-FileCheckFunctionFileLanded",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": urllib.parse.quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": "0055AED6DCD90281E5",
                    },
                },
            }
        ]
    }
