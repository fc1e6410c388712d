"""The app database: conversations and their messages (masked), behind one SQLAlchemy URL."""
