"""Reaching people between meetings: reminders by e-mail and in Cairn's inbox, the weekly
digest, and each person's choice of what they are told and how."""
