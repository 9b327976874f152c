#!/usr/bin/env python3
"""Times `txlint server` as an editor sees it: from a change of a 2,000-line
route file to its published diagnostics, on a warm server.
Usage: bench/server.py [PATH-TO-TXLINT]   (default: target/release/txlint)
"""
import json
import subprocess
import sys
import time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(root / "target/release/txlint")
server = subprocess.Popen([binary, "server"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def send(message):
    body = json.dumps(message).encode()
    server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.stdin.flush()


def receive():
    length = None
    while True:
        line = server.stdout.readline().decode().strip()
        if not line:
            break
        if line.startswith("Content-Length:"):
            length = int(line.split(":")[1])
    return json.loads(server.stdout.read(length))


send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
      "params": {"processId": None, "rootUri": None, "capabilities": {}}})
receive()
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

# A long route module: the audit's buggy handler, repeated.
route = (root / "fixtures/ts/nextjs/app/api/characters/[id]/interests/route.ts").read_text()
text = route
while text.count("\n") < 2000:
    text += route.replace("export async function", "async function")
uri = "file:///txlint-bench/app/api/orders/route.ts"
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
    "uri": uri, "languageId": "typescript", "version": 1, "text": text}}})
receive()

times = []
for version in range(2, 22):
    started = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"text": text + f"\n// edit {version}\n"}]}})
    published = receive()
    times.append((time.perf_counter() - started) * 1000)
server.kill()
times.sort()
print(f"{text.count(chr(10))} lines, {len(published['params']['diagnostics'])} diagnostics: "
      f"change to diagnostics median {times[len(times) // 2]:.1f} ms, "
      f"max {times[-1]:.1f} ms (debounce of 20 ms included)")
