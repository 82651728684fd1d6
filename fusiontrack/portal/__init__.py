"""The patient side (issue 4): invitations, phone-friendly questionnaires, reminders, plans."""
