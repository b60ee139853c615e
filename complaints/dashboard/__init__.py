"""The landing page for each role: what needs doing now, and how the offices are doing."""
