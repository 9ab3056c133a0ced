"""TensorBoard event files: ``Event``/``Summary`` protobufs (from the ``tensorboard``
package, imported on first use) in TFRecord framing (length, masked CRC-32C of the length,
payload, masked CRC-32C of the payload). This module names the files, queues the events and
flushes them as TF's C++ writer does.

NOTE: tensorboard's own record writer computes the CRC one byte at a time in Python (20 ms
for a 40 kB image); the framing here uses ``tapeflow._crc32c`` (NumPy lanes)."""
import importlib
import itertools
import os
import socket
import struct
import threading
import time

import numpy as np

from .._crc32c import crc32c, masked_crc32c  # noqa: F401 (crc32c: tests use the name)

EXTRA = "pip install tapeflow[tensorboard]"
_FILE_COUNTER = itertools.count()  # a process-wide file number, as TF's in the file name
_TB = None

# numpy dtype kind/size -> the DataType enum of tensor.proto (the values TF writes)
_DT = {np.dtype(np.float32): 1, np.dtype(np.float64): 2, np.dtype(np.int32): 3,
       np.dtype(np.uint8): 4, np.dtype(np.int16): 5, np.dtype(np.int8): 6,
       np.dtype(np.int64): 9, np.dtype(np.bool_): 10, np.dtype(np.uint16): 17,
       np.dtype(np.float16): 19, np.dtype(np.uint32): 22, np.dtype(np.uint64): 23}
DT_STRING = 7


def record(data):
    """One TFRecord: little-endian uint64 length, its masked CRC-32C, the data, the data's."""
    header = struct.pack("<Q", len(data))
    return b"".join([header, struct.pack("<I", masked_crc32c(header)), data,
                     struct.pack("<I", masked_crc32c(data))])


# attribute -> module of the ``tensorboard`` package (the [tensorboard] extra), imported on
# first use
_MODULES = {
    "event_pb2": "tensorboard.compat.proto.event_pb2",
    "summary_pb2": "tensorboard.compat.proto.summary_pb2",
    "tensor_pb2": "tensorboard.compat.proto.tensor_pb2",
    "audio": "tensorboard.plugins.audio.metadata",
    "graph": "tensorboard.plugins.graph.metadata",
    "histogram": "tensorboard.plugins.histogram.metadata",
    "image": "tensorboard.plugins.image.metadata",
    "scalar": "tensorboard.plugins.scalar.metadata",
    "text": "tensorboard.plugins.text.metadata",
}


class _TensorBoard:
    """The modules of the ``tensorboard`` package tapeflow writes with."""

    def __init__(self):
        for attr, module in _MODULES.items():
            setattr(self, attr, importlib.import_module(module))


def tensorboard():
    """The ``tensorboard`` modules, or an ImportError saying which extra to install."""
    global _TB
    if _TB is None:
        try:
            _TB = _TensorBoard()
        except ImportError as e:
            raise ImportError(
                "tf.summary writes TensorBoard event files with the `tensorboard` package, "
                f"which is not installed ({e}). Install it with: {EXTRA}") from e
    return _TB


def tensor_proto(array):
    """A ``TensorProto`` of a NumPy array: numbers as little-endian ``tensor_content``,
    strings (``str``/``bytes``/object arrays) as ``string_val``."""
    tb = tensorboard()
    arr = np.asarray(array)
    proto = tb.tensor_pb2.TensorProto()
    for d in arr.shape:
        proto.tensor_shape.dim.add(size=int(d))
    if arr.dtype.kind in "USO":
        proto.dtype = DT_STRING
        proto.string_val.extend(x.encode() if isinstance(x, str) else bytes(x)
                                for x in arr.ravel().tolist())
        return proto
    proto.dtype = _DT[arr.dtype]
    proto.tensor_content = np.ascontiguousarray(arr, arr.dtype.newbyteorder("<")).tobytes()
    return proto


class EventFile:
    """One ``events.out.tfevents.<seconds>.<host>.<pid>.<n><suffix>`` file in ``logdir``.

    Events wait in a queue and reach the file when more than ``max_queue`` wait or
    ``flush_millis`` have passed since the last flush (checked as each event arrives), on
    ``flush()`` and on ``close()``, as in TF's summary file writer."""

    def __init__(self, logdir, max_queue, flush_millis, filename_suffix):
        tb = tensorboard()
        os.makedirs(logdir, exist_ok=True)
        now = time.time()
        name = (f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}.{os.getpid()}."
                f"{next(_FILE_COUNTER)}{filename_suffix}")
        self.path = os.path.join(logdir, name)
        self._file = open(self.path, "wb")
        self._max_queue, self._flush_secs = max_queue, flush_millis / 1000.0
        self._queue, self._lock = [], threading.Lock()
        self._last_flush = now
        first = tb.event_pb2.Event(wall_time=float(int(now)), file_version="brain.Event:2")
        first.source_metadata.writer = "tapeflow.summary"
        self._queue.append(first.SerializeToString())
        self.flush()

    @property
    def closed(self):
        return self._file is None

    def add(self, event):
        """Queue one ``Event`` proto (or its serialized bytes)."""
        data = event if isinstance(event, bytes) else event.SerializeToString()
        with self._lock:
            if self._file is None:
                return
            self._queue.append(data)
            due = (len(self._queue) > self._max_queue
                   or time.time() - self._last_flush > self._flush_secs)
        if due:
            self.flush()

    def flush(self):
        with self._lock:
            if self._file is None:
                return
            self._file.write(b"".join(record(data) for data in self._queue))
            self._queue.clear()
            self._file.flush()
            self._last_flush = time.time()

    def close(self):
        self.flush()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
