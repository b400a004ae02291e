"""History in SQLite through SQLAlchemy: schema, migrations, queries."""
