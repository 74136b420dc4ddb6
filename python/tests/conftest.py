"""The plugin's own tests run against the installed wheel: `pytester` drives pytest sessions
that use the plugin the way a user's suite would."""

pytest_plugins = ["pytester"]
