#!/usr/bin/env bash
# The same end-to-end checks with the inotify backend forced.
exec bash "$(dirname "$0")/002-realtime-events.sh" inotify
