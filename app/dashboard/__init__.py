"""Dashboard for police prevention officers and staff: maps, ranked bars, tables."""
