"""Portal views: patient pages, plans, staff pages."""
