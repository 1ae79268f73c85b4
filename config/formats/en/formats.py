# Times are shown in the desk's time zone (TIME_ZONE, from DJANGO_TIME_ZONE) and say which it is ("T"):
# staff and readers in other zones must not mistake 09:00 in Baku for their own 09:00. These override
# Django's "en" formats for every English locale, in templates ("DATETIME_FORMAT") and the admin's columns.
DATETIME_FORMAT = "j F Y, H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
