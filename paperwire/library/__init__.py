"""The personal library: tags, notes, read marks, ratings, saved searches, follows and recommendations."""
