"""The timetable: APScheduler 3.x jobs (``jobs.py``) and the service loop
(``service.py``) behind ``govwatch run``."""
