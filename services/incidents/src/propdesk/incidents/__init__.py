"""incidents: Emergency playbooks, incidents, timers and escalations, broadcasts, incident reports, drills."""
