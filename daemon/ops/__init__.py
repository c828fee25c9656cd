"""Operations: the serve command, logs, metrics, memory, systemd, the private Xvfb and `xhands check`."""
