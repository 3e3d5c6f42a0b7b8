# dmgbuild settings for the Custom DB Studio disk image (packaging/macos/build-dmg.sh runs it):
#   dmgbuild -s packaging/macos/dmg_settings.py -D app="dist/Custom DB Studio.app" \
#       "Custom DB Studio" dist/CustomDBStudio-<version>.dmg
# dmgbuild executes this file with `defines` (the -D values) in its namespace.
import os.path

application = defines.get("app", "dist/Custom DB Studio.app")  # noqa: F821 - given by dmgbuild
appname = os.path.basename(application)

format = "UDZO"  # zlib-compressed, read-only: opens on every supported macOS
size = None  # let dmgbuild compute it from the files
files = [application]
symlinks = {"Applications": "/Applications"}  # drag the app onto this link to install
icon = defines.get("icon")  # noqa: F821 - the volume icon: the app's own .icns (None = default)

window_rect = ((200, 160), (560, 320))
default_view = "icon-view"
show_status_bar = False
show_tab_view = False
show_toolbar = False
show_pathbar = False
show_sidebar = False
icon_size = 112
text_size = 13
icon_locations = {appname: (150, 150), "Applications": (410, 150)}
