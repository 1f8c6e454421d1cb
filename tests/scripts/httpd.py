#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test HTTP server for the fetch tests. Serves ROOT on 127.0.0.1 at an
ephemeral port and prints the port on the first line of stdout.

Besides plain files it misbehaves on request:
  /stall/NAME      sends the headers and half of NAME, then nothing
  /truncate/NAME   announces 100 bytes more than NAME has, sends NAME, closes
  /redirect/NAME   302 to /NAME
  /loop            302 to /loop, forever
  /slow/NAME       sends NAME in 64 KiB pieces, 20 ms apart

Usage: httpd.py ROOT [LOGFILE]   (LOGFILE gets one line per request path)
"""
import http.server
import os
import sys
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if LOG:
            with open(LOG, "a") as f:
                f.write(self.path + "\n")

    def file_bytes(self, name):
        path = os.path.join(ROOT, name)
        with open(path, "rb") as f:
            return f.read()

    def head(self, code, length, extra=()):
        self.send_response(code)
        self.send_header("Content-Length", str(length))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()

    def do_GET(self):
        parts = self.path.split("/", 2)
        kind = parts[1] if len(parts) > 1 else ""
        name = parts[2] if len(parts) > 2 else ""
        try:
            if kind == "loop":
                self.head(302, 0, [("Location", "/loop")])
            elif kind == "redirect":
                self.head(302, 0, [("Location", "/" + name)])
            elif kind == "stall":
                data = self.file_bytes(name)
                self.head(200, len(data))
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                time.sleep(3600)
            elif kind == "truncate":
                data = self.file_bytes(name)
                self.head(200, len(data) + 100)
                self.wfile.write(data)
                self.wfile.flush()
                self.close_connection = True
            elif kind == "slow":
                data = self.file_bytes(name)
                self.head(200, len(data))
                for i in range(0, len(data), 65536):
                    self.wfile.write(data[i : i + 65536])
                    self.wfile.flush()
                    time.sleep(0.02)
            else:
                super().do_GET()
        except FileNotFoundError:
            self.send_error(404)
        except (BrokenPipeError, ConnectionResetError):
            pass


ROOT = os.path.abspath(sys.argv[1])
LOG = sys.argv[2] if len(sys.argv) > 2 else None


def handler(*args, **kwargs):
    return Handler(*args, directory=ROOT, **kwargs)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
