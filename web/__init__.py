"""The Spanish, server-rendered web interface of mapro: views call domain services and selectors only."""
