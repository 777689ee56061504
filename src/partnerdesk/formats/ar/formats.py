# العربية: ٤ ديسمبر ٢٠٢٦، ٣:٤٥ م (12-hour, as Arabic locales write it; Django has no
# DATETIME_FORMAT for Arabic and fell back to the English one).
DATE_FORMAT = "j F Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "j F Y، g:i A"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
