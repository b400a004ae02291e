"""A turn from the user's text to a stored reply."""
