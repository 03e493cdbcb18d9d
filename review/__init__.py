"""The data officer's review loop: the questions and what would flip, the estimate of what is
still wrong, and the decisions taken back (the workbook itself is drawn by cohort.reports.review)."""
