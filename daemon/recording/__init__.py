"""Recordings of the screen with their actions as chapters (Kernel's /recording/* routes), their replay page,
and Lightcone's H.264 desktop screencast: one H.264 encoder over the screencast's damage-driven frames."""
