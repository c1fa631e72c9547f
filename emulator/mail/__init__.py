"""E-mail like the box: receipts and received faxes go to the mail queue (and to a real SMTP server with
--smtp-url), and faxes arrive by e-mail (T.37 addresses, --smtp-listen-port)."""
