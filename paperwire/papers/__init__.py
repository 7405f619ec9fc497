"""What a paper is, independent of where it came from or where it is stored."""
