"""Text for every script we read: which characters are CJK, words (the tokens of BM25 and of every
word-overlap check), sentences, and URLs fit to show."""
