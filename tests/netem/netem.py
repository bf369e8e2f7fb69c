#!/usr/bin/python3
"""An emulated network path between two network namespaces, for the
congestion control tests and benchmarks (the kernel here has no netem).

Two namespaces, A and B, each get a TUN device; this process reads the IP
packets each side sends and delivers them to the other after a bottleneck:

    A --tun--> [drop-tail queue] -> [link at the current rate] -> [delay,
    jitter, loss] --tun--> B        (and the same, configured apart, B -> A)

Everything is in user space and deterministic for a given seed: the queue
(limited in ms of the current capacity, like RFC 8867's ~300 ms), the
serialisation at the link rate (which follows a schedule), the one-way
delay, uniform jitter (order kept) and random loss.

    netem.py run CONFIG.json     prints "READY" once the namespaces are up,
                                 then one JSON line of statistics every
                                 200 ms (per direction: capacity, offered,
                                 delivered and its UDP part, dropped and
                                 lost bytes; queuing
                                 delay p50/max of the packets that left);
                                 stops on SIGINT/SIGTERM or stdin EOF and
                                 removes the namespaces.
    netem.py tcp-sink PORT       (inside a namespace) accept TCP, discard
    netem.py tcp-source HOST PORT SECONDS   send TCP as fast as it goes

CONFIG: {"name": "cc1", "seed": 1,
         "a": "10.81.0.1", "b": "10.81.0.2",
         "ab": {"schedule": [[0, 1000000], [40, 2500000]], "delay_ms": 50,
                "jitter_ms": 0, "loss": 0.0, "queue_ms": 300,
                "cuts": [[10, 15]]},
         "ba": {...}}
The schedule is [seconds since start, bits/s]; the clock starts at READY.
"cuts" are [from, to] seconds during which the link is down: every packet
offered then is lost (what is already in the queue or on the wire arrives).
Namespaces are "<name>a" and "<name>b": run programs in them with
"ip netns exec <name>a ...".
"""
import fcntl
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import deque

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
SAMPLE_S = 0.2


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class Direction:
    """One way of the path: queue, link, delay line."""

    def __init__(self, cfg, rng, out_fd):
        self.schedule = sorted(cfg.get("schedule", [[0, 10_000_000]]))
        self.delay = cfg.get("delay_ms", 0) / 1000.0
        self.jitter = cfg.get("jitter_ms", 0) / 1000.0
        self.loss = cfg.get("loss", 0.0)
        self.queue_s = cfg.get("queue_ms", 300) / 1000.0
        self.cuts = cfg.get("cuts", [])
        self.rng = rng
        self.out_fd = out_fd
        self.queue = deque()  # (enqueue time, packet)
        self.queued_bytes = 0
        self.link_free = 0.0  # when the link finishes the packet on it
        self.delay_line = []  # heap of (deliver time, order, packet)
        self.order = 0
        self.last_deliver = 0.0
        self.reset_stats()

    def reset_stats(self):
        self.offered = self.delivered = self.dropped = self.lost = 0
        self.udp_delivered = 0  # the media (RTP over UDP) part of delivered
        self.qdelays = []

    def rate(self, t):
        r = self.schedule[0][1]
        for start, bps in self.schedule:
            if t >= start:
                r = bps
        return max(r, 1000)

    def enqueue(self, now, t, pkt):
        self.offered += len(pkt)
        if any(start <= t < end for start, end in self.cuts):
            self.lost += len(pkt)  # the link is down
            return
        limit = self.rate(t) * self.queue_s / 8
        if self.queue and self.queued_bytes + len(pkt) > limit:
            self.dropped += len(pkt)  # drop-tail
            return
        self.queue.append((now, pkt))
        self.queued_bytes += len(pkt)

    def service(self, now, t0):
        """Moves packets whose serialisation is done into the delay line."""
        while self.queue:
            start = max(self.link_free, self.queue[0][0])
            if start > now:
                break
            enq, pkt = self.queue.popleft()
            self.queued_bytes -= len(pkt)
            self.link_free = start + len(pkt) * 8 / self.rate(start - t0)
            self.qdelays.append(start - enq)
            if self.loss and self.rng.random() < self.loss:
                self.lost += len(pkt)
                continue
            t = self.link_free + self.delay
            if self.jitter:
                t += self.rng.uniform(0, self.jitter)
            t = max(t, self.last_deliver)  # a path keeps order
            self.last_deliver = t
            self.order += 1
            heapq.heappush(self.delay_line, (t, self.order, pkt))

    def deliver(self, now):
        while self.delay_line and self.delay_line[0][0] <= now:
            _, _, pkt = heapq.heappop(self.delay_line)
            self.delivered += len(pkt)
            if len(pkt) > 9 and pkt[9] == 17:  # IPv4 protocol: UDP
                self.udp_delivered += len(pkt)
            try:
                os.write(self.out_fd, pkt)
            except BlockingIOError:
                pass

    def next_event(self):
        times = []
        if self.queue:
            times.append(max(self.link_free, self.queue[0][0]))
        if self.delay_line:
            times.append(self.delay_line[0][0])
        return min(times) if times else None

    def sample(self, t):
        q = sorted(self.qdelays)
        out = {"capacity": self.rate(t), "offered": self.offered * 8 / SAMPLE_S,
               "delivered": self.delivered * 8 / SAMPLE_S,
               "udp_delivered": self.udp_delivered * 8 / SAMPLE_S, "dropped": self.dropped,
               "lost": self.lost, "queue_bytes": self.queued_bytes,
               "qdelay_p50": q[len(q) // 2] * 1000 if q else None,
               "qdelay_max": q[-1] * 1000 if q else None, "packets": len(q)}
        self.reset_stats()
        return out


def run(cfg):
    name = cfg["name"]
    ns_a, ns_b = name + "a", name + "b"
    tun_a, tun_b = name + "ta", name + "tb"
    a, b = cfg.get("a", "10.81.0.1"), cfg.get("b", "10.81.0.2")
    fd_a, fd_b = open_tun(tun_a), open_tun(tun_b)
    for ns, tun, me, peer in ((ns_a, tun_a, a, b), (ns_b, tun_b, b, a)):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", tun, "netns", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "addr", "add", me + "/32", "peer", peer + "/32", "dev", tun)
        sh("ip", "-n", ns, "link", "set", tun, "mtu", "1500", "up")
        sh("ip", "-n", ns, "route", "add", "default", "dev", tun)

    def cleanup(*_):
        for ns in (ns_a, ns_b):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        os._exit(0)

    signal.signal(signal.SIGINT, cleanup)
    signal.signal(signal.SIGTERM, cleanup)
    seed = cfg.get("seed", 1)
    ab = Direction(cfg.get("ab", {}), random.Random(seed), fd_b)
    ba = Direction(cfg.get("ba", {}), random.Random(seed + 1), fd_a)
    print("READY", flush=True)
    t0 = time.monotonic()
    next_sample = t0 + SAMPLE_S
    fds = [fd_a, fd_b, sys.stdin.fileno()]
    while True:
        now = time.monotonic()
        waits = [next_sample - now]
        for d in (ab, ba):
            e = d.next_event()
            if e is not None:
                waits.append(e - now)
        timeout = max(0.0, min(waits))
        ready, _, _ = select.select(fds, [], [], timeout)
        now = time.monotonic()
        for fd, d in ((fd_a, ab), (fd_b, ba)):
            if fd in ready:
                while True:
                    try:
                        pkt = os.read(fd, 65535)
                    except BlockingIOError:
                        break
                    d.enqueue(now, now - t0, pkt)
        if sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 4096):
            cleanup()
        for d in (ab, ba):
            d.service(now, t0)
            d.deliver(now)
        if now >= next_sample:
            t = round(next_sample - t0, 3)
            print(json.dumps({"t": t, "ab": ab.sample(t), "ba": ba.sample(t)}), flush=True)
            next_sample += SAMPLE_S


def tcp_sink(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(4)
    print("LISTENING", flush=True)
    while True:
        conn, _ = srv.accept()
        while conn.recv(65536):
            pass
        conn.close()


def tcp_source(host, port, seconds):
    s = socket.create_connection((host, port))
    block = b"x" * 65536
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s.sendall(block)
    s.close()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "run":
        with open(sys.argv[2]) as f:
            run(json.load(f))
    elif len(sys.argv) == 3 and sys.argv[1] == "tcp-sink":
        tcp_sink(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "tcp-source":
        tcp_source(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
