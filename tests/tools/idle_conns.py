#!/usr/bin/env python3
"""idle_conns.py - idle TCP connections for bench/idle.sh and
tests/netns/test_takeover_many.sh.

  idle_conns.py serve PORT
      listens on [::]:PORT (SO_REUSEPORT: several servers may share the
      port, each taking a share of the connections), accepts every
      connection and holds it (a connection the peer closes is closed);
      prints "ready".
      Whatever a connection sends is echoed back.
  idle_conns.py hold ADDR PORT N SRC[,SRC...] [RATE]
      opens N connections to [ADDR]:PORT, from the source addresses in turn
      (IP_BIND_ADDRESS_NO_PORT: the kernel picks the port at connect time,
      so the holders do not use up the namespace's ephemeral ports for
      other programs), at most 1000 connecting at once and, with RATE, at
      most RATE attempts a second (so that building a large level does not
      itself starve the stacks on a small machine), an attempt that
      fails tried again twice; prints "held M failed F retried R" when
      every attempt is over, then holds them (no data) until stdin closes.  A line
      "ping T" on stdin sends one byte on every held connection and waits (at
      most T seconds) until every connection has had all its bytes echoed;
      prints "echoed E of M closed C" (E: connections with every byte back;
      C: connections the peer closed or reset, since the start: lost for
      certain, where M - E - C are only late).

Both raise their descriptor limit as far as they may (the hard limit; a
process without CAP_SYS_RESOURCE cannot go beyond it: 20,000 on the machine
this was written on, so callers run one holder per 15,000 connections and
several servers per system).
"""
import errno
import os
import resource
import select
import socket
import sys
import time

IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h; socket has no name for it before Python 3.12


def raise_nofile():
    want = int(open("/proc/sys/fs/nr_open").read())
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(port):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    ls.bind(("::", port))
    ls.listen(65535)
    ls.setblocking(False)
    ep = select.epoll()
    ep.register(ls.fileno(), select.EPOLLIN)
    held = {}
    print("ready", flush=True)
    while True:
        for fd, ev in ep.poll():
            if fd == ls.fileno():
                while True:
                    try:
                        c, _ = ls.accept()
                    except BlockingIOError:
                        break
                    except OSError as e:
                        if e.errno in (errno.EMFILE, errno.ENFILE):
                            break
                        raise
                    c.setblocking(False)
                    held[c.fileno()] = c
                    ep.register(c.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
            else:
                c = held.get(fd)
                if not c:
                    continue
                try:
                    data = c.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    try:
                        c.send(data)
                    except OSError:
                        pass
                else:
                    del held[fd]
                    ep.unregister(fd)
                    c.close()


def hold(addr, port, n, srcs, rate=0.0, tries=3):
    ep = select.epoll()
    pending, held, again = {}, [], []
    started = failed = retried = attempts = 0
    t0 = time.monotonic()
    while started < n or pending or again:
        wait = 1.0
        while (started < n or again) and len(pending) < 1000:
            if rate > 0:
                due = t0 + attempts / rate
                now = time.monotonic()
                if now < due:
                    wait = min(wait, due - now)
                    break
            attempts += 1
            if again:
                i, t = again.pop()
            else:
                i, t = started, 1
                started += 1
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.setblocking(False)
            # The port is chosen at connect() for the whole 4-tuple: bind()
            # would take one of the namespace's ports for this socket alone
            # and leave every other connect() of the namespace (wrk's, in
            # bench/idle.sh) searching a nearly full port range.
            s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            s.bind((srcs[i % len(srcs)], 0))
            try:
                s.connect((addr, port))
            except BlockingIOError:
                pass
            pending[s.fileno()] = (s, i, t)
            ep.register(s.fileno(), select.EPOLLOUT)
        for fd, ev in ep.poll(wait):
            s, i, t = pending.pop(fd, (None, 0, 0))
            if not s:
                continue
            ep.unregister(fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                held.append(s)
            elif t < tries:
                # A handshake that timed out on a busy machine: the
                # connections under test are the established ones.
                again.append((i, t + 1))
                retried += 1
                s.close()
            else:
                failed += 1
                s.close()
    print("held %d failed %d retried %d" % (len(held), failed, retried), flush=True)
    sent = 0
    got = {s.fileno(): 0 for s in held}
    byfd = {s.fileno(): s for s in held}
    for line in sys.stdin:
        w = line.split()
        if len(w) != 2 or w[0] != "ping":
            continue
        sent += 1
        for s in held:
            try:
                s.send(b"x")
            except OSError:
                pass
        ep2 = select.epoll()
        for s in held:
            if got[s.fileno()] < sent:
                ep2.register(s.fileno(), select.EPOLLIN)
        left = sum(1 for s in held if got[s.fileno()] < sent)
        deadline = time.monotonic() + float(w[1])
        while left and time.monotonic() < deadline:
            for fd, ev in ep2.poll(0.5):
                try:
                    data = byfd[fd].recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    ep2.unregister(fd)
                    left -= 1
                    got[fd] = -1 << 30
                    continue
                got[fd] += len(data)
                if got[fd] >= sent:
                    ep2.unregister(fd)
                    left -= 1
        ep2.close()
        print("echoed %d of %d closed %d" % (sum(1 for s in held if got[s.fileno()] >= sent),
                                             len(held), sum(1 for s in held if got[s.fileno()] < 0)),
              flush=True)


def main():
    raise_nofile()
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) in (6, 7) and sys.argv[1] == "hold":
        hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split(","),
             float(sys.argv[6]) if len(sys.argv) == 7 else 0.0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
