"""The predecessor's storage config dicts and storage classes, every backend type: each dict
(the ``storage:`` block of ``pyworkflow.config.yaml``) names one store, with the documented
defaults, and converts to our storage URL and back; each class takes the documented
arguments. Only the store the test gives us is opened (the others need their servers)."""

import asyncio
import os
import tempfile

from pyworkflow import FileStorageBackend, RunStatus, configure, get_storage, start, workflow
from pyworkflow.storage import (
    CassandraStorageBackend,
    DynamoDBStorageBackend,
    MySQLStorageBackend,
    PostgresStorageBackend,
    SQLiteStorageBackend,
    config_to_storage,
    storage_to_config,
)
from pyworkflow.storage.config import config_to_url, url_to_config

# Test harness only: the store the test gives us, as a URL.
SEED = os.environ.pop("SEED_STORAGE_URL")
os.environ.pop("PYWORKFLOW_STORAGE_URL")

# dict -> (our URL, the dict read back from that URL): the documented defaults filled in
DICTS = [
    (
        {"type": "memory"},
        "memory://",
        {"type": "memory"},
    ),
    (
        {"type": "sqlite"},
        "sqlite:///pyworkflow_data/pyworkflow.db",
        {"type": "sqlite", "base_path": "pyworkflow_data/pyworkflow.db"},
    ),
    (
        {"type": "postgres"},
        "postgresql://pyworkflow@localhost:5432/pyworkflow",
        {
            "type": "postgres",
            "host": "localhost",
            "port": 5432,
            "user": "pyworkflow",
            "password": "",
            "database": "pyworkflow",
        },
    ),
    (
        {"type": "postgres", "dsn": "postgresql://app:s3cret@db:5433/orders"},
        "postgresql://app:***@db:5433/orders",
        {
            "type": "postgres",
            "host": "db",
            "port": 5433,
            "user": "app",
            "password": "s3cret",
            "database": "orders",
        },
    ),
    (
        {"type": "mysql", "host": "db", "user": "app", "password": "pw", "database": "wf"},
        "mysql://app:***@db:3306/wf",
        {
            "type": "mysql",
            "host": "db",
            "port": 3306,
            "user": "app",
            "password": "pw",
            "database": "wf",
        },
    ),
    (
        {"type": "dynamodb"},
        "dynamodb://pyworkflow?region=us-east-1",
        {"type": "dynamodb", "table_name": "pyworkflow", "region": "us-east-1"},
    ),
    (
        {
            "type": "dynamodb",
            "table_name": "runs",
            "region": "eu-west-1",
            "endpoint_url": "http://localhost:8000",
        },
        "dynamodb://runs?region=eu-west-1&endpoint_url=http%3A%2F%2Flocalhost%3A8000",
        {
            "type": "dynamodb",
            "table_name": "runs",
            "region": "eu-west-1",
            "endpoint_url": "http://localhost:8000",
        },
    ),
    (
        {"type": "cassandra"},
        "cassandra://localhost:9042/pyworkflow",
        {
            "type": "cassandra",
            "contact_points": ["localhost"],
            "port": 9042,
            "keyspace": "pyworkflow",
        },
    ),
    (
        {
            "type": "cassandra",
            "contact_points": ["c1", "c2"],
            "keyspace": "wf",
            "username": "app",
            "password": "pw",
            "read_consistency": "ONE",
            "write_consistency": "ONE",
            "replication_factor": 1,
            "datacenter": "dc1",
        },
        "cassandra://app:***@c1:9042,c2:9042/wf?consistency=ONE&local_dc=dc1&replication_factor=1",
        {
            "type": "cassandra",
            "contact_points": ["c1", "c2"],
            "port": 9042,
            "keyspace": "wf",
            "username": "app",
            "password": "pw",
            "read_consistency": "ONE",
            "write_consistency": "ONE",
            "replication_strategy": "NetworkTopologyStrategy",
            "datacenter": "dc1",
            "replication_factor": 1,
        },
    ),
]


@workflow()
async def ping() -> str:
    return "pong"


async def main() -> None:
    for config, url, back in DICTS:
        assert str(config_to_url(config)) == url, (config, str(config_to_url(config)))
        assert url_to_config(config_to_url(config)) == back, url_to_config(config_to_url(config))
        assert storage_to_config(config_to_storage(config)) == back, config
        assert "s3cret" not in repr(config_to_storage(config))  # a password is never shown

    # file: base_path (default ./workflow_data for a dict, ./pyworkflow_data for the class)
    home = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        assert config_to_url({}) == config_to_url(None) == config_to_url({"type": "file"})
        assert url_to_config(config_to_url({})) == {
            "type": "file",
            "base_path": os.path.join(os.getcwd(), "workflow_data"),
        }
        files = FileStorageBackend()
        assert storage_to_config(files) == {
            "type": "file",
            "base_path": os.path.join(os.getcwd(), "pyworkflow_data"),
        }
        assert storage_to_config(config_to_storage({"base_path": "runs"}))["type"] == "file"
        os.chdir(home)

    # the classes: the documented arguments and defaults, the same stores as the dicts
    assert storage_to_config(SQLiteStorageBackend()) == {
        "type": "sqlite",
        "base_path": "pyworkflow_data/pyworkflow.db",
    }
    assert storage_to_config(SQLiteStorageBackend(db_path="wf.db"))["base_path"] == "wf.db"
    pg = storage_to_config(PostgresStorageBackend(host="db", user="app", database="wf"))
    assert (pg["host"], pg["port"], pg["user"], pg["database"]) == ("db", 5432, "app", "wf")
    pg = storage_to_config(PostgresStorageBackend(dsn="postgresql://u:p@h:6000/d"))
    assert (pg["host"], pg["port"], pg["password"]) == ("h", 6000, "p")
    pooled = PostgresStorageBackend(min_pool_size=1, max_pool_size=4)
    assert storage_to_config(pooled)["max_pool_size"] == 4
    my = storage_to_config(MySQLStorageBackend(host="db", password="pw"))
    assert (my["type"], my["port"], my["user"], my["database"]) == (
        "mysql",
        3306,
        "pyworkflow",
        "pyworkflow",
    )
    dyn = storage_to_config(DynamoDBStorageBackend(table_name="runs", region="eu-west-1"))
    assert dyn == {"type": "dynamodb", "table_name": "runs", "region": "eu-west-1"}
    cass = storage_to_config(CassandraStorageBackend(contact_points=["c1"], keyspace="wf"))
    assert (cass["contact_points"], cass["port"], cass["keyspace"]) == (["c1"], 9042, "wf")
    assert cass["read_consistency"] == "LOCAL_QUORUM"
    assert cass["replication_factor"] == 3
    assert isinstance(CassandraStorageBackend(), CassandraStorageBackend)

    # an object that is none of our stores
    assert storage_to_config(object()) == {"type": "unknown"}

    # the store the test gives us, configured by its dict, runs a workflow
    storage = config_to_storage(url_to_config(SEED))
    await storage.connect()
    configure(storage=storage)
    run_id = await start(ping)
    run = await get_storage().get_run(run_id)
    assert run.status == RunStatus.COMPLETED, run
    await storage.disconnect()  # as the predecessor's SQL stores were closed
    print("config_dicts: ok")


if __name__ == "__main__":
    asyncio.run(main())
