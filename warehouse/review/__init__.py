"""The review queue: candidate events extracted from articles, accepted into the log or rejected.
"""
