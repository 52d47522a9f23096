"""The advertisers' upload service (`signage admin`): see docs/admin.md.

It shares nothing with the player but the content folder (``signage.content_store``),
the status file the player writes and the analytics database.
"""
