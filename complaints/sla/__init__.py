"""SLA clocks, business calendars, policies, the reminder scan and its admin pages."""
