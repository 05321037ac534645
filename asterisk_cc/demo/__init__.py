"""``asterisk-cc demo``: the whole contact centre on a private Asterisk 22 with simulated
traffic, and the check that the report agrees with it (:mod:`asterisk_cc.demo.run`)."""
