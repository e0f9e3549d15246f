"""Views by area. Each parses the request, calls one domain service or selector, and renders."""
