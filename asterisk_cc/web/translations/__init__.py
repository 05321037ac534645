"""Chinese catalogues of the dashboard: one module per part, each a ``ZH`` dict from the English
text (as the templates and views write it) to the Chinese. See :mod:`asterisk_cc.web.i18n`."""
