"""The pytest plugin of faxfinder-emulator (entry point ``pytest11``)."""
