"""Pages for customers, without an account: the status of a complaint."""
