"""Event and vocabulary definitions: the facts Huhang records, and how they are encoded and hashed."""
