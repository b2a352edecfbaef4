"""Use cases: take ids and plain data, flush, never commit, never touch request or templates."""
