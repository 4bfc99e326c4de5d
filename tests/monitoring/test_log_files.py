"""The append-only segments: records read back in order, rotation by size, concurrent
writers, and a torn last line (a writer killed mid-record) skipped."""

from __future__ import annotations

import threading

import numpy as np

from dlpipe.monitoring import log_files


def test_records_come_back_in_order_across_rotated_segments(tmp_path):
    writer = log_files.SegmentWriter(tmp_path, "predictions", segment_bytes=200, fsync=False)
    for n in range(30):
        writer.write([{"n": n, "x": np.float32(0.5), "missing": float("nan")}])
    writer.close()
    files = log_files.segments(tmp_path, "predictions")
    assert len(files) > 3 and all(f.stat().st_size < 200 + 60 for f in files)
    records = list(log_files.read(tmp_path, "predictions"))
    assert [r["n"] for r in records] == list(range(30))
    assert records[0]["x"] == 0.5 and records[0]["missing"] is None


def test_concurrent_writers_never_interleave_a_record(tmp_path):
    writer = log_files.SegmentWriter(tmp_path, "predictions", segment_bytes=10**9, fsync=True)
    rows = 8

    def write(thread: int) -> None:
        for n in range(50):
            writer.write([{"thread": thread, "n": n, "row": r, "pad": "x" * 300}
                          for r in range(rows)])

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = list(log_files.read(tmp_path, "predictions"))
    assert len(records) == 4 * 50 * rows
    # a request's rows are one write: consecutive, whatever the other threads did
    for start in range(0, len(records), rows):
        block = records[start:start + rows]
        assert len({(r["thread"], r["n"]) for r in block}) == 1
        assert [r["row"] for r in block] == list(range(rows))


def test_a_torn_last_line_is_skipped_with_a_warning(tmp_path, caplog):
    writer = log_files.SegmentWriter(tmp_path, "feedback", segment_bytes=10**6, fsync=False)
    writer.write([{"n": 1}, {"n": 2}])
    writer.close()
    path = log_files.segments(tmp_path, "feedback")[0]
    with path.open("ab") as handle:
        handle.write(b'{"n": 3, "lab')  # killed inside the write
    assert [r["n"] for r in log_files.read(tmp_path, "feedback")] == [1, 2]
    assert "cut short" in caplog.text and path.name in caplog.text


def test_dates_and_numpy_values_are_written_as_json(tmp_path):
    import pandas as pd

    writer = log_files.SegmentWriter(tmp_path, "predictions", segment_bytes=10**6, fsync=False)
    writer.write([{"when": pd.Timestamp("2026-01-02 03:04:05"), "n": np.int64(3),
                   "v": np.arange(3)}])
    writer.close()
    [record] = log_files.read(tmp_path, "predictions")
    assert record == {"when": "2026-01-02 03:04:05", "n": 3, "v": [0, 1, 2]}
