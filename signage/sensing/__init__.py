"""On-device audience sensing: frames in, anonymous numbers out.

Frames and landmarks never leave this package; only FaceObservation scalars,
Track summaries and AudienceSnapshot aggregates do.
"""
