"""The data officer's review loop: questions for match_review.xlsx and the decisions taken back."""
