"""The manager pages' routers, one module per area (login, overview, fleet, lessons, report, export;
community life: challenges, events, polls, feedback, announcements)."""
