"""Radiographs: DICOM/PNG/JPEG upload, a browser measuring tool and before/after comparison.

The geometry lives in `fusiontrack.core.radiology`; this app stores the films (outside the
database, behind the registry's access control and audit), decodes them for display, and keeps
every saved landmark set with who measured it and when. See README.md beside this file.
"""
