#!/usr/bin/env python3
"""Hostile and probing HTTP clients for scripts/bench-hostile.sh. Loopback only, bounded in time.

  slowloris PORT N SECONDS [INTERVAL]  N connections, each sending a request head one header line
                                       every INTERVAL seconds (1) and never finishing it; a cut
                                       connection is reopened. Prints JSON: cuts, 408s, reconnects.
  probe PORT SECONDS INTERVAL PATH     one GET at a time on a fresh connection every INTERVAL
                                       seconds; prints JSON: count, failures, p50/p99/max in ms.
  halfopen PORT N HOLD                 N connections with a half-sent request, held HOLD seconds,
                                       then closed; prints JSON: opened, failed, cut while held.
"""
import asyncio, json, socket, sys, time

HOST = "127.0.0.1"


async def slowloris(port, n, seconds, interval):
    stop = time.monotonic() + seconds
    stats = {"connections": n, "cuts": 0, "timeouts_408": 0, "refused_503": 0, "connect_failures": 0, "lines_sent": 0}

    async def one(index):
        await asyncio.sleep(index * 0.002)  # spread the opening over a few seconds, as attackers do
        while time.monotonic() < stop:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
            except (OSError, asyncio.TimeoutError):
                stats["connect_failures"] += 1
                await asyncio.sleep(0.5)
                continue
            try:
                writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                line = 0
                while time.monotonic() < stop:
                    try:
                        data = await asyncio.wait_for(reader.read(4096), interval)
                    except asyncio.TimeoutError:
                        line += 1
                        writer.write(b"X-Slow-%d: 1\r\n" % line)
                        await writer.drain()
                        stats["lines_sent"] += 1
                        continue
                    if data.startswith(b"HTTP/1.1 408"):
                        stats["timeouts_408"] += 1
                    elif data.startswith(b"HTTP/1.1 503"):
                        stats["refused_503"] += 1
                    if not data:
                        stats["cuts"] += 1
                        break
            except OSError:
                stats["cuts"] += 1
            finally:
                writer.close()
            await asyncio.sleep(0.1)

    await asyncio.gather(*(one(i) for i in range(n)))
    return stats


def probe(port, seconds, interval, path):
    latencies, failures = [], 0
    stop = time.monotonic() + seconds
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < stop:
        start = time.monotonic()
        try:
            with socket.create_connection((HOST, port), timeout=10) as s:
                s.sendall(request)
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            if not data.startswith(b"HTTP/1.1 200"):
                failures += 1
            else:
                latencies.append((time.monotonic() - start) * 1000)
        except OSError:
            failures += 1
        time.sleep(max(0, interval - (time.monotonic() - start)))
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else None
    return {"count": len(latencies) + failures, "failures": failures, "p50_ms": pick(0.50), "p99_ms": pick(0.99),
            "max_ms": round(latencies[-1], 2) if latencies else None}


async def halfopen(port, n, hold):
    stats = {"opened": 0, "failed": 0, "cut_while_held": 0}
    writers = []
    semaphore = asyncio.Semaphore(500)

    async def open_one():
        async with semaphore:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 10)
                writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
                await writer.drain()
                stats["opened"] += 1
                writers.append((reader, writer))
            except (OSError, asyncio.TimeoutError):
                stats["failed"] += 1

    await asyncio.gather(*(open_one() for _ in range(n)))
    await asyncio.sleep(hold)
    for reader, writer in writers:
        if reader.at_eof() or writer.is_closing():
            stats["cut_while_held"] += 1
        else:
            # A closed peer shows only when read: a byte or EOF waiting means the server acted.
            try:
                await asyncio.wait_for(reader.read(1), 0.001)
                stats["cut_while_held"] += 1
            except asyncio.TimeoutError:
                pass
            except OSError:
                stats["cut_while_held"] += 1
        writer.close()
    return stats


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "slowloris":
        interval = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
        result = asyncio.run(slowloris(port, int(sys.argv[3]), float(sys.argv[4]), interval))
    elif mode == "probe":
        result = probe(port, float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    elif mode == "halfopen":
        result = asyncio.run(halfopen(port, int(sys.argv[3]), float(sys.argv[4])))
    else:
        sys.exit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
