"""The bottom: errors, events, checks of values from strangers, sanitising, the log, the app's folders."""
