"""A loopback HTTP proxy that injects faults, for the project's own fault tests.

  fault_proxy.py start --target URL --state FILE [--max-seconds N] [--max-requests N]
        start in the background; prints {"url", "port", "pid"} and records them in FILE
  fault_proxy.py stop --state FILE      stop the proxy that 'start' recorded in FILE
  fault_proxy.py run --target URL [--port N] [--max-seconds N] [--max-requests N]

Every request is forwarded to the target unless a rule matches it. Rules are set and read
through the proxy itself (never forwarded):

  PUT /__faults__   body: [{"method": "POST", "path": "^/v2/images$", "fault": "503", "times": 1}, ...]
  GET /__faults__   {"rules": [...what is left...], "log": [{"method", "path", "fault"}, ...]}

The first rule whose method and path (a regular expression, searched in the path without
the query) match, and whose ``times`` is not used up, applies to the request:

  503           answer 503 at once; the request never reaches the target
  lost_response forward the request (it takes effect), then answer 503 instead of the response
  reset         reset the connection (TCP RST) after reading the request head
  delay         wait ``seconds`` (default 3), then forward
  cut_response  forward, then send the response head and half of its body, and reset
  cut_request   forward the head and half of the request body (``after_bytes``), then reset both sides
  throttle      forward the request body at ``rate`` bytes a second (a slow upload)

Bounded: the proxy exits after ``--max-seconds`` (default 300) or ``--max-requests`` (default
5000) requests, whichever comes first. Binds 127.0.0.1 only. Standard library only. Each
request goes to the target on a connection of its own (``Connection: close`` both ways), so a
fault never touches another request.
"""

import argparse
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

HOST = "127.0.0.1"
CONTROL_PATH = "/__faults__"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
HEAD_LIMIT = 256 * 1024
IO_TIMEOUT = 120.0
FAULTS = ("503", "lost_response", "reset", "delay", "cut_response", "cut_request", "throttle")


class State:
    def __init__(self, max_requests):
        self.lock = threading.Lock()
        self.rules = []
        self.log = []
        self.requests = 0
        self.max_requests = max_requests
        self.done = threading.Event()

    def pick(self, method, path):
        with self.lock:
            self.requests += 1
            if self.requests >= self.max_requests:
                self.done.set()
            for rule in self.rules:
                if rule.get("times", 1) <= 0:
                    continue
                if rule.get("method", method).upper() != method:
                    continue
                if not re.search(rule.get("path", ""), path):
                    continue
                rule["times"] = rule.get("times", 1) - 1
                self.log.append({"method": method, "path": path, "fault": rule["fault"]})
                return dict(rule)
            self.log.append({"method": method, "path": path, "fault": None})
            return None


def read_head(sock):
    """Bytes up to and including the blank line, and what was read after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > HEAD_LIMIT:
            raise ValueError("head too long")
    head, rest = data.split(b"\r\n\r\n", 1)
    return head + b"\r\n\r\n", rest


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, dummy, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return first, headers


def build_head(first, headers):
    return ("\r\n".join([first] + ["%s: %s" % item for item in headers]) + "\r\n\r\n").encode("latin-1")


def header(headers, name):
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def closing(headers):
    return [(k, v) for k, v in headers if k.lower() not in ("connection", "keep-alive")] + [("Connection", "close")]


def reset(sock):
    """Close with a TCP RST (SO_LINGER 0), as a crashed peer or a middlebox would."""
    try:
        # Wakes a thread blocked reading this socket (else the close waits for it) and sends nothing.
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def finish(sock):
    """Close, waking the thread that may still read the request body from this socket."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def send_json(sock, status, reason, body):
    data = json.dumps(body).encode()
    head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (status, reason, len(data))).encode()
    sock.sendall(head + data)


def drain_body(sock, headers, already):
    """Read the rest of a request body of known length (so the client reads our answer, not a broken pipe)."""
    length = header(headers, "Content-Length")
    left = int(length) - len(already) if length and length.isdigit() else 0
    while left > 0:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return
        left -= len(chunk)


def pump(src, dst, limit=None, rate=None):
    """Copy src to dst until src closes (or limit bytes, at most rate bytes a second); returns bytes copied."""
    copied = 0
    started = time.monotonic()
    size = 65536 if rate is None else max(1024, min(65536, int(rate) // 10))
    while limit is None or copied < limit:
        try:
            chunk = src.recv(size if limit is None else min(size, limit - copied))
        except OSError:
            break
        if not chunk:
            break
        dst.sendall(chunk)
        copied += len(chunk)
        if rate:
            ahead = copied / float(rate) - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    return copied


def handle(client, target, state):
    client.settimeout(IO_TIMEOUT)
    upstream = None
    try:
        head, rest = read_head(client)
        if head is None:
            client.close()
            return
        first, headers = parse_head(head)
        method, dummy, remainder = first.partition(" ")
        target_path = remainder.rsplit(" ", 1)[0]
        path = urlsplit(target_path).path
        if path == CONTROL_PATH:
            return control(client, method, headers, rest, state)
        rule = state.pick(method.upper(), path)
        fault = rule["fault"] if rule else None
        if fault == "reset":
            reset(client)
            return
        if fault == "503":
            drain_body(client, headers, rest)
            send_json(client, 503, "Service Unavailable", {"message": "fault_proxy: injected 503", "code": 503})
            client.close()
            return
        if fault == "delay":
            time.sleep(float(rule.get("seconds", 3)))
        upstream = socket.create_connection(target, timeout=IO_TIMEOUT)
        fixed = [(k, v) for k, v in closing(headers) if k.lower() != "host"] + [("Host", "%s:%d" % target)]
        upstream.sendall(build_head(first, fixed))
        if fault == "cut_request":
            length = header(headers, "Content-Length")
            half = int(rule.get("after_bytes") or (int(length) // 2 if length and length.isdigit() else 65536))
            sent = rest[:half]
            upstream.sendall(sent)
            pump(client, upstream, half - len(sent))
            reset(upstream)
            reset(client)
            return
        if rest:
            upstream.sendall(rest)
        rate = float(rule["rate"]) if fault == "throttle" else None
        sender = threading.Thread(target=_forward_body, args=(client, upstream, rate), daemon=True)
        sender.start()
        response_head, response_rest = read_head(upstream)
        if response_head is None:
            reset(client)
            return
        status_line, response_headers = parse_head(response_head)
        if fault == "lost_response":
            pump(upstream, _Null())
            send_json(client, 503, "Service Unavailable",
                      {"message": "fault_proxy: the request was served, its answer replaced by 503", "code": 503})
            finish(client)
            return
        client.sendall(build_head(status_line, closing(response_headers)))
        if fault == "cut_response":
            length = header(response_headers, "Content-Length")
            half = int(length) // 2 if length and length.isdigit() else max(1, len(response_rest) // 2)
            client.sendall(response_rest[:half])
            if half > len(response_rest):
                pump(upstream, client, half - len(response_rest))
            reset(client)
            return
        if response_rest:
            client.sendall(response_rest)
        pump(upstream, client)
        finish(client)
    except (OSError, ValueError):
        reset(client)
    finally:
        if upstream is not None:
            upstream.close()


class _Null:
    def sendall(self, data):
        pass


def _forward_body(client, upstream, rate=None):
    """The rest of the request body (an upload) goes up while the response is awaited. When the
    client's connection ends (the client finished, or was killed mid-upload), the connection to the
    target ends too, as a killed client's would without the proxy in between."""
    try:
        pump(client, upstream, rate=rate)
        upstream.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def control(client, method, headers, rest, state):
    if method.upper() == "PUT":
        length = int(header(headers, "Content-Length") or 0)
        body = rest
        while len(body) < length:
            chunk = client.recv(length - len(body))
            if not chunk:
                break
            body += chunk
        rules = json.loads(body or b"[]")
        if not isinstance(rules, list) or any(r.get("fault") not in FAULTS for r in rules):
            send_json(client, 400, "Bad Request", {"message": "rules: a list of {fault: one of %s, ...}" % ", ".join(FAULTS)})
        else:
            with state.lock:
                state.rules = rules
                state.log = []
            send_json(client, 200, "OK", {"rules": rules})
    else:
        with state.lock:
            send_json(client, 200, "OK", {"rules": state.rules, "log": state.log, "requests": state.requests})
    client.close()


def serve(target_url, port, max_seconds, max_requests, ready=None):
    parts = urlsplit(target_url)
    target = (parts.hostname, parts.port or 80)
    state = State(max_requests)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(64)
    listener.settimeout(0.5)
    if ready:
        ready(listener.getsockname()[1])
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline and not state.done.is_set():
        try:
            client, dummy = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=handle, args=(client, target, state), daemon=True).start()
    listener.close()


def cmd_run(args):
    def ready(port):
        print(json.dumps({"url": "http://%s:%d" % (HOST, port), "port": port, "pid": os.getpid()}), flush=True)
    serve(args.target, args.port, args.max_seconds, args.max_requests, ready)
    return 0


def cmd_start(args):
    state = Path(args.state)
    state.parent.mkdir(parents=True, exist_ok=True)
    log = open(str(state) + ".log", "w")
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "run", "--target", args.target, "--port", str(args.port),
         "--max-seconds", str(args.max_seconds), "--max-requests", str(args.max_requests)],
        stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True, text=True)
    deadline = time.monotonic() + START_TIMEOUT
    line = ""
    while time.monotonic() < deadline and not line:
        line = proc.stdout.readline()
        if proc.poll() is not None:
            break
    if not line:
        proc.kill()
        sys.exit("fault_proxy: did not start; see %s.log" % state)
    state.write_text(line)
    print(line.strip())
    return 0


def cmd_stop(args):
    state = Path(args.state)
    try:
        pid = json.loads(state.read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    state.unlink()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "start"):
        p = sub.add_parser(name)
        p.add_argument("--target", required=True)
        p.add_argument("--port", type=int, default=0)
        p.add_argument("--max-seconds", type=float, default=300.0)
        p.add_argument("--max-requests", type=int, default=5000)
        if name == "start":
            p.add_argument("--state", required=True)
    stop = sub.add_parser("stop")
    stop.add_argument("--state", required=True)
    args = parser.parse_args(argv)
    return {"run": cmd_run, "start": cmd_start, "stop": cmd_stop}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
