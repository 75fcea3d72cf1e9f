"""notify: Templates in zh-CN and en, channels with fallback, preferences and quiet hours, delivery tracking, broadcasts, digests."""
