"""Who a request is, without a master key in any URL (issue #32): signed session cookies for people who
signed in once with a key or token, and signed, unit-scoped, expiring link tokens for robot messages."""
