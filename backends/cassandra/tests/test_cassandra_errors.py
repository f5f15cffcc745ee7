"""Driver exception -> pyworkflow error, for each driver class (real exception objects)."""

from __future__ import annotations

import pytest
from cassandra import (
    AlreadyExists,
    AuthenticationFailed,
    ConsistencyLevel,
    InvalidRequest,
    OperationTimedOut,
    ReadFailure,
    ReadTimeout,
    Unauthorized,
    Unavailable,
    WriteFailure,
    WriteTimeout,
    WriteType,
)
from cassandra.cluster import NoHostAvailable
from cassandra.connection import ConnectionShutdown
from cassandra.protocol import OverloadedErrorMessage, ServerError, SyntaxException
from pyworkflow.errors import ConfigurationError, SchemaError, StorageError, StorageUnavailable
from pyworkflow_cassandra import CassandraBackend
from pyworkflow_cassandra.errors import is_cas_timeout, translate, unknown_outcome

PASSWORD = "s3cr3t-pw"

CASES = [
    (
        Unavailable(
            "not enough replicas",
            consistency=ConsistencyLevel.QUORUM,
            required_replicas=2,
            alive_replicas=1,
        ),
        StorageUnavailable,
    ),
    (
        ReadTimeout(
            "read timed out",
            consistency=6,
            required_responses=2,
            received_responses=1,
            data_retrieved=False,
        ),
        StorageUnavailable,
    ),
    (WriteTimeout("write timed out", write_type=WriteType.SIMPLE), StorageUnavailable),
    (WriteTimeout("batchlog", write_type=WriteType.BATCH_LOG), StorageUnavailable),
    (OperationTimedOut(errors={"10.0.0.1": "timeout"}, last_host="10.0.0.1"), StorageUnavailable),
    (
        NoHostAvailable(
            f"Unable to connect to any servers (pw {PASSWORD})",
            {"10.0.0.1:9042": ConnectionRefusedError(111, "refused")},
        ),
        StorageUnavailable,
    ),
    (ConnectionShutdown("connection closed"), StorageUnavailable),
    (
        ReadFailure(
            "replica failed", consistency=6, required_responses=2, received_responses=1, failures=1
        ),
        StorageUnavailable,
    ),
    (WriteFailure("replica failed", write_type=WriteType.SIMPLE), StorageUnavailable),
    (OverloadedErrorMessage(0x1001, "overloaded", None), StorageUnavailable),
    (ServerError(0x0000, "internal", None), StorageUnavailable),
    (InvalidRequest("unconfigured table events"), SchemaError),
    (InvalidRequest("Batch too large"), StorageError),
    (SyntaxException(0x2000, "line 1:7 no viable alternative", None), SchemaError),
    (AlreadyExists(keyspace="ks", table="events"), SchemaError),
    (Unauthorized("no SELECT permission"), ConfigurationError),
    (AuthenticationFailed(f"bad credentials for user u / {PASSWORD}"), ConfigurationError),
    # Issue 14: refused credentials at connect were reported as transient StorageUnavailable.
    (
        NoHostAvailable(
            "Unable to connect to any servers",
            {"10.0.0.1:9042": AuthenticationFailed(f"bad credentials (pw {PASSWORD})")},
        ),
        ConfigurationError,
    ),
]


@pytest.mark.parametrize(("exc", "expected"), CASES, ids=lambda c: type(c).__name__)
async def test_each_driver_error_maps_to_one_type_keeps_cause_and_redacts(
    exc: Exception, expected: type[Exception]
) -> None:
    backend = CassandraBackend(f"cassandra://user:{PASSWORD}@127.0.0.1/ks")

    async def boom() -> None:
        raise exc

    with pytest.raises(StorageError) as info:
        await backend._call(boom())
    assert type(info.value) is expected
    assert info.value.__cause__ is exc
    assert PASSWORD not in str(info.value)


def test_cas_write_timeout_is_an_unknown_outcome() -> None:
    cas = WriteTimeout("paxos", write_type=WriteType.CAS)
    assert is_cas_timeout(cas)
    assert unknown_outcome(cas)
    assert unknown_outcome(OperationTimedOut())
    assert unknown_outcome(WriteTimeout("commit", write_type=WriteType.SIMPLE))
    assert not is_cas_timeout(WriteTimeout("commit", write_type=WriteType.SIMPLE))
    assert not unknown_outcome(Unavailable("x"))
    assert not unknown_outcome(ReadTimeout("x"))
    err = translate(cas, lambda s: s)
    assert isinstance(err, StorageUnavailable)
    assert "outcome unknown" in str(err)


def test_password_from_the_environment_is_redacted_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWORKFLOW_CASSANDRA_USERNAME", "envuser")
    monkeypatch.setenv("PYWORKFLOW_CASSANDRA_PASSWORD", "env-pw-123")
    backend = CassandraBackend("cassandra://127.0.0.1/ks")
    assert backend._username == "envuser"
    err = backend._translate_error(NoHostAvailable("auth env-pw-123 failed", {}))
    assert "env-pw-123" not in str(err)
    assert "***" in str(err)
    assert "env-pw-123" not in repr(backend)
