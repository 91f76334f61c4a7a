"""Several files in flight on one SFTP connection, every safety step kept (the link's round trips hidden).

A plain upload per file waits for the server once per request: open, the last write, close, the size check and the
rename — five round trips, ~250 ms per file on a 50 ms link. SFTP lets a client send many requests before reading
their replies, so :func:`put_many` uploads a batch (a row's web image and thumbnail) in three waves:

1. ``OPEN`` every temp name (``.<name>.amirtui-part``, created/truncated) — one round trip for the batch;
2. every file's ``WRITE``s, then ``FSTAT`` on its handle (the size check: requests on one handle are answered in
   order, so the size is what the writes left) and ``CLOSE`` (a delayed write error surfaces here) — one round trip
   plus the bytes;
3. ``RENAME`` (SFTPv3: refuses an existing destination — the ownership check) or, for a file this row owns,
   ``posix-rename@openssh.com`` (atomic replace) — one round trip, sent only for files whose size matched.

Three round trips per batch instead of five per file. It uses paramiko's request/response layer
(``_async_request`` / ``_read_response``, stable since paramiko 1.x) with its own reply collector, so replies may
come back in any order.
"""

from __future__ import annotations

from typing import Any

from paramiko.sftp import (
    CMD_ATTRS,
    CMD_CLOSE,
    CMD_EXTENDED,
    CMD_FSTAT,
    CMD_HANDLE,
    CMD_OPEN,
    CMD_RENAME,
    CMD_STATUS,
    CMD_WRITE,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    int64,
)
from paramiko.sftp_attr import SFTPAttributes

CHUNK = 32768  # paramiko's own write size; every SFTP server accepts it


class _Replies:
    """Collects the replies to this batch's requests by request number (paramiko calls ``_async_response``)."""

    def __init__(self) -> None:
        self.got: dict[int, tuple[int, Any]] = {}

    def _async_response(self, t: int, msg: Any, num: int) -> None:
        self.got[num] = (t, msg)


def _send(sftp: Any, replies: _Replies, t: int, *args: Any) -> int:
    return sftp._async_request(replies, t, *args)


def _wait(sftp: Any, replies: _Replies, nums: list[int]) -> None:
    """Read replies until every request in ``nums`` has one (others are dispatched to their owners)."""
    while any(n not in replies.got for n in nums):
        sftp._read_response()


def _status_error(sftp: Any, msg: Any) -> OSError | None:
    """The ``OSError`` a STATUS reply stands for, or None for OK (paramiko's own mapping of codes)."""
    try:
        sftp._convert_status(msg)
    except EOFError as exc:  # a STATUS EOF here means the server gave up on the file
        return OSError(str(exc) or "end of file")
    except OSError as exc:
        return exc
    return None


def put_many(sftp: Any, items: list[tuple[str, str, bytes, bool]]) -> list[BaseException | None]:
    """Upload ``items`` = ``(tmp, final, data, replace)`` on one connection; returns one outcome per item:
    None (in place), ``OSError`` (the server refused a request: open, write, close or rename — the message says
    which), or ``ValueError("size …")`` when the size check failed (the temp file is left for the retry, which
    truncates it). Link failures raise (the caller turns them into a retried transient fault)."""
    replies = _Replies()
    outcome: list[BaseException | None] = [None] * len(items)
    flags = SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC
    opens = [_send(sftp, replies, CMD_OPEN, tmp, flags, SFTPAttributes()) for tmp, _f, _d, _r in items]
    _wait(sftp, replies, opens)
    handles: dict[int, bytes] = {}
    for i, num in enumerate(opens):
        t, msg = replies.got.pop(num)
        if t == CMD_HANDLE:
            handles[i] = msg.get_binary()
        else:
            err = _status_error(sftp, msg) if t == CMD_STATUS else OSError(f"unexpected reply {t}")
            outcome[i] = OSError(f"open {items[i][0]}: {err}")
    # wave 2: bytes, size check, close — for every opened file, without waiting in between
    writes: dict[int, list[int]] = {}
    checks: dict[int, tuple[int, int]] = {}
    for i, handle in handles.items():
        data = items[i][2]
        view = memoryview(data)
        writes[i] = [_send(sftp, replies, CMD_WRITE, handle, int64(off), view[off:off + CHUNK].tobytes())
                     for off in range(0, len(data), CHUNK)]
        checks[i] = (_send(sftp, replies, CMD_FSTAT, handle), _send(sftp, replies, CMD_CLOSE, handle))
        while sftp.sock.recv_ready():  # drain what already came back, so no buffer fills on a long batch
            sftp._read_response()
    _wait(sftp, replies, [n for i in handles for n in (*writes[i], *checks[i])])
    for i in handles:
        tmp, _final, data, _replace = items[i]
        for num in writes[i]:
            err = _status_error(sftp, replies.got.pop(num)[1])
            if err is not None and outcome[i] is None:
                outcome[i] = OSError(f"write {tmp}: {err}")
        stat_num, close_num = checks[i]
        t, msg = replies.got.pop(stat_num)
        size = SFTPAttributes._from_msg(msg).st_size if t == CMD_ATTRS else None
        err = _status_error(sftp, replies.got.pop(close_num)[1])
        if outcome[i] is None and err is not None:
            outcome[i] = OSError(f"close {tmp}: {err}")
        if outcome[i] is None and size != len(data):
            outcome[i] = ValueError(f"size {size}")
    # wave 3: rename only what arrived whole
    renames: dict[int, int] = {}
    for i, (tmp, final, _data, replace) in enumerate(items):
        if outcome[i] is None:
            renames[i] = (_send(sftp, replies, CMD_EXTENDED, "posix-rename@openssh.com", tmp, final) if replace
                          else _send(sftp, replies, CMD_RENAME, tmp, final))
    _wait(sftp, replies, list(renames.values()))
    for i, num in renames.items():
        err = _status_error(sftp, replies.got.pop(num)[1])
        if err is not None:
            outcome[i] = OSError(f"rename {items[i][0]} -> {items[i][1]}: {err}")
            outcome[i].rename_refused = True  # type: ignore[attr-defined]
    return outcome


__all__ = ["put_many"]
