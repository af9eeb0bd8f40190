"""No goals in Django's admin: see cairn/core/admin.py."""
