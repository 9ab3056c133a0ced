"""``tf.io``: files, image codecs, raw bytes and CSV records."""
