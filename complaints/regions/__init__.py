"""Regions: the tree that offices sit in, who covers which part of it, and its roll-ups."""
