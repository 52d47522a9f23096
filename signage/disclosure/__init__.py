"""The second layer of the privacy notice (issue 17): a complete page generated from the
configuration (content.py, html.py), served at /privacy by the admin service and exported as
a static file, and a printable A4 poster (poster.py, pdf.py) for the approach to the screen."""
