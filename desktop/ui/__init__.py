"""The Qt window: widgets, item models and background workers over the Qt-free core."""
