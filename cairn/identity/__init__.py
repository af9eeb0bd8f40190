"""Who is signing in: single sign-on, the second factor, throttled sign-in, sessions, and the
security events every part records."""
