"""HTTP side of xhands: one action core and the dialects that speak it.

    app.py, worker.py, registry.py, actions.py, models.py, errors.py   the core: app, queue, actions, models
    handling.py, protocol.py, openapi.py, timing.py                    what every route and action shares
    dialects/   the wire formats over the core: kernel.py (Kernel's computer controls), mcp.py (its MCP tool),
                anthropic.py and openai.py (the models' computer tools)
    ops/        operations: the serve command, logs, metrics, memory, systemd, the private Xvfb, `xhands check`
    client/     what runs in the caller's process: the typed client, the shell commands, the pytest plugin
"""
