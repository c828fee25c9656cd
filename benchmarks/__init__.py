"""Side-by-side speed runs of xhands against the reference way (xdotool and ffmpeg processes), pyautogui and mss + Pillow."""
