__version__ = "0.1.0"  # tapeflow's own version
TF_API_VERSION = "2.21.0"  # the TensorFlow API level tapeflow follows (tf.__version__)
