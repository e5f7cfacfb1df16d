"""Offline replay: compute any period from a file of events with the same core the live services use."""
