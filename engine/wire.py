"""Requests and replies between `bp` and its engine server: one JSON object per frame, never pickle.

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. Nothing received is ever turned
into code: a frame that is not one JSON object is an error, answered or dropped. Each side learns who is at
the other end of the socket from the kernel (SO_PEERCRED): its pid and uid, which no one can forge.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!I")
MAX_REQUEST = 1 << 20
"""Bytes a request may have: a few names and a digest."""
MAX_REPLY = 1 << 30
"""Bytes a reply may have: the largest stack's preview is a few megabytes."""


class WireError(Exception):
    """A frame that is cut short, too large, or not one JSON object."""


def peer(sock: socket.socket) -> tuple[int, int]:
    """(pid, uid) of the process at the other end of a connected Unix socket."""
    if not hasattr(socket, "SO_PEERCRED"):
        raise WireError("this system does not tell who is at the other end of a socket (SO_PEERCRED)")
    pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return pid, uid


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    """Send one JSON object (only plain data: a value JSON cannot hold is an error, never a fallback)."""
    data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def receive(sock: socket.socket, limit: int) -> dict[str, Any]:
    """Receive one JSON object of at most `limit` bytes."""
    (size,) = _HEADER.unpack(_exactly(sock, _HEADER.size))
    if size > limit:
        raise WireError(f"a frame of {size} bytes, over the limit of {limit}")
    try:
        message = json.loads(_exactly(sock, size))
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise WireError(f"a frame that is not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise WireError("a frame that is not a JSON object")
    return message


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise WireError("the connection closed in the middle of a frame")
        data += chunk
    return bytes(data)
