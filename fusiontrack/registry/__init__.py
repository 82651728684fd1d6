"""The registry: sites, staff, patients and the whole fusion journey, with the staff web UI."""
