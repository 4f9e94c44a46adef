#!/usr/bin/python3
"""Creates a task through containerd's Tasks service with the runtime options
containerd's Go client builds for WithShimCgroup, for the tests that need
options ctr has no flag for.

  task_client.py SOCKET NAMESPACE CONTAINER_ID SHIM_CGROUP legacy|runc

legacy: containerd.linux.runc.CreateOptions (what the 1.x client builds for a
runtime whose name does not start with io.containerd.runc); runc:
containerd.runc.v1.Options (what the 2.x client builds for every runtime).
The container must exist already (ctr containers create --rootfs): the task
gets no rootfs mounts and no stdio.  Prints the task's pid.

The messages are written by hand from the field numbers of containerd's
api/services/tasks/v1/tasks.proto (CreateTaskRequest: container_id 1,
options 9; CreateTaskResponse: pid 2), runtime/linux/runctypes/runc.proto
(CreateOptions.shim_cgroup 9) and runtime/v2/runc/options/oci.proto
(Options.shim_cgroup 3); google.protobuf.Any is type_url 1, value 2.
"""
import os
import sys

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fidelity_compare import fields  # noqa: E402  (one protobuf field reader)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def pid_of(resp):
    pid = fields(resp).get(2, [0])[-1]  # CreateTaskResponse.pid
    return pid if isinstance(pid, int) else 0


def main():
    if len(sys.argv) != 6 or sys.argv[5] not in ("legacy", "runc"):
        sys.exit(__doc__)
    sock, ns, cid, cgroup, kind = sys.argv[1:]
    if kind == "legacy":
        options = field(1, "containerd.linux.runc.CreateOptions") + field(2, field(9, cgroup))
    else:
        options = field(1, "type.googleapis.com/containerd.runc.v1.Options") + field(2, field(3, cgroup))
    request = field(1, cid) + field(9, options)
    with grpc.insecure_channel("unix://" + sock) as ch:
        create = ch.unary_unary("/containerd.services.tasks.v1.Tasks/Create")
        try:
            resp = create(request, metadata=[("containerd-namespace", ns)], timeout=30)
        except grpc.RpcError as e:
            sys.exit("Tasks.Create: %s: %s" % (e.code(), e.details()))
    print(pid_of(resp))


if __name__ == "__main__":
    main()
