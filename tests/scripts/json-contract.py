#!/usr/bin/env python3
# The --json contract of docs/tdxctl.1 (JSON OUTPUT), checked on one run:
# json-contract.py STATUS STDOUT_FILE STDERR_FILE
# Exactly one line of stdout holding one JSON object; "ok" is true exactly
# when the status is 0; a failure has "error": {"code", "message"} with code
# an errno name and message the "tdxctl: " line on stderr; a usage error
# (2) has code EINVAL. Prints what is wrong and exits 1, else exits 0.
import errno
import json
import sys

status = int(sys.argv[1])
out = open(sys.argv[2], encoding="utf-8").read()
err = open(sys.argv[3], encoding="utf-8").read()


def bad(why):
    print(f"contract: {why}\n  stdout: {out!r}\n  stderr: {err!r}")
    sys.exit(1)


if not out.endswith("\n") or out.count("\n") != 1:
    bad("stdout is not exactly one line")
try:
    o = json.loads(out)
except ValueError as e:
    bad(f"stdout is not JSON: {e}")
if not isinstance(o, dict):
    bad("stdout is not a JSON object")
if not isinstance(o.get("ok"), bool):
    bad('no boolean "ok"')
if o["ok"] != (status == 0):
    bad(f'"ok" is {o["ok"]} but the exit status is {status}')
if status == 0:
    if "error" in o:
        bad('a success has "error"')
    sys.exit(0)
e = o.get("error")
if not isinstance(e, dict) or sorted(e) != ["code", "message"]:
    bad('"error" is not {"code", "message"}')
# Any name of the errno (EOPNOTSUPP and ENOTSUP are one number).
if not (isinstance(e["code"], str) and e["code"].startswith("E") and
        isinstance(getattr(errno, e["code"], None), int)):
    bad(f'error.code {e["code"]!r} is not an errno name')
if status == 2 and e["code"] != "EINVAL":
    bad(f'a usage error has code {e["code"]}, not EINVAL')
if not isinstance(e["message"], str) or not e["message"]:
    bad("error.message is empty")
if "tdxctl: " + e["message"] not in err.splitlines():
    bad("error.message is not the line on stderr")
