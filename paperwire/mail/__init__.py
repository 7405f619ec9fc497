"""Outgoing email over SMTP, shared by account emails and digests."""
