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
    # The faults area runs 50-100 workflow lives per workflow at once; moto's one request at a
    # time (and its claims, a query plus a conditional update each) would take ~2 minutes per
    # workflow. The retried-step workflow (~19 calls: start, a failed attempt, its retry
    # timer, the retry, a second step, the end) is faulted at every call with all three kinds;
    # the other five run on every other backend (the child workflow's 82 lives pass here too,
    # in ~2 minutes). Fewer lives at once, watched and polled less often, and longer
    # leases (moto's queue can delay a heartbeat past a 1 s lease) fit the server.
    fault_flows = ("retry",)
    fault_parallel = 32
    fault_poll = 0.5
    fault_idle = 0.2
    fault_lease = 3.0
