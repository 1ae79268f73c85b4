"""The project's date and time formats (``FORMAT_MODULE_PATH``): every time shown carries the desk's time zone."""
