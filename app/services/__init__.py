"""Services: each applies domain rules from workflows/ in one database transaction."""
