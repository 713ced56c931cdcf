"""Decide: optimal stockpile size and composition (LP with HiGHS; exact marginal analysis)."""
