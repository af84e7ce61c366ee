"""The web console: the duty officer's screen, the offices' work list and the admin's controls.

``app`` holds the Starlette application (pages and the JSON API), ``users`` the accounts and the
office scoping, ``security`` the framework-free defences (throttling, masking, headers).
"""
