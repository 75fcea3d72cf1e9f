"""identity: accounts, sign-in for staff and residents, short-lived tokens with rotation and revocation, JWKS."""
