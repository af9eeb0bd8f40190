"""No organisation data in Django's admin.

A change made in /admin/ would bypass the services and leave no audit event,
so the admin offers only Django's own user and group management (registered
by django.contrib.auth). Organisations, members, invitations and tokens are
managed on Cairn's own pages, the API and the `cairn` command.
"""
