"""English dates as the English pages write them ("7 October 2027", "15:48"), also where a
template or a mail uses Django's named formats. Django's English ("Oct. 7, 2027, 3:48 p.m.")
differed from the pages and, ending in a full stop, put two at the end of a sentence."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
