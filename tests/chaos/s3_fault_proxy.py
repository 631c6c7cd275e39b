#!/usr/bin/env python3
"""A fault-injecting TCP proxy between Sluice (and its clients' presigned part PUTs) and an S3
peer, for tools/chaos scenario 4. The fault is read from --control (one word, re-read every
100 ms), and applies to connections already open as well as new ones:

  none      forward both ways untouched
  reset     every open connection is reset (RST) at once; new ones are reset after a random
            0-256 KiB of their request has been forwarded (a reset mid-part)
  slowdown  new connections get "503 SlowDown" (S3's throttling answer) and are closed
  stall     nothing moves for 5 s from the moment the stall began (then as none)
  slow      a 100 KB/s link: each direction of each connection is paced to 100 KB/s

On exit (SIGTERM) prints one JSON object counting what was done.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import struct
import time

SLOWDOWN = (b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\n"
            b"Content-Length: 143\r\n\r\n"
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
            b"<Message>Please reduce your request rate.</Message></Error>\n         ")

state = {"mode": "none", "since": 0.0}
stats = {"connections": 0, "resets": 0, "slowdowns": 0, "stalled_chunks": 0, "paced_bytes": 0, "modes": []}
live = set()  # (client writer, upstream writer) of open connections


def rst(writer):
    """Closes with a TCP reset (SO_LINGER 0), as a dying peer or middlebox would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.close()


async def pump(reader, writer, budget):
    """Copies one direction; `budget` (a one-item list) is the bytes left before a reset, or None."""
    while True:
        data = await reader.read(65536)
        if not data:
            break
        mode = state["mode"]
        if mode == "stall":
            wait = state["since"] + 5.0 - time.monotonic()
            if wait > 0:
                stats["stalled_chunks"] += 1
                await asyncio.sleep(wait)
        if budget is not None and budget[0] is not None:
            if len(data) >= budget[0]:
                writer.write(data[:budget[0]])
                raise ConnectionResetError("reset mid-request by the fault proxy")
            budget[0] -= len(data)
        if state["mode"] == "slow":
            # 100 KB/s: send in 10 KB slices, 0.1 s apart.
            for i in range(0, len(data), 10000):
                writer.write(data[i:i + 10000])
                await writer.drain()
                stats["paced_bytes"] += min(10000, len(data) - i)
                await asyncio.sleep(0.1)
            continue
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()


async def handle(client_r, client_w, upstream_host, upstream_port):
    stats["connections"] += 1
    mode = state["mode"]
    if mode == "slowdown":
        stats["slowdowns"] += 1
        try:
            await asyncio.wait_for(client_r.readuntil(b"\r\n\r\n"), 5)
            client_w.write(SLOWDOWN)
            await client_w.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
            pass
        client_w.close()
        return
    try:
        up_r, up_w = await asyncio.open_connection(upstream_host, upstream_port)
    except OSError:
        rst(client_w)
        return
    pair = (client_w, up_w)
    live.add(pair)
    budget = [random.randint(0, 256 * 1024) if mode == "reset" else None]
    try:
        await asyncio.gather(pump(client_r, up_w, budget), pump(up_r, client_w, None))
    except (OSError, asyncio.IncompleteReadError):
        stats["resets"] += 1 if budget[0] is not None else 0
        rst(client_w)
        rst(up_w)
    finally:
        live.discard(pair)
        client_w.close()
        up_w.close()


async def watch(control):
    last = None
    while True:
        try:
            with open(control) as f:
                mode = f.read().strip() or "none"
        except OSError:
            mode = "none"
        if mode != last:
            state["mode"], state["since"] = mode, time.monotonic()
            stats["modes"].append(mode)
            if mode == "reset":
                for c, u in list(live):
                    stats["resets"] += 1
                    rst(c)
                    rst(u)
            last = mode
        await asyncio.sleep(0.1)


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen-port", type=int, required=True)
    p.add_argument("--upstream", required=True, help="host:port of the S3 peer")
    p.add_argument("--control", required=True, help="file holding the fault: none|reset|slowdown|stall|slow")
    a = p.parse_args()
    host, port = a.upstream.rsplit(":", 1)
    server = await asyncio.start_server(lambda r, w: handle(r, w, host, int(port)), "127.0.0.1", a.listen_port,
                                        limit=1 << 20)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    watcher = asyncio.create_task(watch(a.control))
    async with server:
        await done.wait()
    watcher.cancel()
    print(json.dumps(stats), flush=True)
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
