"""Rules of the domain, each in one named place."""
