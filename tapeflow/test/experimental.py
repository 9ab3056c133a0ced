"""``tf.test.experimental``: ``sync_devices``."""


def sync_devices():
    """Wait until every device has finished the work queued on it (CuPy's GPU streams);
    nothing to wait for on the host."""
    from .. import backend as _backend  # deferred: the device registry, read when called

    for device in _backend.devices:
        cuda = getattr(getattr(device.backend, "xp", None), "cuda", None)
        if cuda is not None:
            cuda.Device(device.index).synchronize()
