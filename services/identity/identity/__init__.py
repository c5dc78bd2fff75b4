"""Brands, stores, associates and members."""
