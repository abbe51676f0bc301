"""Writes of the supervision app, one module per part: questionnaires, surveys, callbacks, assessments, and
the audited identity reveal."""
