#!/usr/bin/env python3
"""Hostile clients for tools/chaos scenario 6, run alongside honest load: connections that never
send a byte, slowloris heads and bodies (a byte a second), and uploads reset mid-body (RST via
SO_LINGER 0). Prints one JSON object: what was attempted and how the server treated it.
"""
import argparse
import asyncio
import json
import resource
import socket
import struct
import time


async def idle(port, stats):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        stats["idle_refused"] += 1
        return
    stats["idle_open"] += 1
    try:
        await r.read(1)  # the server's header timeout closes it (or 503 + close when over the cap)
        stats["idle_closed_by_server"] += 1
    except OSError:
        stats["idle_closed_by_server"] += 1
    w.close()


async def slowloris(port, token, deadline, body, stats):
    """A byte a second: of the head, or (body) of an authorised upload's body after its head."""
    head = (f"PUT /v1/files/content?path=/slow&name=s{id(stats)}-{time.monotonic_ns()}&onConflict=rename HTTP/1.1\r\n"
            f"Host: x\r\nContent-Length: 100000\r\nAuthorization: Bearer {token}\r\n\r\n").encode()
    data = head + (b"z" * 100000 if body else b"")
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        stats["slow_refused"] += 1
        return
    i = 0
    if body:
        w.write(head)
        i = len(head)
    try:
        while time.monotonic() < deadline and i < len(data):
            w.write(data[i:i + 1])
            await w.drain()
            i += 1
            try:
                got = await asyncio.wait_for(r.read(256), timeout=1.0)
                if got or r.at_eof():
                    stats["slow_answered"] += 1
                    break
            except asyncio.TimeoutError:
                pass
    except OSError:
        stats["slow_closed_by_server"] += 1
    w.close()


async def reset_mid_body(port, deadline, stats):
    while time.monotonic() < deadline:
        try:
            s = socket.socket()
            s.setblocking(False)
            await asyncio.get_running_loop().sock_connect(s, ("127.0.0.1", port))
            head = (b"PUT /v1/files/content?path=/x&name=reset HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: 1000000\r\nAuthorization: Bearer x\r\n\r\n")
            await asyncio.get_running_loop().sock_sendall(s, head + b"r" * 50000)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            stats["resets"] += 1
        except OSError:
            stats["reset_refused"] += 1
        await asyncio.sleep(0.05)


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", default="x", help="a user's JWT for the slow bodies")
    p.add_argument("--idle", type=int, default=1000)
    p.add_argument("--slowloris", type=int, default=100)
    p.add_argument("--resets", type=int, default=10, help="concurrent reset loops")
    p.add_argument("--seconds", type=float, default=10)
    a = p.parse_args()
    # Thousands of idle connections need as many descriptors as the hard limit allows.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stats = dict(idle_open=0, idle_refused=0, idle_closed_by_server=0, slow_refused=0, slow_answered=0,
                 slow_closed_by_server=0, resets=0, reset_refused=0)
    deadline = time.monotonic() + a.seconds
    tasks = [asyncio.create_task(idle(a.port, stats)) for _ in range(a.idle)]
    tasks += [asyncio.create_task(slowloris(a.port, a.token, deadline, i % 2 == 1, stats)) for i in range(a.slowloris)]
    tasks += [asyncio.create_task(reset_mid_body(a.port, deadline, stats)) for _ in range(a.resets)]
    await asyncio.wait(tasks, timeout=a.seconds + 5)
    for t in tasks:
        t.cancel()
    print(json.dumps(stats))


if __name__ == "__main__":
    asyncio.run(main())
