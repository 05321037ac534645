"""Reports' pure side: reading Asterisk's records and, from them, the KPIs."""
