"""Staff UI views: short functions that authorise (access.py), validate (forms.py), call a
service (services.py) and respond."""
