"""faxfinder-emulator: a faithful emulator of the Multi-Tech FaxFinder Web Services API (FFWS)."""

__version__ = "0.1.0"
