"""The screen: creatives, transitions, the privacy notice and the display (pygame).

Layering: imports only signage.config and signage.values, never sensing, playlist or analytics.
"""
