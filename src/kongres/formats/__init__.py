"""Date formats of the site's languages where Django's own differ from what the pages show
(``FORMAT_MODULE_PATH``): Polish keeps Django's."""
