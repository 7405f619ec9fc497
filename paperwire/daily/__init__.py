"""The community's daily lists: days, weeks, months, votes and trending."""
