"""Benchmarks: each module prints a markdown table with the machine it ran on."""
