"""Query budgets (ARCHITECTURE.md rule 7): the data they measure with (world.py); the budgets
and the measurement are in tests/test_query_counts.py."""
