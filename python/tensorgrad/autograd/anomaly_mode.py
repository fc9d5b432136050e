"""Anomaly detection: a NaN or Inf produced during backward raises, naming the node
and the forward operations that led to it."""
from .. import _C


class detect_anomaly:
    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = _C.is_anomaly_enabled()
        _C._set_anomaly_enabled(self.check_nan)

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self._prev)
        return False


class set_detect_anomaly(detect_anomaly):
    """set_detect_anomaly(mode) switches at once, or for a with block."""

    def __init__(self, mode):
        super().__init__(mode)
        self._prev = _C.is_anomaly_enabled()
        _C._set_anomaly_enabled(bool(mode))

    def __enter__(self):
        pass
