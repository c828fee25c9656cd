"""The waits around a keymap change: none when no client gets the keys, a wait as soon as one may."""

from Xlib import X
from Xlib import display as xdisplay

from xhands.input.catchup import CatchUp, root_reads_keys


def waits_before_a_rebind(conn) -> list[float]:
    catch_up = CatchUp(conn)  # no observer: an application that reads is waited for by the timed guess
    catch_up.pressed()
    return list(catch_up.handled()) + list(catch_up.fetched())


def test_no_wait_when_no_window_gets_the_keys_and_a_wait_when_one_does(xvfb):
    conn = xdisplay.Display()
    reader = xdisplay.Display()
    try:
        conn.set_input_focus(X.NONE, X.RevertToPointerRoot, X.CurrentTime)  # keys go nowhere
        conn.sync()
        assert waits_before_a_rebind(conn) == []

        root = reader.screen().root  # a client that asks for the root's key events while keys go there
        root.change_attributes(event_mask=X.KeyPressMask)
        reader.sync()
        assert root_reads_keys(conn)
        assert waits_before_a_rebind(conn), "keys that the root's reader may get were not waited for"

        window = root.create_window(0, 0, 50, 50, 0, reader.screen().root_depth, override_redirect=True,
                                    event_mask=X.KeyPressMask)
        window.map()
        window.set_input_focus(X.RevertToPointerRoot, X.CurrentTime)
        root.change_attributes(event_mask=0)
        reader.sync()
        assert not root_reads_keys(conn)
        assert waits_before_a_rebind(conn), "keys that a focused window gets were not waited for"
    finally:
        conn.set_input_focus(X.PointerRoot, X.RevertToPointerRoot, X.CurrentTime)
        conn.close()
        reader.close()
