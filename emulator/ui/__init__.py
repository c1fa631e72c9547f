"""The box's web interface: the FaxFinder's menus (Fax Status, Send Fax, Status & Logs, Users, Phone book, Inbound
Routing, Fax and System Configuration) for its users, and an Emulator panel of our own for the control plane.

Served at ``/`` and under ``/_emulator/ui/``. Device pages need a FaxFinder login (the box's users and passwords) and
go through the same services as /ffws/v1, so they allow and refuse what the API does; the Emulator panel calls the
control plane from the browser with the control token. Every asset ships in this package."""
