"""Serve a directory over HTTP on loopback, for web-download imports in tests, demo and benchmarks.

  serve_files.py start --dir DIR --state FILE   start a server in the background; prints {"url", "port", "pid"}
  serve_files.py stop --state FILE              stop the server that 'start' recorded in FILE
  serve_files.py run --dir DIR [--port N]       serve in the foreground
  --image-v1 IMAGES.json instead of --dir       serve Image API v1 from that image set (image_v1_server.py)

Standard library only. Missing files get 404; every request is logged to
<state>.log. /slow/<file> serves <file> at SLOW_RATE bytes a second, so a test
can catch an import while it runs. A request with one byte range (Range: bytes=A-B) gets 206
and only those bytes, so the log tells a peek at a file's first bytes (206) from a
download (200). A file <name>.redirect next to <name> makes
<name> answer 302 to the URL it holds; Last-Modified is the file's mtime (a test
"publishes a new build" by rewriting a file and its checksum file). Binds
127.0.0.1 only (the local cloud allows web-download from it).

Only the given directory is served: a path that leads out of it (a symbolic link)
gets 404, and 'start' refuses a directory that would hold its own state file and
log, or that holds this checkout (and so the local cloud's state, logs and keys).
"""

import argparse
import email.utils
import functools
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
SLOW_PREFIX = "/slow/"
SLOW_RATE = 2 * 1024 * 1024
SLOW_CHUNK = 256 * 1024
RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class FileHandler(http.server.SimpleHTTPRequestHandler):
    """Files of one directory; no directory listings; files sent with sendfile()."""

    slow = False
    range_left = None

    def list_directory(self, path):
        self.send_error(404, "No listing")
        return None

    def send_head(self):
        # <file>.redirect holds a URL: how a test makes <file> answer with a redirect there.
        redirect = self.translate_path(self.path) + ".redirect"
        if os.path.isfile(redirect) and is_inside(os.path.realpath(redirect), os.path.realpath(self.directory)):
            with open(redirect, encoding="utf-8") as handle:
                location = handle.read().strip()
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.range_left = None
        match = RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if match and os.path.isfile(path):
            return self.send_range(path, int(match.group(1)), match.group(2))
        return super().send_head()

    def send_range(self, path, start, end):
        """206 with bytes start..end of the file (one range; what a peek at the first bytes asks)."""
        handle = open(path, "rb")
        info = os.fstat(handle.fileno())
        last = min(int(end) if end else info.st_size - 1, info.st_size - 1)
        if start > last:
            handle.close()
            self.send_error(416, "Range Not Satisfiable")
            return None
        handle.seek(start)
        self.range_left = last - start + 1
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", "bytes %d-%d/%d" % (start, last, info.st_size))
        self.send_header("Content-Length", str(self.range_left))
        self.send_header("Last-Modified", email.utils.formatdate(info.st_mtime, usegmt=True))
        self.end_headers()
        return handle

    def translate_path(self, path):
        self.slow = path.startswith(SLOW_PREFIX)
        if self.slow:
            path = "/" + path[len(SLOW_PREFIX):]
        translated = super().translate_path(path)
        root = os.path.realpath(self.directory)
        if not is_inside(os.path.realpath(translated), root):
            # A symbolic link out of the directory: as if there were no such file.
            return os.path.join(root, ".no-such-file-outside-the-served-directory")
        return translated

    def copyfile(self, source, outputfile):
        if self.range_left is not None:
            outputfile.write(source.read(self.range_left))
            return
        if self.slow:
            while True:
                chunk = source.read(SLOW_CHUNK)
                if not chunk:
                    return
                outputfile.write(chunk)
                time.sleep(len(chunk) / SLOW_RATE)
        try:
            self.connection.sendfile(source)
        except (AttributeError, OSError, ValueError):
            super().copyfile(source, outputfile)

    def log_message(self, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), args[0] % args[1:]))
        sys.stderr.flush()


def is_inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def refuse_directory(directory, state):
    """Why ``directory`` may not be served with this state file (None when it may)."""
    root = os.path.realpath(directory)
    checkout = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if is_inside(checkout, root):
        return "%s holds the checkout %s (the local cloud's state and logs); serve a directory of its own" % (
            directory, checkout)
    for path in (state, Path(str(state) + ".log"), Path(str(state) + ".ready")):
        if is_inside(os.path.realpath(str(path)), root):
            return "the state file or log %s would be inside the served directory %s; keep it outside" % (
                path, directory)
    return None


def serve(directory, port, ready_file=None, handler=None):
    handler = handler or functools.partial(FileHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((HOST, port), handler)
    server.daemon_threads = True
    if ready_file:
        tmp = Path(str(ready_file) + ".tmp")
        tmp.write_text(json.dumps({"port": server.server_address[1], "pid": os.getpid()}))
        os.replace(tmp, ready_file)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        server.server_close()


def cmdline(pid):
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
    except OSError:
        return []


def is_our_server(pid, state):
    """Only a process started by this script for this state file is ever signalled."""
    args = [a.decode(errors="replace") for a in cmdline(pid)]
    return any(a.endswith("serve_files.py") for a in args) and "--ready-file" in args and str(state) in args


def start(directory, state, port=0, image_v1=None):
    state = Path(state).resolve()
    reason = refuse_directory(directory, state) if directory else None
    if reason:
        raise SystemExit("serve_files: %s." % reason)
    stop(state, quiet=True)
    ready = Path(str(state) + ".ready")
    ready.unlink(missing_ok=True)
    with open(str(state) + ".log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "run",
             *(["--image-v1", str(Path(image_v1).resolve())] if image_v1 else ["--dir", str(Path(directory).resolve())]),
             "--port", str(port), "--ready-file", str(ready), "--state", str(state)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("serve_files: the server did not start; see %s.log" % state)
        time.sleep(0.05)
    info = json.loads(ready.read_text())
    ready.unlink()
    info["url"] = "http://%s:%d" % (HOST, info["port"])
    with socket.create_connection((HOST, info["port"]), timeout=5):
        pass
    state.write_text(json.dumps(info) + "\n")
    return info


def stop(state, quiet=False):
    state = Path(state).resolve()
    try:
        info = json.loads(state.read_text())
    except (OSError, ValueError):
        if not quiet:
            print(json.dumps({"stopped": False}))
        return False
    pid = info.get("pid")
    stopped = False
    if pid and is_our_server(pid, state):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while is_our_server(pid, state) and time.monotonic() < deadline:
            time.sleep(0.05)
        if is_our_server(pid, state):
            os.kill(pid, signal.SIGKILL)
        stopped = True
    state.unlink(missing_ok=True)
    if not quiet:
        print(json.dumps({"stopped": stopped, "pid": pid}))
    return stopped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "run"])
    parser.add_argument("--dir", help="directory to serve")
    parser.add_argument("--state", help="state file (start/stop)")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--image-v1", help="serve Image API v1 from this JSON image set instead of a directory")
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command in ("start", "run") and not (args.dir or args.image_v1):
        parser.error("--dir (or --image-v1) is required")
    if args.command in ("start", "stop") and not args.state:
        parser.error("--state is required")
    if args.command == "start":
        print(json.dumps(start(args.dir, args.state, args.port, args.image_v1)))
    elif args.command == "stop":
        stop(args.state)
    elif args.image_v1:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import image_v1_server
        serve(None, args.port, args.ready_file, image_v1_server.handler_for(args.image_v1))
    else:
        serve(args.dir, args.port, args.ready_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
