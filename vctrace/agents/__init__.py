"""Agents that write traces (report generator, explanation constructor). Not built yet."""
