"""Gradient Checking, hands-on: the shared package of the course."""
