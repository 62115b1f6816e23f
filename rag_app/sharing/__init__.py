"""A shared app: people and their private knowledge bases, accounts, the server process."""
