"""An exec's multiplexed output (lab.docker.frames): what the engine sends, in whatever
pieces the network cuts it into, comes out as the same frames, in order."""

from __future__ import annotations

import socket
import threading

import pytest

from lab.docker.frames import Frames


def frame(kind: int, data: bytes) -> bytes:
    return bytes([kind, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def test_frames_cut_anywhere_come_out_whole_and_in_order() -> None:
    sent = [(1, b"SSH-2.0-OpenSSH\r\n"), (2, b"warning"), (1, b""), (1, bytes(range(256)) * 300)]
    stream = b"".join(frame(kind, data) for kind, data in sent)
    ours, theirs = socket.socketpair()

    def send_in_pieces() -> None:
        for start in range(0, len(stream), 7):  # 7 bytes at a time: headers cut in two
            theirs.sendall(stream[start:start + 7])
        theirs.close()

    sender = threading.Thread(target=send_in_pieces)
    sender.start()
    received = list(Frames(ours))
    sender.join()
    ours.close()
    assert received == sent


def test_a_connection_that_ends_mid_frame_ends_the_frames() -> None:
    ours, theirs = socket.socketpair()
    theirs.sendall(frame(1, b"whole") + frame(1, b"cut short")[:10])
    theirs.close()
    assert list(Frames(ours)) == [(1, b"whole")]
    ours.close()


def test_a_silent_engine_times_out_instead_of_waiting_forever() -> None:
    ours, theirs = socket.socketpair()
    ours.settimeout(0.2)
    theirs.sendall(frame(1, b"complete")[:5])
    with pytest.raises(TimeoutError):
        Frames(ours).next()
    ours.close()
    theirs.close()
