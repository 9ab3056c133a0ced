"""``tf.summary``: TensorBoard logs, written as TF 2 writes them.

``create_file_writer(logdir)`` makes a writer of one event file (TFRecord framing with masked
CRC32C around ``Event`` protobufs, from the ``tensorboard`` package: ``pip install
tapeflow[tensorboard]``); under ``writer.as_default(step=...)`` the summary ops ``scalar``,
``histogram``, ``image``, ``text`` and ``audio`` write tensor summaries with their plugin's
metadata, so ``tensorboard --logdir`` shows them. Each op returns a boolean tensor: True when
it wrote, False without a default writer or when ``record_if`` says no.
"""
from . import experimental  # noqa: F401
from ._summary import (  # noqa: F401
    SummaryWriter,
    audio,
    create_file_writer,
    create_noop_writer,
    flush,
    graph,
    histogram,
    image,
    record_if,
    scalar,
    should_record_summaries,
    text,
    trace_export,
    trace_off,
    trace_on,
    write,
)
