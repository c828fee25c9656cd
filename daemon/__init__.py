"""HTTP side of xhands: one action core and the dialects that speak it.

    actions.py, registry.py, models.py, worker.py, errors.py   the core: each action, the registry of them, the
                request models, a display's worker and its queue, the Error shape
    computer.py, computers.py, programs.py, shell.py   a computer (a display and all that serves it), the
                registry of them (`local` and those Lightcone's POST /computers starts), the programs started on
                one, exec's bounded runner
    app.py, openapi.py, cli.py   the application and its shutdown, the OpenAPI document, the `xhands` command
    http/       what every route needs of aiohttp: app_keys.py (typed application keys), handling.py (bodies as
                models, clients gone), asgi.py (an ASGI app, the MCP SDK's transport, served from an aiohttp
                route)
    dialects/   the wire formats over the core: kernel.py (Kernel's computer controls), mcp.py and mcp_route.py
                (its MCP tool), anthropic.py and openai.py (the models' computer tools) over agents.py,
                lightcone.py, lightcone_computers.py, lightcone_exec.py, lightcone_ws.py and lightcone_browser.py
                (Tzafon Lightcone's computers API: actions, the computers themselves, exec, the WebSocket, the
                browser calls)
    browser/    what only a browser knows, through Chromium's DevTools Protocol (cdp.py, tabs.py), and starting
                a Chromium that fills a computer's screen (chromium.py)
    streams/    watching: the event stream of actions, the screencast (SSE, MJPEG), the /view page
    ops/        operations: the serve command, logs, metrics, memory, systemd, the private Xvfb, `xhands check`
    client/     what runs in the caller's process: the typed client, the shell commands, `xhands mcp`, the
                pytest plugin
"""
