"""Pure domain rules: no Flask, no database. Every rule has exactly one home here."""
