"""The web dashboard (``asterisk-cc web``): wallboard, agent desktop, supervisor tools,
campaigns, quality assurance, reports and administration, in English and Chinese.

:mod:`asterisk_cc.web.app` builds the Flask application; :mod:`asterisk_cc.web.server` serves
it with its live feed.
"""
