"""tools/fault_proxy.py: a client that dies in the middle of an upload is seen to close by the target.

Without the proxy, the kernel closes a killed client's connection and the server reading the body
sees the end at once (Glance then puts a cut staging back to queued). The proxy must pass that
close on, not leave the target waiting for the rest of the body until its I/O timeout.
"""

import os
import socket
import sys
import threading
import time

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools")
sys.path.insert(0, os.path.abspath(TOOLS))

import fault_proxy  # noqa: E402  pylint: disable=wrong-import-position


def target_server():
    """A server on loopback that reads one request body and records what it got and how it ended."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    seen = {}

    def serve():
        conn, dummy = listener.accept()
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, body = data.split(b"\r\n\r\n", 1)
        lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
        length = int(lengths[0])
        started = time.monotonic()
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                seen["ended"] = "eof"
                break
            body += chunk
        else:
            seen["ended"] = "complete"
        seen.update(received=len(body), waited=time.monotonic() - started)
        conn.close()
        listener.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread, seen


def test_a_client_closing_mid_body_is_passed_on_to_the_target():
    port, target, seen = target_server()
    ready = threading.Event()
    proxy_port = []

    def on_ready(number):
        proxy_port.append(number)
        ready.set()
    threading.Thread(target=fault_proxy.serve, args=("http://127.0.0.1:%d" % port, 0, 15, 5, on_ready),
                     daemon=True).start()
    assert ready.wait(5)
    client = socket.create_connection(("127.0.0.1", proxy_port[0]))
    client.sendall(b"PUT /v2/images/x/stage HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n" + b"d" * 4096)
    time.sleep(0.3)
    client.close()  # as the kernel does for a process killed with SIGKILL
    target.join(10)
    assert seen["ended"] == "eof"
    assert seen["received"] == 4096
    assert seen["waited"] < 5  # not the proxy's 120 s I/O timeout
