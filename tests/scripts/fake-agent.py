#!/usr/bin/env python3
# A stand-in for tdx-agent that answers with whatever it is told to, for
# tests of how tdxctl treats hostile or broken replies.
# fake-agent.py SOCKET REPLIES.json: serves the unix socket SOCKET; each
# request {"op", "id"} gets REPLIES[op] (a JSON object) with "id" and
# "ok": true added unless REPLIES[op] sets them. Prints "ready" once
# listening; runs until killed.
import json
import os
import socket
import struct
import sys

path, replies = sys.argv[1], json.load(open(sys.argv[2]))


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
print("ready", flush=True)
while True:
    conn, _ = srv.accept()
    with conn:
        while True:
            header = read_exact(conn, 4)
            if header is None:
                break
            request = json.loads(read_exact(conn, struct.unpack(">I", header)[0]))
            reply = dict(replies.get(request["op"], {"ok": False, "error": {
                "code": "unknown_op", "message": "no such op"}}))
            reply.setdefault("id", request["id"])
            reply.setdefault("ok", True)
            payload = json.dumps(reply).encode()
            conn.sendall(struct.pack(">I", len(payload)) + payload)
