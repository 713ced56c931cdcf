"""Assess: supply concentration and criticality (concentration so far; indices follow)."""
