"""A small, fast authoritative DNS responder on 127.0.0.1 for the benchmark.

Every A query gets 127.0.0.1; other types get an empty NOERROR answer. It answers from
raw bytes (no parsing library) so it is not the bottleneck. Prints its port first.
"""

from __future__ import annotations

import socket
import struct
import sys

ANSWER_A = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x01"


def respond(query: bytes) -> bytes | None:
    """Return the reply to one query, or None for garbage."""
    if len(query) < 17:
        return None
    end = 12
    while end < len(query) and query[end] != 0:
        end += query[end] + 1
    end += 1  # the root label
    if end + 4 > len(query):
        return None
    qtype = struct.unpack_from("!H", query, end)[0]
    question = query[12 : end + 4]
    flags = 0x8400 | (query[2] & 0x01) << 8 | 0x80  # QR, AA, copy RD, RA
    answers = 1 if qtype == 1 else 0
    header = query[:2] + struct.pack("!HHHHH", flags, 1, answers, 0, 0)
    return header + question + (ANSWER_A if answers else b"")


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", port))
    print(sock.getsockname()[1], flush=True)
    while True:
        data, addr = sock.recvfrom(4096)
        reply = respond(data)
        if reply is not None:
            sock.sendto(reply, addr)


if __name__ == "__main__":
    main()
