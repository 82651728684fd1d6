"""FHIR R4 (4.0.1) adapter: resource builders, validation, the /fhir/ server and Bulk Data export.

The only package that imports fhir.resources (STYLE.md practice 14).
"""
