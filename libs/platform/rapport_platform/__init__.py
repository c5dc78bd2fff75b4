"""Service plumbing: settings, database, HTTP app factory, auth, audit, personal data."""
