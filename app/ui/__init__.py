"""The PySide6 desktop app: it adapts the core to widgets and decides nothing."""
