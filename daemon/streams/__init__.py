"""Watching the display: the screencast (frames and cursor), the event stream of actions, the /view page."""
