"""Cross-cutting code shared by every CRM service: no domain code lives here."""
