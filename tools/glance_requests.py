"""Count the requests a Glance of the local cloud served between two marks, from its own request log.

  glance_requests.py --log LOG mark               prints a mark: where the log ends now
  glance_requests.py --log LOG count --since MARK prints {"GET": n, ..., "writes": n, "requests": [...]}

Tests use it to cross-check a module's own api_requests counter ("no write") against what the
server saw. The log is the uwsgi log of the Glance (tools/local_cloud: <state>/logs/<glance>.log),
whose request lines read
  [pid: 14746|app: 0|req: 2/2] 127.0.0.1 () {34 vars in 584 bytes} [Tue Dec  1 07:12:47 2026]
  GET /v2/images => generated 69 bytes in 500 msecs (HTTP/1.1 200) 3 headers in 137 bytes (...)
uwsgi writes a line when the request is answered, so the requests of a finished task are in the
log when the task returns. Standard library only.
"""

import argparse
import json
import os
import re
import sys

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
REQUEST_LINE = re.compile(
    r"^\[pid: \d+\|app: -?\d+\|req: \d+/\d+\] \S+ \(.*?\) \{.*?\} \[[^\]]+\] "
    r"(?P<method>[A-Z]+) (?P<uri>\S+) => generated \d+ bytes in \d+ msecs \(HTTP/[\d.]+ (?P<status>\d{3})\)")


def mark(log):
    """'<inode>:<size>': the end of the log now. The inode notices a log rotated by a restart."""
    info = os.stat(log)
    return "%d:%d" % (info.st_ino, info.st_size)


def requests_since(log, since):
    """(method, uri, status) of every request line written after the mark."""
    inode, offset = (int(part) for part in since.split(":"))
    with open(log, "rb") as handle:
        if os.fstat(handle.fileno()).st_ino != inode:
            raise SystemExit("glance_requests: %s is another file than at the mark (the cloud restarted?); "
                             "cannot count" % log)
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    found = []
    for line in text.splitlines():
        match = REQUEST_LINE.match(line)
        if match:
            found.append((match.group("method"), match.group("uri"), int(match.group("status"))))
    return found


def count(log, since):
    found = requests_since(log, since)
    counts = dict((method, 0) for method in ("GET", "HEAD") + WRITE_METHODS)
    for method, dummy_uri, dummy_status in found:
        counts[method] = counts.get(method, 0) + 1
    counts["writes"] = sum(counts[method] for method in WRITE_METHODS)
    counts["requests"] = ["%s %s %d" % item for item in found if item[0] in WRITE_METHODS]
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True, help="the Glance's uwsgi log")
    parser.add_argument("command", choices=["mark", "count"])
    parser.add_argument("--since", help="a mark printed by 'mark' (count)")
    args = parser.parse_args(argv)
    if args.command == "mark":
        print(mark(args.log))
    else:
        if not args.since:
            parser.error("count needs --since MARK")
        print(json.dumps(count(args.log, args.since), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
