"""User accounts: the users table here; sign-up, sessions and tokens in the web layer's services."""
