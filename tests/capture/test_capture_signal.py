"""A stopped process keeps what it captured: SIGTERM with the handlers, and a plain exit."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from capturing import records_in

RECORDS = 500

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from watchkeeper.capture import CaptureWriter, install_signal_handlers

    destination, mode = sys.argv[1], sys.argv[2]
    if mode == "handlers":
        install_signal_handlers()
    # Nothing would reach the disk on its own for an hour: only stopping writes.
    writer = CaptureWriter(destination, "churn", flush_seconds=3600, max_file_seconds=3600)
    for i in range({records}):
        writer.capture(f"{{i}},1", "text/csv", b"0.5", "text/csv", event_id=f"e{{i}}")
    print("ready", flush=True)
    if mode == "exit":
        sys.exit(0)  # never closed by the script: closed at exit
    time.sleep(60)
    """
).format(records=RECORDS)


def start(tmp_path, mode: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready", process.stderr.read()
    return process


def test_sigterm_writes_everything_before_exit(tmp_path):
    process = start(tmp_path, "handlers")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 128 + signal.SIGTERM, process.stderr.read()
    ids = [record["eventMetadata"]["eventId"] for record in records_in(tmp_path)]
    assert ids == [f"e{i}" for i in range(RECORDS)]


def test_without_the_handlers_sigterm_kills_before_writing(tmp_path):
    # Why the handlers exist: SIGTERM's default action ends the process on the spot.
    process = start(tmp_path, "none")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == -signal.SIGTERM
    assert records_in(tmp_path) == []


def test_an_unclosed_writer_is_drained_at_exit(tmp_path):
    process = start(tmp_path, "exit")
    assert process.wait(timeout=20) == 0, process.stderr.read()
    assert len(records_in(tmp_path)) == RECORDS
