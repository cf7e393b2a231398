"""Soak load for a running autovoiced: mixed requests at and past its concurrency limit, slow
clients beside them, and the daemon's RSS and open descriptors sampled as it goes. Clients honour Retry-After.

usage: soak.py --port PORT --pid PID --minutes N --clients C --out REPORT.json

Per minute: requests and errors by endpoint and status, p50/p95/p99 latency of the requests
that succeeded; every 5 s: RSS (kB) and open fds. The verdict (exit 1 when it fails): after a
three-minute warm-up (run the daemon with a small --cache-bytes so the cache is full by then),
RSS grows by less than 2 MB a minute (least squares), fds stay under a bound, and the computed
synthesis p95 of the last whole minute is within 1.5x of the second minute's; slow clients
were all cut by the daemon and no request saw a 5xx other than 503 (overload) or 504.
"""
import argparse
import http.client
import json
import math
import os
import random
import socket
import struct
import threading
import time

TEXTS = [
    "Hello there.",
    "The quick brown fox jumps over the lazy dog.",
    "Soak testing finds the leaks that a short run never shows, one minute at a time.",
]


def tone_wav(seconds, rate=16000, freq=220.0):
    n = int(seconds * rate)
    pcm = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n))
    head = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return head + b"data" + struct.pack("<I", len(pcm)) + pcm


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.minutes = {}

    def add(self, minute, endpoint, status, seconds):
        with self.lock:
            m = self.minutes.setdefault(minute, {"latency": {}, "counts": {}})
            key = f"{endpoint} {status}"
            m["counts"][key] = m["counts"].get(key, 0) + 1
            if status == 200:
                m["latency"].setdefault(endpoint, []).append(seconds)


def percentile(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def client(port, stop, stats, start, seed):
    rng = random.Random(seed)
    # A handful of uploads: conversions mostly miss the cache (each pitch shift is its own key).
    uploads = [tone_wav(rng.uniform(0.5, 1.5), freq=rng.uniform(150, 300)) for _ in range(4)]
    n = 0
    while not stop.is_set():
        n += 1
        kind = rng.choices(["synthesize", "stream", "convert", "health", "metrics"], [4, 2, 2, 1, 1])[0]
        if kind in ("synthesize", "stream"):
            # One request in five repeats a text (a cache hit); the others are new text.
            text = rng.choice(TEXTS) if rng.random() < 0.2 else f"Request {seed}-{n}. {rng.choice(TEXTS)}"
            body = json.dumps({"text": text, "speaker_id": rng.choice(["alto", "bass", "default"]),
                               "stream": kind == "stream"}).encode()
            method, path, ctype = "POST", "/synthesize", "application/json"
        elif kind == "convert":
            shift = rng.randint(-600, 600) / 100
            method, path, ctype, body = "POST", f"/convert?speaker_id=alto&pitch_shift={shift}", "audio/wav", rng.choice(uploads)
        else:
            method, path, ctype, body = "GET", f"/{kind}", None, None
        t0 = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            headers = {"Content-Type": ctype} if ctype else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            cache = resp.getheader("x-autovoice-cache")
            retry = resp.getheader("retry-after")
            conn.close()
        except Exception as e:  # a refused or reset connection is a finding, counted by kind
            status, cache, retry = type(e).__name__, None, None
        # Cached answers take a millisecond: their latency is reported apart from computed ones.
        endpoint = f"{kind} (cached)" if cache and cache.startswith("hit") else kind
        stats.add(int((time.monotonic() - start) // 60), endpoint, status, time.monotonic() - t0)
        if status == 503 and retry:
            # A well-behaved client waits as told; the load stays past capacity all the same.
            stop.wait(float(retry))


def slow_clients(port, stop, cut, held):
    """Every 45 s: 20 clients dribble headers and 5 never read; count how many the daemon cut
    (header and write timeouts 30 s by default: all of them before the next round)."""
    while not stop.is_set():
        socks = []
        for _ in range(20):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.sendall(b"GET /health HT")
                socks.append(s)
            except OSError:
                pass
        for _ in range(5):
            try:
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", port))
                s.setblocking(False)
                try:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: s\r\n\r\n" * 20000)
                except (BlockingIOError, OSError):
                    pass
                socks.append(s)
            except OSError:
                pass
        stop.wait(45)
        if stop.is_set():
            # The run ended before this round's limits could run out: not a verdict.
            for s in socks:
                s.close()
            break
        for s in socks:
            # A connection the daemon closed reads as EOF or reset; one it still holds blocks.
            s.setblocking(False)
            try:
                while True:
                    data = s.recv(65536)
                    if not data:
                        cut[0] += 1
                        break
            except BlockingIOError:
                held[0] += 1
            except OSError:
                cut[0] += 1
            s.close()


def sample(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def slope(points):
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def judge(minutes, samples, cut, held):
    """The verdict on a run's figures (also `--judge REPORT` on a saved report)."""
    warm = [(s["t"] / 60, s["rss_kb"] / 1024) for s in samples if s["t"] >= 180]
    growth = slope(warm)
    # The last minute is cut short by the end of the run; the first is warm-up.
    whole = minutes[1:-1] if len(minutes) > 2 else minutes
    p95 = [r["latency"].get("synthesize", {}).get("p95") for r in whole if r["latency"].get("synthesize")]
    drift = (p95[-1] / p95[0]) if len(p95) >= 2 and p95[0] else None
    # Keys are "endpoint [(cached)] status".
    bad = sorted({k for r in minutes for k in r["counts"] if k.rsplit(" ", 1)[1] not in ("200", "503", "504")})
    verdict = {
        "rss_growth_mb_per_min_after_warmup": round(growth, 3),
        "rss_mb_first_last": [round(samples[0]["rss_kb"] / 1024, 1), round(samples[-1]["rss_kb"] / 1024, 1)],
        "fds_max": max(s["fds"] for s in samples),
        "synthesize_p95_last_over_first": round(drift, 3) if drift else None,
        "slow_clients_cut": cut,
        "slow_clients_still_held_after_45s": held,
        "unexpected_outcomes": bad,
    }
    verdict["pass"] = (growth < 2.0 and verdict["fds_max"] < 200 and (drift is None or drift < 1.5)
                       and held == 0 and not bad)
    return verdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--judge", help="judge a saved report again instead of running")
    ap.add_argument("--port", type=int)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.judge:
        r = json.load(open(a.judge))
        v = judge(r["minutes"], r["samples"], r["verdict"]["slow_clients_cut"],
                  r["verdict"]["slow_clients_still_held_after_45s"])
        print(json.dumps(v, indent=1))
        return 0 if v["pass"] else 1
    stats, stop, start = Stats(), threading.Event(), time.monotonic()
    cut, held = [0], [0]
    threads = [threading.Thread(target=client, args=(a.port, stop, stats, start, i)) for i in range(a.clients)]
    threads.append(threading.Thread(target=slow_clients, args=(a.port, stop, cut, held)))
    for t in threads:
        t.start()
    samples = []
    while time.monotonic() - start < a.minutes * 60:
        rss, fds = sample(a.pid)
        samples.append({"t": round(time.monotonic() - start, 1), "rss_kb": rss, "fds": fds})
        time.sleep(5)
    stop.set()
    for t in threads:
        t.join()
    minutes = []
    for m in sorted(stats.minutes):
        row = {"minute": m + 1, "counts": stats.minutes[m]["counts"], "latency": {}}
        for ep, v in stats.minutes[m]["latency"].items():
            row["latency"][ep] = {q: round(percentile(v, p) * 1000) for q, p in (("p50", .5), ("p95", .95), ("p99", .99))}
        minutes.append(row)
    verdict = judge(minutes, samples, cut[0], held[0])
    with open(a.out, "w") as f:
        json.dump({"minutes": minutes, "samples": samples, "verdict": verdict}, f, indent=1)
    print(json.dumps(verdict, indent=1))
    return 0 if verdict["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
