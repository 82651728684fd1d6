"""Imports: FHIR Bundles and NDJSON of Patients and QuestionnaireResponses, REDCap-style CSV."""
