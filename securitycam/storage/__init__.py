"""Storage: the media index, the janitor that keeps the card from filling up, and the timelapse."""
