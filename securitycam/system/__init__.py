"""The host: command runner and sysfs seams, health alerts, system info."""
